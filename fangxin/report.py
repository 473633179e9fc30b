"""The demo's report: what the running services say, read over their own HTTP APIs.

:func:`collect` asks the services (receipts from intake's metrics; cases, trace and appraisal
from the projections' read models) and returns plain figures; :func:`render` prints them with
rich, beside the generator's ground truth when there is one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

PLAN_YEARS = (2022, 2023, 2024)
APPRAISAL_YEAR = 2024
TRACE_DEPTH = 10


@dataclass
class Report:
    """Figures read from the services after the pipeline caught up."""

    receipts: dict[str, int] = field(default_factory=dict)  # accepted / duplicate / rejected
    rejected_by_code: dict[str, int] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)  # per kind
    lot: str | None = None
    upstream: list[dict[str, Any]] = field(default_factory=list)  # lots reached, with depth
    recall_scope: list[dict[str, Any]] = field(default_factory=list)
    appraisal_by_unit: list[dict[str, Any]] = field(default_factory=list)
    appraisal_by_township: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[int, dict[str, Any]] = field(default_factory=dict)
    summaries: dict[int, Counter[str]] = field(default_factory=dict)  # year -> status counts

    @property
    def cases_by_kind(self) -> dict[str, int]:
        return {row["kind"]: row["cases"] for row in self.cases}


class ReportError(RuntimeError):
    """A service answered a report query with an error."""


class Client:
    """GETs JSON from one service with a bearer token; a non-200 answer is a ReportError."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {token}"})

    def json(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params)
        if answer.status_code != 200:
            raise ReportError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()


def receipts_from_metrics(exposition: str) -> tuple[dict[str, int], dict[str, int]]:
    """Receipts by status and rejections by first reason, from intake's counters."""
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "fangxin_intake_messages_total":
                statuses[sample.labels["status"]] += int(sample.value)
                if sample.labels["status"] == "rejected":
                    reasons[sample.labels["reason"]] += int(sample.value)
    return dict(statuses), dict(reasons)


def collect(urls: dict[str, str], token: str, lot: str | None) -> Report:
    """Ask the services; ``urls`` maps service name to base URL, ``token`` is the office's."""
    report = Report(lot=lot)
    report.receipts, report.rejected_by_code = receipts_from_metrics(
        httpx.get(f"{urls['intake']}/metrics", timeout=30).text)
    read = Client(urls["projections"], token)
    report.cases = read.json("/cases/summary")["by_kind"]
    if lot is not None:
        path = f"/lots/{quote(lot, safe='')}"
        report.upstream = read.json(f"{path}/upstream", depth=TRACE_DEPTH, limit=1000)["lots"]
        report.recall_scope = read.json(f"{path}/recall-scope", depth=TRACE_DEPTH)
    report.appraisal_by_unit = read.json("/assessment", period=str(APPRAISAL_YEAR), by="unit")
    report.appraisal_by_township = read.json("/assessment", period=str(APPRAISAL_YEAR),
                                             by="township")
    for year in PLAN_YEARS:
        report.coverage[year] = read.json("/assessment/canteen-coverage", year=year)
        report.summaries[year] = Counter(row["status"] for row in
                                         read.json("/assessment/summaries", year=year))
    return report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _expected(truth: dict[str, Any] | None, *keys: Any) -> Any:
    found: Any = truth
    for key in keys:
        if not isinstance(found, dict):
            return None
        found = found.get(key, found.get(str(key)))
    return found


def render(console: Console, report: Report, truth: dict[str, Any] | None = None) -> None:
    """Print the report; where the generator's ground truth is given, show it beside."""
    receipts = Table(title="Receipts (intake)")
    for column in ("status", "messages", "expected"):
        receipts.add_column(column, justify="right" if column != "status" else "left")
    for status, key in (("accepted", "accepted"), ("duplicate", "duplicates"),
                        ("rejected", "rejected")):
        receipts.add_row(status, f"{report.receipts.get(status, 0):,}",
                         str(_expected(truth, key) or ""))
    console.print(receipts)
    if report.rejected_by_code:
        console.print("rejected by reason: " + ", ".join(
            f"{code} {count}" for code, count in sorted(report.rejected_by_code.items())))

    cases = Table(title="Cases by kind (workflow, as the read model shows them)")
    for column in ("kind", "cases", "open", "closed", "overdue (open)", "escalations",
                   "expected"):
        cases.add_column(column, justify="left" if column == "kind" else "right")
    for row in report.cases:
        cases.add_row(row["kind"], f"{row['cases']:,}", f"{row['open']:,}",
                      f"{row['closed']:,}", f"{row['overdue']:,}", f"{row['escalations']:,}",
                      str(_expected(truth, "cases_by_kind", row["kind"]) or ""))
    console.print(cases)

    if report.lot is not None:
        render_trace(console, report)
    render_appraisal(console, f"{APPRAISAL_YEAR} appraisal by unit", report.appraisal_by_unit)
    render_appraisal(console, f"{APPRAISAL_YEAR} appraisal by township",
                     report.appraisal_by_township)
    _render_coverage_and_summaries(console, report, truth)


def render_trace(console: Console, report: Report) -> None:
    console.print(f"[bold]Trace of the unqualified lot[/bold] {report.lot}")
    upstream = Table(title="Upstream: the lots it came from (depth = links walked)")
    for column in ("depth", "lot"):
        upstream.add_column(column)
    for lot in sorted(report.upstream, key=lambda x: (x.get("depth", 0), x.get("lot_code", ""))):
        upstream.add_row(str(lot.get("depth", "")), str(lot.get("lot_code", "")))
    console.print(upstream)
    scope = Table(title="Recall scope: every downstream business (RV cases open for each)")
    for column in ("business", "township", "lot", "quantity", "basis"):
        scope.add_column(column)
    for row in report.recall_scope:
        scope.add_row(str(row.get("name") or row.get("entity_id")), str(row.get("township")),
                      str(row.get("lot_code")), f"{row.get('quantity')} {row.get('unit')}",
                      str(row.get("basis")))
    console.print(scope)


def render_appraisal(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    """Appraisal rows (``/assessment``), best score first; rows with nothing to show left out."""
    table = Table(title=title)
    for column in ("unit", "cases", "closed on time", "overdue", "samples", "unqualified",
                   "score"):
        table.add_column(column, justify="left" if column == "unit" else "right")
    for row in sorted(rows, key=lambda r: (r.get("score") is None, -(r.get("score") or 0))):
        if not row.get("cases_opened") and not row.get("samples"):
            continue
        table.add_row(str(row.get("name") or row.get("key")), f"{row.get('cases_opened', 0):,}",
                      _pct(row.get("closed_on_time_rate")), _pct(row.get("overdue_rate")),
                      f"{row.get('samples', 0):,}", _pct(row.get("unqualified_rate")),
                      "–" if row.get("score") is None else f"{row['score']:.1f}")
    console.print(table)


def _render_coverage_and_summaries(console: Console, report: Report,
                                   truth: dict[str, Any] | None) -> None:
    table = Table(title="School canteen sampling coverage (target ≥ 90 %) and annual summaries")
    for column in ("year", "canteens", "sampled", "coverage", "meets target", "expected",
                   "summaries on time", "late", "missing or open"):
        table.add_column(column, justify="right")
    for year in PLAN_YEARS:
        coverage = report.coverage.get(year, {})
        ratio = coverage.get("coverage")
        meets = "–" if ratio is None else ("yes" if coverage.get("meets_target") else "no")
        statuses = report.summaries.get(year, Counter())
        on_time, late = statuses.get("on_time", 0), statuses.get("late", 0)
        expected = _expected(truth, "canteen_coverage", year, "ratio")
        table.add_row(str(year), str(coverage.get("registered", "")),
                      str(coverage.get("sampled", "")), _pct(ratio), meets,
                      _pct(expected) if isinstance(expected, float) else "",
                      str(on_time), str(late), str(sum(statuses.values()) - on_time - late))
    console.print(table)
