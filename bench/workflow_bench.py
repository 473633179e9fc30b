"""Workflow writes on PostgreSQL against raw eventsourcing saves, and the timer scan.

    python -m bench.workflow_bench [--facts 4000 --aggregates 10000 --repeat 3
                                    --timer-cases 100000 --runs 200]

One ephemeral PostgreSQL cluster (``fangxin.local.postgres.PostgresServer`` with
``durable=True``: fsync and synchronous_commit on, as in production) serves every case of the
run, each case in a fresh database of its own and in a spawned child process of its own.

``raw save()``: the baseline. A plain ``Aggregate`` whose created event carries a payload
taken from real ``Case.Opened`` events of this workload (cycled), saved by
``Application.save()`` one aggregate per call (reference) and 100 per call (the baselines the
candidate is divided by). Two payloads: ``text``, the Opened event's stored JSON as one string
(same size, cheapest to encode: the stricter baseline), and ``fields``, the Opened event's own
fields and values (so the encoding work equals a case's). Aggregates are constructed inside the
timed loop, as the candidate's are.

``Workflow.handle``: the candidate, with the workflow's own recorder (inbox table, events
inserted as arrays). Realistic facts (90 % unqualified ``foodsafety.sampling.reported`` with
unique sample ids, 10 % ``foodsafety.complaint.received``, each opening one case, about
businesses registered beforehand), translated by ``commands_for`` outside the timed loop, then
decided and recorded by ``Workflow.handle`` in batches of 100 and 500, one call (one
transaction: case events, inbox rows and the Kafka position) per batch. The rate counts the case
events committed (read back from the store at the end), not inbox rows.

Each is run with three settings: ``plain`` (no cipher, no compression), ``cipher`` (AES-256-GCM
via ``CIPHER_TOPIC=eventsourcing.cryptography:AESCipher`` and a key from
``AESCipher.create_key(32)``), and ``production`` (what ``WorkflowSettings`` configures: the
cipher, zlib compression and an aggregate cache of 5,000). The ratios divide by the raw batched
save with the same setting. Every case runs ``--repeat`` times in rounds; the median is kept.

The timer scan: ``wf_cases`` and ``wf_timers`` filled with 100,000 open cases, then
``CaseIndex.due_timers(now)`` (at most 1,000 rows), the same query without the limit (every due
timer) and ``CaseIndex.counts()`` (a full scan of ``wf_cases``) timed repeatedly, on
PostgreSQL and on an SQLite file.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from bench.harness import Context, Result, Sample, run_case, update_section, uscc_codes
from contracts.envelope import CloudEvent
from fangxin.local.postgres import PostgresServer
from services.platform.settings import POSTGRES_PERSISTENCE
from services.workflow.application import Message, Workflow
from services.workflow.case_index import CaseIndex, _row, _timers, stamp
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import OpenCase
from services.workflow.translate import commands_for, message_id
from tests.unit.contracts.examples import example

NAME = "workflow"
SETTINGS = ("plain", "cipher", "production")
ENTITIES = 1000
COMPLAINT_SHARE = 0.1
_KINDS = ("seller", "catering", "market", "small_shop", "producer", "school_canteen")
_TOWNSHIPS = ("午朝门街道", "北道门街道", "北书店街道", "大兴街道", "北郊乡", "柳园口乡")
_PRODUCTS = (("韭菜", "蔬菜"), ("豇豆", "蔬菜"), ("鸡蛋", "蛋及蛋制品"),
             ("猪肉", "畜禽肉及副产品"), ("大米", "粮食加工品"), ("卤肉", "肉制品"))
_PROGRAMS = ("supervisory", "supervisory", "risk_monitoring", "evaluation")
_EPOCH = datetime(2025, 1, 6, 8, tzinfo=UTC)  # chinese-calendar knows 2025 and 2026

# --- the workload ----------------------------------------------------------------------------


def _cloud_event(fact_type: str, event_id: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent.model_validate({
        "specversion": "1.0", "id": event_id, "source": "urn:fangxin:bench", "type": fact_type,
        "time": "2025-06-12T10:00:00+08:00", "data": data})


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def registrations(codes: Sequence[str]) -> list[CloudEvent]:
    rng = random.Random(3)
    return [_cloud_event("foodsafety.entity.registered", f"reg-{code}", example(
        "foodsafety.entity.registered", entity_id=code, name=f"开封市龙亭区商户{n:05d}",
        kind=rng.choice(_KINDS), township=rng.choice(_TOWNSHIPS)))
        for n, code in enumerate(codes)]


def facts(count: int, codes: Sequence[str], seed: int = 11) -> list[CloudEvent]:
    """Unqualified samples (unique sample ids) and complaints about registered businesses."""
    rng = random.Random(seed)
    out = []
    for seq in range(count):
        entity = rng.choice(codes)
        at = _EPOCH + timedelta(minutes=rng.randrange(500_000))
        if rng.random() < COMPLAINT_SHARE:
            out.append(_cloud_event("foodsafety.complaint.received", f"cmp-{seed}-{seq}", example(
                "foodsafety.complaint.received", complaint_id=f"12315{seed:04d}{seq:012d}",
                received_at=_local(at), respondent={"entity_id": entity},
                channel=rng.choice(("12315", "hotline_12345", "online")))))
            continue
        product, category = rng.choice(_PRODUCTS)
        out.append(_cloud_event("foodsafety.sampling.reported", f"smp-{seed}-{seq}", example(
            "foodsafety.sampling.reported", sample_id=f"DC25{seed:04d}{seq:010d}",
            entity_id=entity, product=product, category=category,
            program=rng.choice(_PROGRAMS), lot_code=f"LT{seq % 10_000:04d}",
            sampled_at=_local(at - timedelta(days=5)), reported_at=_local(at))))
    return out


def messages(events: Sequence[CloudEvent]) -> list[Message]:
    return [(message_id(f), commands_for(f)) for f in events]


def batches(items: Sequence[Message], size: int) -> Iterator[Sequence[Message]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- the settings ----------------------------------------------------------------------------


def setting_env(setting: str) -> dict[str, str]:
    if setting == "plain":
        return {}
    env = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
           "CIPHER_KEY": AESCipher.create_key(32)}
    if setting == "production":  # as WorkflowSettings.eventsourcing_env
        env |= {"COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
                "AGGREGATE_CACHE_MAXSIZE": "5000"}
    return env


def pg_env(server: PostgresServer, dbname: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": POSTGRES_PERSISTENCE, "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": server.host, "POSTGRES_PORT": str(server.port),
            "POSTGRES_USER": server.user, "POSTGRES_PASSWORD": "",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n"}  # on, it drops tracking records (9.5.6)


# --- the baseline: raw eventsourcing ---------------------------------------------------------


class Filler(Aggregate):
    """A plain aggregate whose created event carries a case's Opened fields and values."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload


class RawStore(Application[Any]):
    name = "raw"


def opened_payloads(kind: str = "fields", count: int = 50) -> list[dict[str, Any]]:
    """Payloads like real ``Case.Opened`` events of this workload (POPO, not timed).

    ``fields``: the event's own fields and values; ``text``: its stored JSON as one string (the
    same size, compressible alike, but cheaper to encode).
    """
    app = Workflow(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    codes = uscc_codes(ENTITIES)
    app.handle(messages(registrations(codes)), Tracking("bench", 1))
    app.handle(messages(facts(count, codes, seed=99)), Tracking("bench", 2))
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    payloads = []
    for notification in app.recorder.select_notifications(1, 10_000):
        if not notification.topic.endswith("Case.Opened"):
            continue
        if kind == "text":
            payloads.append({"text": notification.state.decode().replace('"', "'")})
            continue
        opened = app.mapper.to_domain_event(notification)
        payloads.append({k: str(v) if k == "kind" else v
                         for k, v in vars(opened).items() if k not in skip})
    app.close()
    return payloads


def stored_sizes() -> dict[str, float]:
    """Mean stored size (plain JSON, bytes) of real Opened events and of the two fillers."""
    app = RawStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})

    def mean_size(payloads: list[dict[str, Any]]) -> float:
        return statistics.mean(len(app.mapper.to_stored_event(Filler(p).collect_events()[0])
                                   .state) for p in payloads)

    texts = opened_payloads("text")
    return {"Case.Opened": statistics.mean(len(t["text"].encode()) for t in texts),
            "fields": mean_size(opened_payloads("fields")), "text": mean_size(texts)}


async def raw_saves(ctx: Context) -> Sample:
    """``ctx.messages`` new aggregates, ``ctx.size`` per ``save()``; payload kind in group."""
    app = RawStore(env=ctx.options)
    payloads = opened_payloads(ctx.group)
    begin = time.perf_counter()
    for start in range(0, ctx.messages, ctx.size):
        app.save(*[Filler(payloads[i % len(payloads)])
                   for i in range(start, min(start + ctx.size, ctx.messages))])
    seconds = time.perf_counter() - begin
    app.close()
    return Sample(ctx.messages, seconds)


# --- the candidate: Workflow.handle ----------------------------------------------------------


async def workflow_handle(ctx: Context) -> Sample:
    """``ctx.messages`` facts in batches of ``ctx.size``; counts the committed case events."""
    app = Workflow(env=ctx.options)
    codes = uscc_codes(ENTITIES)
    offsets = itertools.count(1)
    for batch in batches(messages(registrations(codes)), 500):  # not timed
        app.handle(batch, Tracking("kafka:bench:0", next(offsets)))
    work = messages(facts(ctx.messages, codes))
    cases_before = _case_events(ctx)
    latencies = []
    begin = time.perf_counter()
    for batch in batches(work, ctx.size):
        started = time.perf_counter()
        app.handle(batch, Tracking("kafka:bench:0", next(offsets)))
        latencies.append((time.perf_counter() - started) * 1000)
    seconds = time.perf_counter() - begin
    app.close()
    return Sample(_case_events(ctx) - cases_before, seconds, latencies)


def _case_events(ctx: Context) -> int:
    with psycopg.connect(ctx.bootstrap) as conn:
        row = conn.execute("SELECT count(*) FROM workflow_events"
                           " WHERE topic LIKE '%:Case.%'").fetchone()
    return int(row[0]) if row else 0


# --- the timer scan --------------------------------------------------------------------------


@dataclass
class Timing:
    store: str
    query: str
    rows: int
    runs: list[float]
    cases: int = 0
    timers: int = 0

    def quantile(self, q: float) -> float:
        return statistics.quantiles(self.runs, n=100, method="inclusive")[round(q * 100) - 1]


def template_cases() -> list[Case]:
    """Open cases of the workload, as the workflow made them (POPO, not timed)."""
    app = Workflow(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    codes = uscc_codes(ENTITIES)
    app.handle(messages(registrations(codes)), Tracking("bench", 1))
    work = facts(40, codes, seed=98)
    app.handle(messages(work), Tracking("bench", 2))
    cases: list[Case] = [app.repository.get(Case.create_id(c.case_id))
                         for _, commands in messages(work) for c in commands
                         if isinstance(c, OpenCase)]
    app.close()
    return cases


def index_rows(count: int, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows equal to what ``CaseIndex.write`` stores for ``count`` open cases.

    Built by the index's own ``_row``/``_timers`` from real cases, with the case id replaced and
    every time shifted so that timers spread from 10 days before ``now`` to 60 days after it.
    """
    rng = random.Random(5)
    templates = [case for case in template_cases() if _timers(case)]
    cases: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    for n in range(count):
        case = templates[n % len(templates)]
        row, own = _row(case), _timers(case)
        first = min(t["at"] for t in own)
        shift = now - timedelta(days=10) + timedelta(minutes=rng.randrange(70 * 1440)) - \
            datetime.fromisoformat(first)
        case_id = f"{case.case_id}-{n:06d}"
        row = {**row, "case_id": case_id, "opened_at": _shifted(row["opened_at"], shift),
               "next_due": _shifted(row["next_due"], shift)}
        cases.append(row)
        timers += [{**t, "case_id": case_id, "at": _shifted(t["at"], shift)} for t in own]
    return cases, timers


def _shifted(text: str | None, by: timedelta) -> str | None:
    return None if text is None else stamp(datetime.fromisoformat(text) + by)


_CASE_COLUMNS = ("case_id", "kind", "action", "lead", "owners", "township_unit", "entity_id",
                 "state", "closed", "opened_at", "closed_at", "version", "overdue", "next_due",
                 "provisional")
_TIMER_COLUMNS = ("case_id", "deadline", "kind", "at", "provisional")


def fill_index(index: CaseIndex, cases: list[dict[str, Any]],
               timers: list[dict[str, Any]]) -> None:
    """Bulk-load the rows (COPY on PostgreSQL, executemany on SQLite), then ANALYZE."""
    with index.datastore.transaction(commit=True) as curs:
        for table, columns, rows in (("wf_cases", _CASE_COLUMNS, cases),
                                     ("wf_timers", _TIMER_COLUMNS, timers)):
            if index.postgres:
                with curs.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in columns])
            else:
                marks = ", ".join("?" * len(columns))
                curs.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                 [[row[c] for c in columns] for row in rows])
        curs.execute("ANALYZE")


def time_scans(store: str, index: CaseIndex, now: datetime, runs: int) -> list[Timing]:
    def timed(query: str, call: Any, repeat: int) -> Timing:
        call()  # warm
        found, samples = 0, []
        for _ in range(repeat):
            started = time.perf_counter()
            found = len(call()) if query != "counts()" else call()["open"]
            samples.append((time.perf_counter() - started) * 1000)
        return Timing(store, query, found, samples, index.counts()["open"],
                      _count_timers(index))

    return [
        timed("due_timers(now)", lambda: index.due_timers(now), runs),
        timed("due_timers(now, limit=∞): every due timer",
              lambda: index.due_timers(now, limit=10_000_000), max(runs // 5, 10)),
        timed("counts()", index.counts, max(runs // 5, 10)),
    ]


def _count_timers(index: CaseIndex) -> int:
    with index.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT count(*) AS n FROM wf_timers")
        return int(curs.fetchone()["n"])


def timer_scan(server: PostgresServer, count: int, runs: int) -> list[Timing]:
    now = datetime.now(UTC)
    cases, timers = index_rows(count, now)
    print(f"timer scan: {len(cases):,} open cases, {len(timers):,} timers")
    out = []
    server.create_database("timers")
    app = Workflow(env=pg_env(server, "timers"))
    index = CaseIndex(app.recorder.datastore, app.recorder, postgres=True)  # type: ignore[attr-defined]
    fill_index(index, cases, timers)
    out += time_scans("PostgreSQL", index, now, runs)
    app.close()
    with tempfile.TemporaryDirectory(prefix="fangxin-bench-sqlite-") as tmp:
        app = Workflow(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                            "SQLITE_DBNAME": str(Path(tmp) / "workflow.sqlite")})
        index = CaseIndex(app.recorder.datastore, app.recorder, postgres=False)  # type: ignore[attr-defined]
        fill_index(index, cases, timers)
        out += time_scans("SQLite (file, WAL)", index, now, runs)
        app.close()
    return out


# --- running and reporting -------------------------------------------------------------------


@dataclass
class Line:
    label: str
    setting: str
    batch: int
    result: Result
    text: Result | None = None  # the baselines it is divided by
    fields: Result | None = None

    def ratio(self, baseline: Result | None) -> str:
        if baseline is None or not baseline.rate:
            return "–"
        return f"{self.result.rate / baseline.rate:.2f}"


@dataclass(frozen=True)
class Spec:
    label: str
    call: Any
    setting: str
    count: int
    size: int
    payload: str = ""


def run(server: PostgresServer, args: argparse.Namespace) -> list[Line]:
    """Every case ``args.repeat`` times, in rounds (noise spreads evenly); the median kept."""
    databases = itertools.count(1)

    def case(spec: Spec) -> Result:
        dbname = f"b{next(databases)}"
        server.create_database(dbname)
        env = {**pg_env(server, dbname), **setting_env(spec.setting)}
        ctx = Context(bootstrap=server.dsn(dbname), topic=dbname, messages=spec.count,
                      size=spec.size, partitions=1, group=spec.payload, options=env)
        result = run_case(spec.label, spec.call, ctx)
        print(f"{spec.label:>16} {spec.payload:>6} {spec.setting:>10} batch {spec.size:>4}: "
              f"{result.rate:9,.0f} events/s", flush=True)
        return result

    single = Spec("raw save(), text", raw_saves, "plain", args.single, 1, "text")
    text = {s: Spec("raw save(), text", raw_saves, s, args.aggregates, 100, "text")
            for s in SETTINGS}
    fields = {s: Spec("raw save(), fields", raw_saves, s, args.aggregates, 100, "fields")
              for s in SETTINGS}
    handled = [Spec("Workflow.handle (case events)", workflow_handle, s, args.facts, size)
               for s in SETTINGS for size in args.batch]
    specs = [single, *text.values(), *fields.values(), *handled]
    runs: dict[Spec, list[Result]] = {spec: [] for spec in specs}
    for _ in range(args.repeat):
        for spec in specs:
            runs[spec].append(case(spec))
    median = {spec: sorted(results, key=lambda r: r.rate)[len(results) // 2]
              for spec, results in runs.items()}
    lines = [Line(spec.label, spec.setting, spec.size, median[spec])
             for spec in (single, *text.values(), *fields.values())]
    lines += [Line(spec.label, spec.setting, spec.size, median[spec], median[text[spec.setting]],
                   median[fields[spec.setting]]) for spec in handled]
    return lines


def postgres_version(server: PostgresServer) -> str:
    with psycopg.connect(server.dsn()) as conn:
        shown = {name: str(row[0]) if (row := conn.execute(f"SHOW {name}").fetchone()) else "?"
                 for name in ("server_version", "fsync", "synchronous_commit")}
    return (f"PostgreSQL {shown['server_version']} (fsync={shown['fsync']}, "
            f"synchronous_commit={shown['synchronous_commit']})")


def environment(server: PostgresServer, args: argparse.Namespace) -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs ({cpu}), {memory / 2**20:.1f} GiB RAM, ext4 disk",
        "software": (f"{postgres_version(server)} on loopback, ephemeral (durable=True), "
                     f"eventsourcing {metadata.version('eventsourcing')}, psycopg "
                     f"{metadata.version('psycopg')}, Python {platform.python_version()}"),
        "workload": (f"median of {args.repeat} runs each; raw: {args.single:,} aggregates one "
                     f"per save(), {args.aggregates:,} "
                     f"100 per save(); workflow: {args.facts:,} facts per run "
                     f"({100 - COMPLAINT_SHARE * 100:.0f} % unqualified samples, "
                     f"{COMPLAINT_SHARE * 100:.0f} % complaints) about {ENTITIES:,} registered "
                     f"businesses, batch sizes {', '.join(map(str, args.batch))}"),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown(env: dict[str, str], lines: list[Line], scans: list[Timing],
             sizes: dict[str, float]) -> str:
    out = ["## Workflow: facts to committed case events on PostgreSQL", ""]
    out += [f"- **{key}**: {value}" for key, value in env.items()]
    out += ["", "| implementation | setting | per call | events | events/s | p50 ms/call "
            "| p99 ms/call | peak RSS MiB | ratio vs text | ratio vs fields |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for line in lines:
        result = line.result
        p50, p99 = (result.percentile(q) for q in (0.5, 0.99))
        out.append(f"| {line.label} | {line.setting} | {line.batch} | "
                   f"{result.sample.messages:,} | {result.rate:,.0f} | {_ms(p50)} | {_ms(p99)} "
                   f"| {result.peak_rss_mib:.0f} | {line.ratio(line.text)} | "
                   f"{line.ratio(line.fields)} |")
    if scans:
        out += ["", f"Timer scan, {scans[0].cases:,} open cases ({scans[0].timers:,} timers):",
                "", "| store | query | rows | runs | p50 ms | p99 ms |",
                "|---|---|--:|--:|--:|--:|"]
        out += [f"| {s.store} | `{s.query}` | {s.rows:,} | {len(s.runs)} | "
                f"{s.quantile(0.5):.1f} | {s.quantile(0.99):.1f} |" for s in scans]
    size_note = (f"Mean stored size (plain JSON): a real `Case.Opened` {sizes['Case.Opened']:,.0f}"
                 f" bytes; the fields filler {sizes['fields']:,.0f}; the text filler "
                 f"{sizes['text']:,.0f}.")
    out += ["", *[f"- {note}" for note in (*verdicts(lines, scans), *NOTES, size_note)]]
    return "\n".join(out) + "\n"


def verdicts(lines: list[Line], scans: list[Timing]) -> list[str]:
    """The issue's two targets, judged from this run's figures."""
    handled = [line for line in lines if line.text is not None]
    out = []
    production = [line for line in handled if line.setting == "production"]
    if production:
        worst, best = _ratio_range(production)
        every = _ratio_range(handled)
        out.append(f"Target: Workflow.handle at least 0.5 × raw save() of 100 per call with the "
                   f"production settings (cipher + zlib). This run: {worst:.2f} to {best:.2f} "
                   f"against the text baseline, so {'met' if worst >= 0.5 else 'NOT met'}; "
                   f"with every setting: {every[0]:.2f} to {every[1]:.2f}.")
    due = [s for s in scans if s.query == "due_timers(now)"]
    if due:
        slowest = max(s.quantile(0.99) for s in due)
        out.append(f"Target: the timer scan with {due[0].cases:,} open cases under one second. "
                   f"This run: p99 of `due_timers(now)` at most {slowest:.0f} ms, so "
                   f"{'met' if slowest < 1000 else 'NOT met'}.")
    return out


def _ratio_range(lines: list[Line]) -> tuple[float, float]:
    ratios = [line.result.rate / line.text.rate for line in lines if line.text]
    return min(ratios), max(ratios)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


NOTES = (
    "Every write case runs in its own spawned child process and its own fresh database of one "
    "PostgreSQL cluster started for the run with fsync and synchronous_commit on; all cases run "
    "`--repeat` times in rounds and the run with the median rate is shown (the machine is "
    "shared with other work: see the load average).",
    "raw save(): `Application.save()` of new plain aggregates, constructed in the timed loop; "
    "one aggregate per call (reference) and 100 per call (the baselines). Payload *text*: the "
    "stored JSON of a real `Case.Opened` event of this workload as one string (same size, "
    "compresses alike, cheapest to encode: the stricter baseline); *fields*: that event's own "
    "fields and values (nested dicts, datetimes), so encoding costs what a case's does. "
    "events = aggregates saved.",
    "Workflow.handle: one call per batch of facts, each a single transaction holding the case "
    "events, one inbox row per fact (the `workflow_inbox` table, one multi-row insert) and the "
    "Kafka position (tracking record). events = case events committed (read back from the "
    "store), inbox rows not counted; p50/p99 = one `handle` call. Translation "
    "(`commands_for`) happens before the timed loop. The workflow's own PostgreSQL recorder "
    "(`services/workflow/inbox.py`) inserts the events as four arrays through `unnest` where "
    "eventsourcing's stock recorder, which the raw baseline keeps, sends one array of a "
    "composite type: same rows, same table lock and notification.",
    "Settings: plain (no cipher), cipher (AES-256-GCM, `AESCipher.create_key(32)`), production "
    "(cipher + zlib + `AGGREGATE_CACHE_MAXSIZE=5000`, as `WorkflowSettings`). ratio = candidate "
    "events/s / raw save() of 100 per call with the same setting and that payload.",
    "Timer scan: rows loaded by direct bulk INSERT (COPY on PostgreSQL), each row built by "
    "`CaseIndex`'s own `_row`/`_timers` from real cases opened by the workflow with the case id "
    "replaced and times shifted so that timers spread from 10 days before now to 60 days after; "
    "then ANALYZE. `due_timers(now)` is the timer loop's query (at most 1,000 rows); the "
    "unlimited variant reads every due timer; `counts()` is the metrics gauge's full scan of "
    "`wf_cases`. Each call is one read transaction, timed from the caller.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--facts", type=int, default=4000)
    parser.add_argument("--aggregates", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; median kept")
    parser.add_argument("--single", type=int, default=3000)
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--timer-cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print, keep docs unchanged")
    args = parser.parse_args()
    with PostgresServer(durable=True) as server:
        env = environment(server, args)
        lines = run(server, args)
        scans = timer_scan(server, args.timer_cases, args.runs) if args.timer_cases else []
    text = markdown(env, lines, scans, stored_sizes())
    print(text)
    if not args.no_write:
        update_section(NAME, text)


if __name__ == "__main__":
    main()
