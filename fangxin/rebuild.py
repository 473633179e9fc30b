"""``fangxin projections rebuild``: ask the running projections service to rebuild its read
models and follow it until it has switched over; or, with the service stopped, rebuild here."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

POLL_SECONDS = 0.5
FINISHED = {"done", "failed"}


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[records]} records"), TimeElapsedColumn(),
                    console=console)


def _show(progress: Progress, task: Any, status: dict[str, Any]) -> None:
    progress.update(task, completed=status["progress"], description=status["state"],
                    records=f"{status['replayed']:,}/{status['total']:,}")


def _report(console: Console, status: dict[str, Any]) -> bool:
    if status["state"] != "done":
        console.print(f"[red]rebuild {status['state']}: {status.get('error')}")
        return False
    built = ", ".join(f"{m} → generation {g}" for m, g in status["generations"].items())
    console.print(f"switched: {built}; {status['replayed']:,} records replayed; "
                  "the old generations are dropped")
    return True


def online(console: Console, url: str, token: str, read_models: list[str] | None,
           timeout: float = 24 * 3600) -> bool:
    """Start a rebuild in the service at ``url`` and show its progress until it finishes."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        started = http.post("/admin/rebuild", json={"read_models": read_models})
        if started.status_code != 202:
            console.print(f"[red]{started.status_code} {started.text}")
            return False
        status: dict[str, Any] = started.json()
        deadline = time.monotonic() + timeout
        with _progress(console) as progress:
            task = progress.add_task(status["state"], total=1.0, records="0")
            while status["state"] not in FINISHED and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)  # a person watches; nothing to await but the service
                answer = http.get("/admin/rebuild")
                answer.raise_for_status()
                status = answer.json()
                _show(progress, task, status)
    return _report(console, status)


def service_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/live", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def offline(console: Console, read_models: list[str] | None) -> bool:
    """Rebuild in this process, the service being stopped (settings from ``FANGXIN_*``)."""
    from services.projections.generations import open_generations  # noqa: PLC0415
    from services.projections.rebuild import Rebuild, RebuildStatus  # noqa: PLC0415
    from services.projections.settings import ProjectionsSettings  # noqa: PLC0415

    settings = ProjectionsSettings()
    generations = open_generations(settings)
    with _progress(console) as progress:
        task = progress.add_task("starting", total=1.0, records="0")

        def observe(status: RebuildStatus, _replayed: int) -> None:
            _show(progress, task, status.as_json())

        try:
            rebuild = Rebuild(settings, generations, read_models or [], observe=observe)
        except ValueError as exc:
            console.print(f"[red]{exc}")
            return False
        finished = asyncio.run(rebuild.run())
    return _report(console, finished.as_json())
