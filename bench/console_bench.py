"""Server time of each console page on the demo data set (p50 / p95 / max).

    python -m bench.console_bench [--size default --requests 60 --screenshots docs/console]

Generates the demo's data set (``fangxin generate --size default``, seed 20240101: 40,013
messages), runs it through a local stack as ``make demo`` does (Kafka, intake, workflow,
projections and the console as processes on embedded SQLite; waits until everything caught up),
signs in as the district office and requests every page ``--requests`` times, one at a time,
after three warm-up requests. *Server time* is what the console itself reports in its
``Server-Timing`` header (``app``: from the request's arrival to the response, the API calls it
waits for included; ``api``: the part spent waiting for the workflow and projections); *wall* is
the client's time on loopback. The case, lot and entity pages cycle through different cases and
businesses. Results go to the ``console`` section of docs/performance.md; ``--screenshots DIR``
also saves a PNG of each page there (Debian's chromium, ``services.console.screenshots``).
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console

from bench.harness import update_section
from fangxin.demo import OFFICE, Run, run_pipeline
from fangxin.generator import generate
from fangxin.local.secrets import local_tokens
from fangxin.stack import LocalStack

SERVICES = ("intake", "workflow", "projections", "console")
TARGET_MS = 200.0
RELOAD = {"cache-control": "no-cache"}  # what a browser's hard reload sends
TIMING = re.compile(r"app;dur=([\d.]+), api;dur=([\d.]+)")


@dataclass
class Page:
    name: str
    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    server: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def pages_of(workflow: str, token: str, lot: str, entities: list[str], year: int) -> list[Page]:
    headers = {"Authorization": f"Bearer {token}"}
    cases = httpx.get(f"{workflow}/cases", params={"state": "open", "overdue": "true",
                                                   "limit": 40}, headers=headers,
                      timeout=30).json()
    ids = [row["case_id"] for row in cases][::2] or ["none"]
    return [
        Page("my cases (overdue)", ["/cases"]),
        Page("my cases (filtered: open RC in 北郊乡)",
             ["/cases?view=open&kind=RC&township=township:%E5%8C%97%E9%83%8A%E4%B9%A1"]),
        Page("my cases (due soon)", ["/cases?view=due_soon"]),
        Page("case page", [f"/cases/{case_id}" for case_id in ids]),
        Page("lot page (traced lot)", [f"/lot?code={lot}"]),
        Page("entity page", [f"/entities/{e}" for e in entities] or ["/entities/none"]),
        Page(f"appraisal ({year}, by unit)", [f"/appraisal?period={year}&by=unit"]),
        Page(f"appraisal ({year}-Q2, by township)", [f"/appraisal?period={year}-Q2&by=township"]),
        Page(f"bulletin ({year})", [f"/bulletin?period={year}"]),
        Page(f"appraisal ({year}, by unit), reload without cache",
             [f"/appraisal?period={year}&by=unit"], RELOAD),
        Page(f"bulletin ({year}), reload without cache", [f"/bulletin?period={year}"], RELOAD),
    ]


def measure(url: str, token: str, pages: list[Page], requests: int) -> None:
    with httpx.Client(base_url=url, cookies={"fangxin_session": token}, timeout=30) as client:
        for page in pages:
            paths = itertools.cycle(page.paths)
            for i in range(requests + 3):
                started = time.perf_counter()
                answer = client.get(next(paths), headers=page.headers)
                wall = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    msg = f"{page.name}: {answer.status_code} {answer.text[:200]}"
                    raise RuntimeError(msg)
                found = TIMING.match(answer.headers["server-timing"])
                assert found is not None
                if i >= 3:
                    page.server.append(float(found[1]))
                    page.api.append(float(found[2]))
                    page.wall.append(wall)


def markdown(pages: list[Page], *, size: str, messages: int, requests: int,
             seconds: dict[str, float]) -> str:
    lines = [
        "## Console pages (server time)", "",
        f"- **date**: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- **machine**: {os.cpu_count()} CPUs, the whole stack on it (Kafka, four services)",
        f"- **data set**: `fangxin generate --size {size}` (seed 20240101), {messages:,} "
        f"messages through the pipeline as `make demo` runs it (caught up in "
        f"{seconds.get('catch up', 0):.0f} s), the services on embedded SQLite",
        f"- **method**: `python -m bench.console_bench`; each page {requests} times one at a "
        "time after 3 warm-up requests, signed in as the district office; *server* is the "
        "console's own `Server-Timing` (request in to response out, API calls included), *api* "
        "the part of it spent waiting for workflow and projections, *wall* the client's time "
        f"on loopback. Target: server p95 < {TARGET_MS:.0f} ms. The appraisal and bulletin "
        "pages reuse the projections' answers to the same token for "
        "`FANGXIN_ANSWER_CACHE_SECONDS` (60 s); the rows *reload without cache* send "
        "`Cache-Control: no-cache`, as a hard reload does, and show the API's own time. "
        "*api* adds up the calls a page makes at once, so it can exceed *server*.",
        "",
        "| page | server p50 ms | server p95 ms | server max ms | api p95 ms | wall p95 ms "
        "| p95 < 200 ms |",
        "|---|--:|--:|--:|--:|--:|:-:|",
    ]
    for page in pages:
        p95 = pct(page.server, 0.95)
        lines.append(
            f"| {page.name} | {statistics.median(page.server):.1f} | {p95:.1f} | "
            f"{max(page.server):.1f} | {pct(page.api, 0.95):.1f} | {pct(page.wall, 0.95):.1f} "
            f"| {'yes' if p95 < TARGET_MS else '**no**'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="default")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true", help="print, do not update the doc")
    args = parser.parse_args()
    dataset = generate(seed=20240101, size=args.size)
    traced = dataset.truth.traced_lot
    assert traced is not None
    # the bench times pages, many per minute for one unit: the APIs' rate limit would refuse
    # them (the services inherit this environment)
    os.environ["FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE"] = "0"
    with tempfile.TemporaryDirectory(prefix="console-bench-") as state:
        stack = LocalStack.on_free_ports(Path(state))
        run = Run(dataset=dataset)
        try:
            print(f"running {len(dataset.messages):,} messages through the stack")
            run_pipeline(Console(file=io.StringIO(), width=160), stack, dataset, run)
            token = local_tokens(stack.state_dir)[OFFICE]
            url = stack.services["console"].url
            pages = pages_of(stack.services["workflow"].url, token, traced.lot_code,
                             [b["entity_id"] for b in traced.downstream], 2024)
            measure(url, token, pages, args.requests)
            if args.screenshots is not None:
                from services.console.screenshots import take  # noqa: PLC0415 - dev extra

                for path in take(url, token, args.screenshots):
                    print(path)
        finally:
            stack.stop()
    block = markdown(pages, size=args.size, messages=len(dataset.messages),
                     requests=args.requests, seconds=run.seconds)
    print(block)
    if not args.no_write:
        update_section("console", block)


if __name__ == "__main__":
    main()
