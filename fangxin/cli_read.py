"""Operator commands that read the running services: ``trace``, ``cases list``, ``assessment``.

They call the services' HTTP APIs with a unit token: ``--token`` (or ``FANGXIN_TOKEN``), else
the district office's token of a local stack (``var/secrets/tokens.json``, written by ``up``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console
from rich.table import Table

from fangxin.local.secrets import local_tokens
from fangxin.local.services import SERVICES
from fangxin.report import Client, Report, ReportError, render_appraisal, render_trace

console = Console()
cases_app = typer.Typer(help="Cases (案件) as the workflow holds them.")
Token = Annotated[str, typer.Option(envvar="FANGXIN_TOKEN", show_default=False,
                                    help="a unit's bearer token (default: the local office's)")]
StateDir = Annotated[Path, typer.Option(help="the local stack's state directory")]


def _url(service: str) -> str:
    return f"http://127.0.0.1:{SERVICES[service]}"


def _token(token: str, state_dir: Path) -> str:
    if token:
        return token
    try:
        return local_tokens(state_dir)["district-food-safety-office"]
    except (OSError, KeyError):
        console.print(f"[red]no token: pass --token or FANGXIN_TOKEN (no local stack in "
                      f"{state_dir})")
        raise typer.Exit(2) from None


def _get(service: str, url: str, token: str, path: str, **params: Any) -> Any:
    try:
        return Client(url or _url(service), token).json(path, **params)
    except (ReportError, OSError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(1) from None
    except Exception as exc:  # httpx errors: the service is not there
        console.print(f"[red]{service} at {url or _url(service)}: {exc}")
        raise typer.Exit(1) from None


def trace(lot: Annotated[str, typer.Argument(help="lot code: GS1 Digital Link, EPC URN or "
                                                  "a market system's code")],
          depth: int = 10, projections: str = "", token: Token = "",
          state_dir: StateDir = Path("var")) -> None:
    """Trace a lot: where it came from, where it went, and who must act (recall scope)."""
    bearer = _token(token, state_dir)
    path = f"/lots/{quote(lot, safe='')}"
    report = Report(lot=lot)
    report.upstream = _get("projections", projections, bearer, f"{path}/upstream",
                           depth=depth, limit=1000)["lots"]
    report.recall_scope = _get("projections", projections, bearer, f"{path}/recall-scope",
                               depth=depth)
    render_trace(console, report)


@cases_app.command("list")
def cases_list(*, kind: str | None = None, state: str | None = None,
              overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue")] = None,
              unit: str | None = None, limit: int = 50, workflow: str = "",
              token: Token = "", state_dir: StateDir = Path("var")) -> None:
    """Search cases (kind SD/RV/RC/IV/CP/RP/AS/KA, state open/closed, overdue, unit)."""
    params = {k: v for k, v in {"kind": kind, "state": state, "overdue": overdue,
                                "unit": unit, "limit": limit}.items() if v is not None}
    rows = _get("workflow", workflow, _token(token, state_dir), "/cases", **params)
    table = Table(title=f"{len(rows)} cases")
    for column in ("case", "kind", "state", "lead", "opened", "next due", "overdue"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["case_id"], row["kind"], row["state"], str(row.get("lead") or ""),
                      str(row.get("opened_at") or "")[:16], str(row.get("next_due") or "")[:16],
                      "yes" if row.get("overdue") else "")
    console.print(table)


def assessment(period: Annotated[str, typer.Option(help="2024, 2024-Q2 or 2024-05")] = "2024",
               by: Annotated[str, typer.Option(help="unit, township or action")] = "unit",
               projections: str = "", token: Token = "",
               state_dir: StateDir = Path("var")) -> None:
    """The appraisal figures (考核) for a period, by unit, township or action."""
    rows = _get("projections", projections, _token(token, state_dir), "/assessment",
                period=period, by=by)
    render_appraisal(console, f"{period} appraisal by {by}", rows)


def register(app: typer.Typer) -> None:
    app.command()(trace)
    app.command()(assessment)
    app.add_typer(cases_app, name="cases")
