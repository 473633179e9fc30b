"""The trace read model on PostgreSQL: rebuild rate against raw COPY, trace queries, and latency.

    python -m bench.projections_bench [--facts 1000000 --repeat 3 --movements 1000000
                                       --queries 1000 --seconds 30 --rate 500]

One ephemeral PostgreSQL cluster (``durable=True``: fsync and synchronous_commit on) serves the
run; every case gets a fresh database and a spawned child process of its own.

*Rebuild*: ``--facts`` trace facts of :class:`bench.trace_graph.TraceGraph` replayed through
``TraceProjection.apply`` on the view the service opens (``app.open_view``), one call (one
transaction: rows and Kafka position) per ``TRANSACTION_RECORDS`` facts, as a rebuild
(``services.projections.rebuild``) writes a partition. The facts are generated and parsed
(``CloudEvent.model_validate_json``, what the consumer does) outside the timed calls; the parse
is reported apart. *Raw COPY*, the baseline: the same facts turned into the same rows by
``build_rows`` outside the timer, the lot rows merged in Python, then ``COPY`` into the same
tables (same indexes) in one transaction. Both count the
rows in the tables afterwards; they must agree. Cases alternate, ``--repeat`` times; medians.

*Queries*: a graph of ``--movements`` movements (same generator, loaded by COPY, then ANALYZE),
``upstream`` / ``downstream`` of the view (what the HTTP API calls) at depth 10, 500 per page:
random lots, then the hub lots (condiments and flour used by thousands of transformations;
late products of milled flour) read page by page to the end, and in one unlimited page.

*End to end*: Kafka, intake and projections as processes (``fangxin.local``), trace facts
published to the inbound topic at a fixed rate; the time from publish until the fact's rows are
committed in the trace view (polled every 5 ms), per fact.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import itertools
import json
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import InfrastructureFactory, Tracking

from bench.harness import (
    PERFORMANCE_MD,
    Context,
    Result,
    Sample,
    environment,
    local_broker,
    run_case,
    update_section,
)
from bench.trace_graph import SOURCE, TraceGraph
from bench.workflow_bench import postgres_version
from contracts.envelope import CloudEvent
from contracts.topics import Topics
from fangxin.local.kafka import create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.processes import free_port
from fangxin.local.secrets import ensure_local_secrets
from fangxin.local.services import ServiceProcess
from services.projections.rebuild import TRANSACTION_RECORDS
from services.projections.settings import ProjectionsSettings
from services.projections.trace import PostgresTraceView, TraceProjection
from services.projections.trace.batch import build_rows
from services.projections.trace.rows import Rows
from services.projections.trace.schema import TABLES, WRITES

NAME = "projections"
SEED = 7
STREAM = "trace:kafka:foodsafety.trace.v1:0"
PAGE = 500  # the HTTP API's default page
SMALL_PAGE = 100  # the same random lots, a first page of 100 (the rest on later pages)
HUB_PAGES = 10  # pages of a hub lot read one after the other


class TimedTraceView(PostgresTraceView):
    """The view, counting the time its calls spend in their statements (sent, executed and
    answered: what the driver waits for), so a query's time splits into database and client."""

    statement_seconds = 0.0

    def _execute(self, curs: Any, statement: str, params: dict[str, Any]) -> None:
        begin = time.perf_counter()
        try:
            super()._execute(curs, statement, params)
        finally:
            self.statement_seconds += time.perf_counter() - begin


def open_trace_view(ctx: Context) -> TimedTraceView:
    """The view as the service opens it, with its settings from the context's options."""
    env = ProjectionsSettings(**ctx.options).eventsourcing_env("projections.sqlite")
    view: TimedTraceView = InfrastructureFactory.construct(env).tracking_recorder(
        TimedTraceView)
    return view


def chunks(facts: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for fact in facts:
        chunk.append(fact)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def table_rows(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES}
    return {t: int(row[0]) if row else 0 for t, row in counts.items()}


@dataclass
class RebuildSample(Sample):
    parse_seconds: float = 0.0
    index_seconds: float = 0.0  # building the deferred indexes, included in ``seconds``
    tables: dict[str, int] = field(default_factory=dict)


# --- rebuild: the projection's batched apply against raw COPY --------------------------------


async def rebuild(ctx: Context) -> Sample:
    """``ctx.messages`` facts through ``TraceProjection.apply``, ``ctx.size`` per call."""
    view = open_trace_view(ctx)
    view.defer_indexes()  # as a rebuild opens its fresh generation
    projection = TraceProjection(view)
    applying = parsing = 0.0
    latencies, offset = [], 0
    for chunk in chunks(TraceGraph(SEED).facts(ctx.messages), ctx.size):
        records = [json.dumps(fact, ensure_ascii=False).encode() for fact in chunk]
        begin = time.perf_counter()
        events = [CloudEvent.model_validate_json(record) for record in records]
        parsed = time.perf_counter()
        offset += len(records)
        projection.apply(events, Tracking(STREAM, offset))
        done = time.perf_counter()
        parsing += parsed - begin
        applying += done - parsed
        latencies.append((done - parsed) * 1000)
    begin = time.perf_counter()
    view.create_indexes()  # as a rebuild does before its first query: part of its time
    indexing = time.perf_counter() - begin
    tables = table_rows(ctx.bootstrap)
    return RebuildSample(sum(tables.values()), applying + indexing, latencies,
                         parse_seconds=parsing, tables=tables, index_seconds=indexing)


def copy_load(dsn: str, facts: Iterable[dict[str, Any]], chunk: int = 50_000) -> float:
    """COPY the rows of ``facts`` into the trace tables in one transaction; seconds spent in
    COPY and COMMIT. The rows are built by ``build_rows`` and rendered in COPY's text format
    between the timed parts, so the timer sees the server's ingest only."""
    lots, seconds = Rows(), 0.0
    lists = ("movements", "links", "edges", "certificates", "corrections")
    with psycopg.connect(dsn) as conn:
        for part in chunks(facts, chunk):
            rows = build_rows(CloudEvent.model_validate(fact) for fact in part)
            texts = {name: copy_text(WRITES[name].columns, getattr(rows, name))
                     for name in lists}
            begin = time.perf_counter()
            for name, text in texts.items():
                _copy(conn, WRITES[name].table, WRITES[name].columns, text)
            seconds += time.perf_counter() - begin
            lots.absorb(dataclasses.replace(rows, **{name: [] for name in lists}))
        columns = WRITES["lots"].columns
        merged: dict[str, dict[str, Any]] = {}
        for part in (lots.lots_seen, lots.lots_product, lots.lots_origin,
                     lots.lots_certificate):
            for lot, row in part.items():
                merged.setdefault(lot, {}).update(row)
        text = copy_text(columns, list(merged.values()))
        begin = time.perf_counter()
        _copy(conn, "trace_lot", columns, text)
        conn.commit()
        return seconds + time.perf_counter() - begin


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bytes:
    """Rows in COPY's text format."""
    return "".join("\t".join("\\N" if (v := row.get(c)) is None else str(v).translate(_ESCAPES)
                             for c in columns) + "\n" for row in rows).encode()


def _copy(conn: psycopg.Connection[Any], table: str, columns: tuple[str, ...],
          text: bytes) -> None:
    if text:
        with conn.cursor() as curs, curs.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(text)


async def raw_copy(ctx: Context) -> Sample:
    open_trace_view(ctx)  # the tables and indexes, as the view creates them
    seconds = copy_load(ctx.bootstrap, TraceGraph(SEED).facts(ctx.messages))
    tables = table_rows(ctx.bootstrap)
    return RebuildSample(sum(tables.values()), seconds, tables=tables)


# --- queries on a large graph ----------------------------------------------------------------


@dataclass
class Walk:
    """A hub lot read whole in one page, and its first pages as the HTTP API serves them."""

    lot: str
    direction: str
    lots: int
    movements: int
    one_page_ms: float
    pages_ms: list[float]
    paged_movements: int


@dataclass
class QuerySample(Sample):
    random: dict[str, list[float]] = field(default_factory=dict)  # direction -> ms per query
    database: dict[str, list[float]] = field(default_factory=dict)  # of which in statements
    returned: dict[str, list[int]] = field(default_factory=dict)  # direction -> movements
    walks: list[Walk] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)


def _walk(view: PostgresTraceView, lot: str, direction: str, pages: int) -> Walk:
    read = view.downstream if direction == "down" else view.upstream
    begin = time.perf_counter()
    whole = read(lot, limit=10_000_000)
    one_page = time.perf_counter() - begin
    cursor, times, paged = None, [], 0
    for _ in range(pages):
        begin = time.perf_counter()
        page = read(lot, limit=PAGE, cursor=cursor)
        times.append((time.perf_counter() - begin) * 1000)
        paged += len(page.movements)
        if (cursor := page.next_cursor) is None:
            break
    return Walk(lot, direction, len(whole.lots), len(whole.movements), one_page * 1000, times,
                paged)


async def queries(ctx: Context) -> Sample:
    """Load a graph of ``ctx.messages`` movements by COPY, then time the trace queries."""
    view = open_trace_view(ctx)
    graph = TraceGraph(SEED)
    copy_load(ctx.bootstrap, graph.facts(ctx.messages, movements=True))
    view.analyze()
    rng = random.Random(11)
    sample = QuerySample(0, 0.0, tables=table_rows(ctx.bootstrap))
    picks = rng.sample(graph.lots, ctx.size + 50)
    for size, direction in itertools.product((PAGE, SMALL_PAGE), ("down", "up")):
        read = view.downstream if direction == "down" else view.upstream
        times, returned, database = [], [], []
        for n, lot in enumerate(picks):
            begin, statements = time.perf_counter(), view.statement_seconds
            page = read(lot, limit=size)
            if n >= 50:  # the first 50 warm the connection's prepared statements
                times.append((time.perf_counter() - begin) * 1000)
                database.append((view.statement_seconds - statements) * 1000)
                returned.append(len(page.movements))
        key = direction if size == PAGE else f"{direction}:{size}"
        sample.random[key], sample.returned[key], sample.database[key] = (times, returned,
                                                                          database)
        print(f"{direction}stream, {len(times)} random lots, pages of {size}: p95 "
              f"{quantile(times, 0.95):.1f} ms", flush=True)
    hubs = [(lot, "down") for lot in (*graph.condiments[:2], *graph.flour[:1])]
    hubs += [(lot, "up") for lot in rng.sample(graph.hubs_up, min(3, len(graph.hubs_up)))]
    for lot, direction in hubs:
        sample.walks.append(_walk(view, lot, direction, HUB_PAGES))
        print(sample.walks[-1], flush=True)
    sample.messages = sum(len(t) for t in sample.random.values())
    return sample


# --- end to end: inbound publish to queryable ------------------------------------------------


@dataclass
class Latency:
    published: int
    seen: int
    seconds: float  # publishing
    applied: float  # facts/s made queryable: from the first send to the last fact seen
    latencies_ms: list[float]


def _producers_file(folder: Path) -> Path:
    path = folder / "producers.json"
    path.write_text(json.dumps({"version": 1, "producers": [{
        "source": SOURCE, "types": ["*"], "profiles": [],
        "token_sha256": hashlib.sha256(b"unused").hexdigest()}]}))
    return path


def end_to_end(server: PostgresServer, seconds: float, rate: int) -> Latency:
    """Kafka, intake and projections as processes; ``rate`` facts/s for ``seconds``."""
    with local_broker() as kafka, tempfile.TemporaryDirectory(prefix="fangxin-e2e-") as tmp:
        folder = Path(tmp)
        topics = Topics(prefix="bench.")
        create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 3))
        common = {"FANGXIN_KAFKA_BOOTSTRAP": kafka.bootstrap_servers,
                  "FANGXIN_TOPIC_PREFIX": topics.prefix, "FANGXIN_PERSISTENCE": "postgres",
                  "FANGXIN_POSTGRES_HOST": server.host,
                  "FANGXIN_POSTGRES_PORT": str(server.port),
                  "FANGXIN_POSTGRES_USER": server.user, "FANGXIN_LOG_LEVEL": "WARNING",
                  "FANGXIN_PRODUCERS_FILE": str(_producers_file(folder)),
                  **ensure_local_secrets(folder)}
        services = []
        for name in ("intake", "projections"):
            server.create_database(f"e2e_{name}")
            env = {**common, "FANGXIN_POSTGRES_DBNAME": f"e2e_{name}"}
            services.append(ServiceProcess(name, free_port(), env, folder / "logs").start())
        try:
            for service in services:
                service.wait_ready(120)
            return asyncio.run(_publish_and_poll(kafka.bootstrap_servers, topics.inbound,
                                                 server.dsn("e2e_projections"), seconds,
                                                 rate))
        finally:
            for service in services:
                service.stop()


_SEEN = ("SELECT fact_id FROM trace_movement WHERE source = %(s)s AND fact_id >= %(f)s"
         " UNION ALL SELECT fact_id FROM trace_link WHERE source = %(s)s AND fact_id >= %(f)s"
         " UNION ALL SELECT fact_id FROM trace_certificate WHERE source = %(s)s"
         " AND fact_id >= %(f)s")


async def _publish_and_poll(bootstrap: str, topic: str, dsn: str, seconds: float,
                            rate: int) -> Latency:
    facts = list(TraceGraph(SEED + 1).facts(int(seconds * rate) + 200))
    warm, timed = facts[:200], facts[200:]
    published: dict[str, float] = {}
    seen: dict[str, float] = {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)

    async def poll(until: set[str], patience: float) -> None:
        deadline = time.monotonic() + patience
        while (pending := until - seen.keys()) and time.monotonic() < deadline:
            rows = await (await conn.execute(_SEEN, {"s": SOURCE, "f": min(pending)})).fetchall()
            now = time.monotonic()
            for (fact_id,) in rows:
                seen.setdefault(fact_id, now)
            await asyncio.sleep(0.005)

    try:
        for fact in warm:  # the consumer groups join and the connections open: not timed
            await producer.send(topic, json.dumps(fact).encode(), key=fact["data"].get(
                "lot_code", fact["id"]).encode())
        await poll({f["id"] for f in warm}, 120)
        poller = asyncio.create_task(poll({f["id"] for f in timed}, seconds + 60))
        start = time.monotonic()
        for n, fact in enumerate(timed):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            published[fact["id"]] = time.monotonic()
            await producer.send(topic, json.dumps(fact).encode(),
                                key=fact["data"].get("lot_code", fact["id"]).encode())
        sent = time.monotonic() - start
        await poller
    finally:
        await producer.stop()
        await conn.close()
    latencies = [(seen[f] - t) * 1000 for f, t in published.items() if f in seen]
    last = max((seen[f] for f in published if f in seen), default=start)
    return Latency(len(published), len(latencies), sent, len(latencies) / (last - start),
                   latencies)


def e2e_markdown(result: Latency, rate: int) -> list[str]:
    p50, p99 = (quantile(result.latencies_ms, q) for q in (0.5, 0.99))
    return [f"### End to end at {rate} facts/s", "",
            "| facts published | published/s | queryable | queryable/s | p50 ms | p99 ms "
            "| max ms |", "|--:|--:|--:|--:|--:|--:|--:|",
            f"| {result.published:,} | {result.published / result.seconds:,.0f} | "
            f"{result.seen:,} | {result.applied:,.0f} | {p50:.0f} | {p99:.0f} | "
            f"{max(result.latencies_ms):,.0f} |", "",
            "- Kafka (single node, 3 partitions per topic), intake and projections as "
            "processes (`fangxin.local`), each service on its own database of the same "
            "PostgreSQL cluster; facts of the same generator (another seed) published to the "
            "inbound topic at a fixed rate by one aiokafka producer (keyed by lot). Latency: from "
            "`send()` to the poll (every 5 ms) that finds the fact's rows committed in the "
            "projections' trace tables, where the HTTP API reads them. 200 facts first, not "
            "timed, while the consumer groups settle. queryable/s: facts made queryable per "
            "second from the first timed send to the last fact seen."]


# --- the run ---------------------------------------------------------------------------------


def settings_env(server: PostgresServer, dbname: str) -> dict[str, Any]:
    return {"persistence": "postgres", "postgres_host": server.host,
            "postgres_port": server.port, "postgres_user": server.user,
            "postgres_dbname": dbname}


class Databases:
    def __init__(self, server: PostgresServer) -> None:
        self.server, self.count = server, 0

    def context(self, messages: int, size: int) -> Context:
        self.count += 1
        dbname = f"p{self.count}"
        self.server.create_database(dbname)
        return Context(bootstrap=self.server.dsn(dbname), topic=dbname, messages=messages,
                       size=size, partitions=1, options=settings_env(self.server, dbname))


def run_rebuilds(dbs: Databases, facts: int, batch: int, repeat: int) -> dict[str, Result]:
    """COPY and rebuild alternately, ``repeat`` times each; the median run of each."""
    runs: dict[str, list[Result]] = {"raw COPY": [], "TraceProjection.apply": []}
    for _ in range(repeat):
        for label, case in (("raw COPY", raw_copy), ("TraceProjection.apply", rebuild)):
            result = run_case(label, case, dbs.context(facts, batch))
            print(f"{label:>22}: {result.sample.messages:,} rows in "
                  f"{result.sample.seconds:.1f} s, {result.rate:,.0f} rows/s", flush=True)
            runs[label].append(result)
    tables = {json.dumps(r.sample.tables, sort_keys=True)  # type: ignore[attr-defined]
              for results in runs.values() for r in results}
    if len(tables) != 1:
        raise SystemExit(f"the cases wrote different rows: {tables}")
    return {label: sorted(results, key=lambda r: r.rate)[len(results) // 2]
            for label, results in runs.items()}


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def rebuild_markdown(results: dict[str, Result], facts: int, batch: int,
                     repeat: int) -> list[str]:
    copy, cand = results["raw COPY"], results["TraceProjection.apply"]
    ratio = cand.rate / copy.rate
    tables: dict[str, int] = cand.sample.tables  # type: ignore[attr-defined]
    parse = cand.sample.parse_seconds / facts * 1e6  # type: ignore[attr-defined]
    index_seconds: float = cand.sample.index_seconds  # type: ignore[attr-defined]
    out = [f"### Rebuild: {facts:,} trace facts", "",
           "| implementation | per call | rows | seconds | rows/s | facts/s | p50 ms/call "
           "| p99 ms/call | peak RSS MiB | ratio |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for result, per_call, share in ((cand, f"{batch:,}", ratio), (copy, "all", 1.0)):
        out.append(f"| {result.label} | {per_call} | {result.sample.messages:,} | "
                   f"{result.sample.seconds:.1f} | {result.rate:,.0f} | "
                   f"{facts / result.sample.seconds:,.0f} | {_ms(result.percentile(0.5))} | "
                   f"{_ms(result.percentile(0.99))} | {result.peak_rss_mib:.0f} | "
                   f"{share:.2f} |")
    out += ["", f"- Target: the rebuild at least 0.3 × raw COPY. This run: {ratio:.2f}, so "
            f"{'met' if ratio >= 0.3 else 'NOT met'}.",
            "- Rows written, by table (both cases): "
            + ", ".join(f"`{t}` {n:,}" for t, n in tables.items() if n) + ".",
            f"- Median of {repeat} runs each, alternating COPY and rebuild. The rebuild's time "
            f"is the sum of its `apply` calls, {batch:,} facts each, into tables without their "
            f"secondary indexes, and of building those indexes afterwards "
            f"({index_seconds:.1f} s), as a rebuild does: a rebuild writes each "
            "partition in transactions of `TRANSACTION_RECORDS` (the live consumer's batches "
            "are `batch_max_records`, 1,000, for latency); parsing the records first "
            f"(`CloudEvent.model_validate_json`, in the consumer) adds {parse:.0f} µs per fact "
            f"({facts / (cand.sample.seconds + cand.sample.parse_seconds):,.0f} facts/s with "  # type: ignore[attr-defined]
            "it). COPY's time is its COPY statements and the commit; building and merging its "
            "rows happens outside the timer."]
    return out


def query_markdown(sample: QuerySample, movements: int) -> list[str]:
    tables = sample.tables
    out = [f"### Queries: a graph of {movements:,} movements", "",
           f"{tables['trace_movement']:,} movements, {tables['trace_link']:,} links, "
           f"{tables['trace_lot']:,} lots; depth 10, {PAGE} lots and movements per page.", "",
           "| query | runs | movements returned: mean | p95 | p50 ms | p95 ms | p99 ms "
           "| database: p50 ms | p95 ms | p99 ms |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for key, times in sample.random.items():
        direction, _, size = key.partition(":")
        name = "downstream" if direction == "down" else "upstream"
        pages = f", pages of {size}" if size else ""
        out.append(f"| `{name}(lot)`, random lots{pages} | {len(times):,} | "
                   f"{statistics.mean(sample.returned[key]):.1f} | "
                   f"{quantile([float(n) for n in sample.returned[key]], 0.95):.0f} | "
                   f"{quantile(times, 0.5):.2f} | {quantile(times, 0.95):.2f} | "
                   f"{quantile(times, 0.99):.2f} | "
                   + " | ".join(f"{quantile(sample.database[key], q):.2f}"
                                for q in (0.5, 0.95, 0.99)) + " |")
    out += ["", f"Hub lots: read whole in one page, and their first {HUB_PAGES} pages of {PAGE}:",
            "", "| lot | direction | lots | movements | one page ms | µs/movement | pages read "
            "| ms per page: p50 | max | µs/movement (pages) |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for w in sample.walks:
        out.append(f"| `{w.lot}` | {w.direction} | {w.lots:,} | {w.movements:,} | "
                   f"{w.one_page_ms:,.0f} | {w.one_page_ms * 1000 / max(w.movements, 1):.0f} | "
                   f"{len(w.pages_ms)} | {statistics.median(w.pages_ms):,.0f} | "
                   f"{max(w.pages_ms):,.0f} | "
                   f"{sum(w.pages_ms) * 1000 / max(w.paged_movements, 1):.0f} |")
    headline = {k: t for k, t in sample.random.items() if ":" not in k}  # pages of PAGE
    small = {k: t for k, t in sample.random.items() if ":" in k}
    p95 = max(quantile(t, 0.95) for t in headline.values())
    p99 = max(quantile(t, 0.99) for t in headline.values())
    db95 = max(quantile(sample.database[k], 0.95) for k in headline)
    db99 = max(quantile(sample.database[k], 0.99) for k in headline)
    verdict = ("even a client that cost nothing would miss" if db95 > 5 or db99 > 10
               else "a faster client could meet")
    per = max(w.one_page_ms * 1000 / max(w.movements, 1) for w in sample.walks)
    slowest = max(max(w.pages_ms) for w in sample.walks)
    out += ["", f"- Target: random lots p95 ≤ 5 ms and p99 ≤ 10 ms. This run: p95 at most "
            f"{p95:.2f} ms, p99 at most {p99:.2f} ms, so "
            f"{'met' if p95 <= 5 and p99 <= 10 else 'NOT met'}.",
            f"- Target: hub lots ≤ 10 µs per returned movement, or paginated. Read whole in one "
            f"page: up to {per:.0f} µs per movement, so {'met' if per <= 10 else 'NOT met'}. "
            f"Paginated ({PAGE} lots and movements per page, keyset cursor): yes. A page walks "
            f"level by level only as deep as it reaches, and reads the rows of its own levels: "
            f"a hub's page costs what its levels hold, up to {slowest:,.0f} ms here for a page "
            f"inside a level of thousands of lots (their movements are sorted to find the "
            f"page's).",
            "- Each call is the view's `upstream` / `downstream` (as the HTTP API calls it, "
            "HTTP itself not included), one read transaction with prepared statements, timed "
            "from the caller in the same process; the first 50 random lots warm the "
            "connection and are not counted. *database*: the part of each call spent in its "
            "statements (sent, executed and answered, what the driver waits for: the server's "
            "work and the loopback round trips); the rest is the client's (loading the rows, "
            "assembling the page, the mismatch flags).",
            f"- The floor: the statements alone take up to {db95:.2f} ms at p95 and "
            f"{db99:.2f} ms at p99, so {verdict} "
            "the target on this machine (2 cores shared by PostgreSQL and the caller).",
            f"- With first pages of {SMALL_PAGE} (the same lots; a trace longer than that "
            f"continues on later pages): p95 at most "
            f"{max(quantile(t, 0.95) for t in small.values()):.2f} ms, p99 at most "
            f"{max(quantile(t, 0.99) for t in small.values()):.2f} ms."]
    return out


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=TRANSACTION_RECORDS,
                        help="facts per rebuild transaction")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; median kept")
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--only", nargs="+", default=["rebuild", "queries", "e2e"],
                        choices=["rebuild", "queries", "e2e"])
    parser.add_argument("--no-write", action="store_true", help="print, keep docs unchanged")
    args = parser.parse_args()
    env = environment(0, 0, 0)
    lines = ["## Projections: the trace read model on PostgreSQL", ""]
    with PostgresServer(durable=True) as server:
        env["software"] = (f"{postgres_version(server)} on loopback, ephemeral, psycopg "
                           f"{metadata.version('psycopg')}; {env['software']}")
        env["workload"] = (f"`bench.trace_graph.TraceGraph(seed={SEED})`: farms → pallets → "
                           "wholesale markets → retailers, restaurants, canteens, processors "
                           "and kitchens; grain depots, mills, transformations, packing and "
                           "unpacking, self-loops and cycles, missing and short receipts")
        lines += [f"- **{key}**: {value}" for key, value in env.items()]
        dbs = Databases(server)
        parts = kept_parts(env) if set(args.only) != set(PARTS) else {}
        if "rebuild" in args.only:
            results = run_rebuilds(dbs, args.facts, args.batch, args.repeat)
            parts["rebuild"] = rebuild_markdown(results, args.facts, args.batch, args.repeat)
        if "queries" in args.only:
            result = run_case("queries", queries, dbs.context(args.movements, args.queries))
            assert isinstance(result.sample, QuerySample)
            parts["queries"] = query_markdown(result.sample, args.movements)
        if "e2e" in args.only:
            parts["e2e"] = e2e_markdown(end_to_end(server, args.seconds, args.rate), args.rate)
    for name in PARTS:
        if name in parts:
            lines += ["", *parts[name]]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        update_section(NAME, text)


PARTS = {"rebuild": "### Rebuild", "queries": "### Queries", "e2e": "### End to end"}


def kept_parts(env: dict[str, str]) -> dict[str, list[str]]:
    """The subsections of the section as it stands, for a run of some parts only; each kept
    one says which run it comes from."""
    found = re.search(f"<!-- bench:{NAME}:start -->(.*?)<!-- bench:{NAME}:end -->",
                      PERFORMANCE_MD.read_text(), re.DOTALL)
    if not found:
        return {}
    old = found.group(1)
    when = {key: m.group(1) if (m := re.search(rf"\*\*{key}\*\*: (.+)", old)) else "?"
            for key in ("date", "load average at start")}
    kept = {}
    for block in re.split(r"\n(?=### )", old.strip()):
        for name, heading in PARTS.items():
            if block.startswith(heading):
                lines = block.rstrip().splitlines()
                note = (f"_Kept from the run of {when['date']} (load average at start "
                        f"{when['load average at start']}), not rerun on "
                        f"{env['date']}._")
                kept[name] = [lines[0], "", note, *lines[1:]] if "_Kept from" not in block \
                    else lines
    return kept

if __name__ == "__main__":
    main()
