"""A small benchmark framework: candidate vs raw baseline, same run, same local broker.

A *case* is a module-level ``async def case(ctx: Context) -> Sample`` that times its own hot
loop. :func:`run_case` runs it in a fresh spawned child process (so the peak RSS belongs to that
case alone) and :func:`compare` runs a candidate and its baseline back to back. A :class:`Report`
renders Markdown that :func:`update_section` writes between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->`` in ``docs/performance.md``, keeping the rest of the file.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import platform
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from fangxin.local.kafka import KafkaServer, kafka_version

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_MD = ROOT / "docs" / "performance.md"
INTRO = """# Performance

Figures on this page come from the scripts in `bench/`, never from hand-edited numbers. Each
benchmark starts its own single-node Kafka broker (the pinned version from
`deploy/local/kafka/pom.xml`, via `fangxin.local.kafka`) in a temporary directory on loopback,
runs the candidate and a raw aiokafka baseline one after the other against that same broker in
the same run, each in its own child process, and reports the ratio candidate / baseline. Ratios
are the figures to compare across machines; absolute rates depend on the machine described in
each section. Run, for example, `python -m bench.kafka_baseline` (the raw baseline itself); every
script rewrites only its own section of this file.
"""


@dataclass(frozen=True)
class Context:
    """What a case gets (picklable): where to talk and how much to send."""

    bootstrap: str
    topic: str
    messages: int
    size: int
    partitions: int
    group: str = ""
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    """What a case measures itself: messages handled in ``seconds``, optional latencies."""

    messages: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    payload_bytes: int = 0


@dataclass
class Result:
    """A sample plus what the harness measures around it."""

    label: str
    sample: Sample
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        return self.sample.messages / self.sample.seconds if self.sample.seconds else 0.0

    @property
    def mib_per_s(self) -> float:
        seconds = self.sample.seconds
        return self.sample.payload_bytes / seconds / 2**20 if seconds else 0.0

    def percentile(self, q: float) -> float | None:
        values = self.sample.latencies_ms
        if len(values) < 2:
            return None
        return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


Case = Callable[[Context], Awaitable[Sample]]


@dataclass
class Row:
    """One metric: the candidate, and the baseline it is divided by (None: itself)."""

    metric: str
    candidate: Result
    baseline: Result | None = None

    @property
    def ratio(self) -> float:
        if self.baseline is None or not self.baseline.rate:
            return 1.0
        return self.candidate.rate / self.baseline.rate


def peak_rss_mib() -> float:
    """Peak resident set of this process: its own high-water mark (``VmHWM``), because a spawned
    child inherits ``ru_maxrss`` from its parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(case: Case, ctx: Context) -> tuple[Sample, float]:
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # coordinator-not-ready chatter
    sample: Sample = asyncio.run(case(ctx))  # type: ignore[arg-type]
    return sample, peak_rss_mib()


def run_case(label: str, case: Case, ctx: Context) -> Result:
    """Run ``case`` in a fresh spawned child of this process; record its peak RSS."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        sample, rss = pool.submit(_child, case, ctx).result()
    return Result(label, sample, rss)


def compare(
    metric: str,
    candidate: tuple[str, Case],
    baseline: tuple[str, Case],
    make_context: Callable[[str], Context],
) -> Row:
    """Baseline first, then candidate, each with a context of its own (fresh topic/group)."""
    base = run_case(baseline[0], baseline[1], make_context("baseline"))
    cand = run_case(candidate[0], candidate[1], make_context("candidate"))
    return Row(metric, cand, base)


def make_message(seq: int, size: int = 850) -> bytes:
    """A JSON event of exactly ``size`` bytes (for ``size`` >= ~200), cheap to build."""
    head = (
        f'{{"event_id":"{seq:032x}","event_type":"InspectionRecorded","schema_version":1,'
        f'"aggregate_id":"permit-{seq % 100_000:08d}","sequence":{seq},'
        '"occurred_at":"2026-01-01T08:00:00+08:00",'
        '"payload":{"unit":"龙亭区市场监管所","result":"合格","pad":"'
    )
    tail = '"}}'
    body = head.encode()
    pad = size - len(body) - len(tail)
    return body + b"x" * max(pad, 0) + tail.encode()


def _meminfo_gib() -> float:
    text = Path("/proc/meminfo").read_text()
    found = re.search(r"MemTotal:\s+(\d+) kB", text)
    return int(found.group(1)) / 2**20 if found else 0.0


def _cpu_model() -> str:
    with_model = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return with_model.group(1).strip() if with_model else platform.processor()


def environment(messages: int, size: int, partitions: int) -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs ({_cpu_model()}), {_meminfo_gib():.1f} GiB RAM",
        "software": (
            f"Kafka {kafka_version()} (single node, KRaft), aiokafka "
            f"{metadata.version('aiokafka')}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}"
        ),
        "workload": f"{messages:,} messages of {size} bytes (JSON), {partitions} partitions",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


@dataclass
class Report:
    name: str
    title: str
    env: dict[str, str]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        lines += [f"- **{key}**: {value}" for key, value in self.env.items()]
        lines += [
            "",
            "| metric | implementation | messages | msg/s | MiB/s | p50 ms | p99 ms "
            "| peak RSS MiB | ratio |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for row in self.rows:
            lines.append(_line(row.metric, row.candidate, f"{row.ratio:.2f}"))
            if row.baseline is not None:
                lines.append(_line(row.metric, row.baseline, "1.00"))
        if self.notes:
            lines += ["", *[f"- {note}" for note in self.notes]]
        return "\n".join(lines) + "\n"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _line(metric: str, result: Result, ratio: str) -> str:
    cells = [
        metric,
        result.label,
        f"{result.sample.messages:,}",
        f"{result.rate:,.0f}",
        f"{result.mib_per_s:.1f}",
        _ms(result.percentile(0.5)),
        _ms(result.percentile(0.99)),
        f"{result.peak_rss_mib:.0f}",
        ratio,
    ]
    return "| " + " | ".join(cells) + " |"


def update_section(name: str, block: str, path: Path = PERFORMANCE_MD) -> None:
    """Replace (or append) the marked section ``name``; create the file with an intro."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    section = f"{start}\n{block.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else INTRO
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def uscc_codes(count: int) -> list[str]:
    """Made-up unified social credit codes of Longting businesses, valid (GB 32100 check
    character) and deterministic: the workloads' business ids."""
    from contracts.identifiers import USCC_CHARSET, uscc_check_character  # noqa: PLC0415

    codes = []
    for n in range(count):
        body = f"9141020{2 + n % 7}MA" + "".join(USCC_CHARSET[(n >> (5 * i)) % 31]
                                                for i in range(7))
        codes.append(body + uscc_check_character(body))
    return codes


def publish_report(name: str, report: Report, *, write: bool, started: float) -> None:
    """Print a benchmark's section, write it into docs/performance.md unless told not to, and
    say how long the whole run took (``started``: ``time.monotonic()`` at its start)."""
    block = report.markdown()
    print(block)
    if write:
        update_section(name, block)
    print(f"done in {time.monotonic() - started:.0f}s")


async def _warm_group_coordinator(bootstrap: str) -> None:
    """Make the broker create ``__consumer_offsets`` now, not inside a timed case."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            while True:
                try:
                    await admin.find_coordinator("bench-warm-up")
                except KafkaError:
                    await asyncio.sleep(0.1)
                else:
                    return
    finally:
        await admin.close()


@contextmanager
def local_broker(heap: str = "-Xms256m -Xmx512m") -> Iterator[KafkaServer]:
    """A fresh broker in a temporary directory for one benchmark run."""
    with tempfile.TemporaryDirectory(prefix="fangxin-bench-kafka-") as tmp:
        server = KafkaServer(Path(tmp), heap=heap)
        started = time.monotonic()
        with server:
            print(f"broker {server.bootstrap_servers} up in {time.monotonic() - started:.1f}s")
            asyncio.run(_warm_group_coordinator(server.bootstrap_servers))
            yield server
