"""The main job: a generated Longting data set through the whole pipeline, then the report.

Stages, each timed: generate the data set, start Kafka and create the topics, start intake,
workflow and projections (embedded SQLite), publish every message to the inbound topic, wait
until every service has caught up (consumer-group lag and the services' own metrics, never a
sleep), then read the report from the services' APIs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fangxin.catchup import CatchUp, Snapshot
from fangxin.generator import Dataset, generate
from fangxin.generator.files import publish_messages
from fangxin.local.secrets import local_tokens
from fangxin.report import Report, collect, render
from fangxin.stack import LocalStack

OFFICE = "district-food-safety-office"
CATCH_UP_SECONDS = 900  # the default data set catches up in a few minutes on 2 cores


@dataclass
class Run:
    """What one pass of the pipeline gave: the data set, the report and the time per stage."""

    dataset: Dataset | None = None
    report: Report | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - started


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def publish(console: Console, stack: LocalStack, bootstrap: str, dataset: Dataset) -> int:
    with _progress(console) as bar:
        task = bar.add_task(f"publishing to {stack.topics.inbound}",
                            total=len(dataset.messages))
        return asyncio.run(publish_messages(bootstrap, stack.topics.inbound, dataset.messages,
                                            progress=lambda n: bar.advance(task, n)))


def catch_up(console: Console, stack: LocalStack, bootstrap: str, published: int,
             within: float = CATCH_UP_SECONDS) -> Snapshot:
    watcher = CatchUp(bootstrap, stack.topics, lambda name: stack.services[name].metrics())
    with _progress(console) as bar:
        task = bar.add_task("services catching up (answered by intake)", total=published)

        def show(snapshot: Snapshot) -> None:
            behind = sum(snapshot.behind.values())
            bar.update(task, completed=min(snapshot.answered, published),
                       description=f"services catching up: {behind} partitions behind, "
                                   f"relay lag {snapshot.relay_lag}")

        return asyncio.run(watcher.wait(published, within=within, progress=show))


def run_pipeline(console: Console, stack: LocalStack, dataset: Dataset, run: Run) -> Report:
    """Start everything in ``stack``, push ``dataset`` through, wait, and collect the report."""
    with run.stage("start Kafka"), console.status("starting Kafka"):
        bootstrap = stack.start_kafka()
    with run.stage("start services"), \
            console.status("starting intake, workflow and projections"):
        stack.start_services(bootstrap)
    with run.stage("publish"):
        published = publish(console, stack, bootstrap, dataset)
    with run.stage("catch up"):
        catch_up(console, stack, bootstrap, published)
    with run.stage("report"):
        token = local_tokens(stack.state_dir)[OFFICE]
        urls = {name: service.url for name, service in stack.services.items()}
        lot = dataset.truth.traced_lot.lot_code if dataset.truth.traced_lot else None
        run.report = collect(urls, token, lot)
    return run.report


def print_timings(console: Console, run: Run) -> None:
    table = Table(title="Time per stage")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for name, seconds in run.seconds.items():
        table.add_row(name, f"{seconds:.1f}")
    table.add_row("total", f"{sum(run.seconds.values()):.1f}")
    console.print(table)


def demo(console: Console, stack: LocalStack, *, seed: int, size: str | int) -> Run:
    """The whole main job; the caller stops ``stack``."""
    if not console.is_terminal:  # a log file or a pipe: wide enough for the tables
        console.width = max(console.width, 132)
    run = Run()
    with run.stage("generate"), console.status(f"generating the {size} data set"):
        run.dataset = generate(seed=seed, size=size)
    console.print(f"{len(run.dataset.messages):,} messages generated (seed {seed}, {size})")
    report = run_pipeline(console, stack, run.dataset, run)
    render(console, report, asdict(run.dataset.truth))
    print_timings(console, run)
    return run
