"""Intake against a raw aiokafka consume → produce pass-through, same messages, same broker.

    python -m bench.intake_bench [--messages 200000 --partitions 4 --max-records 5000]

The workload: ``--messages`` realistic ``foodsafety.sampling.reported`` CloudEvents (~850 bytes,
varied ids, entities, products and verdicts; 2 % re-sent duplicates, 1 % malformed: half not JSON,
half a verdict that disagrees with the items), keyed by entity id, pre-produced onto an inbound
topic. Then, each in its own spawned child and its own consumer group, reading that same topic:

``passthrough``: the honest baseline, as fast as raw aiokafka goes: ``getmany`` in large batches,
one ``create_batch``/``send_batch`` per input partition (same partition number on the output
topic, so keys and their order are kept), idempotent producer (acks=all, linger 0), and the
offsets committed once the batch's sends are acked, by a committer task that runs pipelined with
the next polls (when it falls behind, it commits the newest acked offsets once).
``passthrough-tx``: the same loop inside Kafka transactions (the batch's records and its offsets
via ``send_offsets_to_transaction``, one transaction per poll), since intake is transactional.
``intake``: the real :class:`~services.intake.pump.IntakePump` and
:class:`~services.intake.application.Intake` (real decoder over ``contracts.registry.by_type()``,
a producer registry file, SQLite dedupe store in a temporary directory) until its observer has
seen an answer for every message.

Rates are timed from partition assignment to the last message's commit. Latency per message:
from the ``getmany`` call that returned it to the commit of its batch (offset commit for the
pass-through, transaction commit for the others) — the time a message spends inside the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry

from bench.harness import (
    Context,
    Report,
    Result,
    Row,
    Sample,
    environment,
    local_broker,
    publish_report,
    run_case,
    uscc_codes,
)
from contracts.topics import Topics
from fangxin.local.kafka import create_topics
from services.intake.runtime import GC_THRESHOLDS, settle_garbage_collector

NAME = "intake"
FACT_TYPE = "foodsafety.sampling.reported"
ENTITIES = 5000  # businesses the lab results name
LAB_SOURCES = tuple(f"urn:fangxin:lab:{name}" for name in ("kaifeng", "zhengzhou", "luoyang"))
DUPLICATE_SHARE = 0.02
MALFORMED_SHARE = 0.01
FETCH_BYTES = 8 * 2**20
# Kafka's own default heap. With the harness's 512 MiB, G1's concurrent marking kept the broker
# busy (~40 % of a core) under this workload for minutes, slowing whichever case ran then.
BROKER_HEAP = "-Xms1g -Xmx1g"
Records = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


@dataclass
class Measured(Sample):
    """A sample that also carries the case's own peak resident set.

    ``VmHWM`` of the child process: unlike ``ru_maxrss``, which a spawned child inherits from
    the parent it was forked from, it counts this process image only.
    """

    own_peak_rss_mib: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the whole process (all threads) while timed

    @property
    def cpu_us_per_message(self) -> float:
        return self.cpu_seconds / self.messages * 1e6 if self.messages else 0.0


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

# --- the workload ----------------------------------------------------------------------------

_PRODUCTS = (("韭菜", "蔬菜", "腐霉利", "≤0.2"), ("豇豆", "蔬菜", "克百威", "≤0.02"),
             ("鸡蛋", "蛋及蛋制品", "氟苯尼考", "不得检出"),
             ("猪肉", "畜禽肉及副产品", "克伦特罗", "不得检出"),
             ("芹菜", "蔬菜", "毒死蜱", "≤0.05"), ("大米", "粮食加工品", "镉(以Cd计)", "≤0.2"))
_LABS = ("开封市食品药品检验所", "河南省食品检验研究院", "龙亭区食品快检中心")


def sampling_event(seq: int, rng: random.Random, entity: str, *,
                   broken: bool = False) -> bytes:
    """A lab result as a producer would send it (~850 bytes); ``broken``: verdict disagrees."""
    product, category, analyte, limit = rng.choice(_PRODUCTS)
    sampled = datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
    qualified = rng.random() < 0.9
    sample_id = f"DC26410202{seq:010d}"
    items = [{"analyte": analyte, "value": "0.01" if qualified else "0.5", "unit": "mg/kg",
              "limit": limit, "qualified": qualified},
             {"analyte": "铅(以Pb计)", "value": "0.03", "unit": "mg/kg", "limit": "≤0.1",
              "qualified": True}]
    document = {
        "specversion": "1.0",
        "id": f"evt-{sample_id}-{rng.getrandbits(32):08x}",
        "source": LAB_SOURCES[seq % len(LAB_SOURCES)],
        "type": FACT_TYPE,
        "time": (sampled + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "subject": sample_id,
        "datacontenttype": "application/json",
        "dataschema": "https://schemas.fangxin.example/foodsafety.sampling.reported.v1.json",
        "data": {
            "sample_id": sample_id,
            "entity_id": entity,
            "lot_code": f"https://id.gs1.org/01/06901234567892/10/LT{seq % 10_000:04d}",
            "product": product,
            "category": category,
            "program": rng.choice(("supervisory", "risk_monitoring", "evaluation")),
            "sampled_at": sampled.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "reported_at": (sampled + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "lab": rng.choice(_LABS),
            "items": items,
            "verdict": "qualified" if qualified is not broken else "unqualified",
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Expected:
    accepted: int
    duplicate: int
    rejected: int


def workload(messages: int, seed: int = 7) -> tuple[list[tuple[bytes, bytes]], Expected]:
    """The inbound ``(key, value)`` messages in publishing order, and intake's answers to them.

    A duplicate re-sends an earlier message unchanged: the copy of an accepted message is a
    duplicate, the copy of a malformed one is rejected again.
    """
    rng = random.Random(seed)
    codes = uscc_codes(ENTITIES)
    out: list[tuple[bytes, bytes, bool]] = []  # key, value, valid
    for seq in range(messages):
        roll = rng.random()
        if roll < DUPLICATE_SHARE and out:
            out.append(out[rng.randrange(max(0, len(out) - 5000), len(out))])
            continue
        entity = rng.choice(codes)
        broken = roll < DUPLICATE_SHARE + MALFORMED_SHARE
        disagrees = roll < DUPLICATE_SHARE + MALFORMED_SHARE / 2  # half of the malformed
        value = sampling_event(seq, rng, entity, broken=broken and disagrees)
        if broken and not disagrees:
            value = value[: len(value) // 2]  # truncated: not JSON
        out.append((entity.encode(), value, not broken))
    valid = [ok for _, _, ok in out]
    first = len({value for _, value, ok in out if ok})
    return [(k, v) for k, v, _ in out], Expected(
        accepted=first, duplicate=sum(valid) - first, rejected=len(out) - sum(valid))


@dataclass
class Produced(Measured):
    expected: Expected = field(default_factory=lambda: Expected(0, 0, 0))


async def preproduce(ctx: Context) -> Produced:
    """Put the workload on ``ctx.topic`` (partition by key, murmur2 like the Java client)."""
    messages, expected = workload(ctx.messages)
    client = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap, enable_idempotence=True,
                              linger_ms=0, max_batch_size=1_048_576)
    await client.start()
    try:
        partitions = sorted(await client.partitions_for(ctx.topic))
        partitioner = DefaultPartitioner()
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {p: [] for p in partitions}
        for key, value in messages:
            by_partition[partitioner(key, partitions, partitions)].append((key, value))
        begin = time.perf_counter()
        pending: list[asyncio.Future[Any]] = []
        for partition, items in by_partition.items():
            batch = client.create_batch()
            for key, value in items:
                while batch.append(key=key, value=value, timestamp=None) is None:
                    pending.append(await client.send_batch(batch, ctx.topic, partition=partition))
                    batch = client.create_batch()
            pending.append(await client.send_batch(batch, ctx.topic, partition=partition))
        await asyncio.gather(*pending)
        seconds = time.perf_counter() - begin
    finally:
        await client.stop()
    return Produced(len(messages), seconds, [], sum(len(v) for _, v in messages),
                    vm_hwm_mib(), expected=expected)


# --- the baselines ----------------------------------------------------------------------------


def _consumer(ctx: Context) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        ctx.topic, bootstrap_servers=ctx.bootstrap, group_id=ctx.group,
        enable_auto_commit=False, auto_offset_reset="earliest",
        max_partition_fetch_bytes=FETCH_BYTES, fetch_max_bytes=4 * FETCH_BYTES)


async def _assigned(consumer: AIOKafkaConsumer) -> float:
    """Wait for the group to hand out partitions (joining is not part of the timed loop)."""
    while not consumer.assignment():  # noqa: ASYNC110 (the pump's consumer has no listener)
        await asyncio.sleep(0.005)
    return time.perf_counter()


async def _send_partitions(producer: AIOKafkaProducer, topic: str,
                           batches: Records) -> list[asyncio.Future[Any]]:
    """One batch (or more, when full) per input partition, to the same output partition."""
    futures: list[asyncio.Future[Any]] = []
    for tp, records in batches.items():
        batch = producer.create_batch()
        for record in records:
            while batch.append(key=record.key, value=record.value, timestamp=None) is None:
                futures.append(await producer.send_batch(batch, topic, partition=tp.partition))
                batch = producer.create_batch()
        futures.append(await producer.send_batch(batch, topic, partition=tp.partition))
    return futures


@dataclass
class _Polled:
    futures: list[asyncio.Future[Any]]
    offsets: dict[TopicPartition, int]
    polled: float
    count: int


PIPELINE_DEPTH = 4  # polls whose sends may be unacknowledged at once


async def passthrough(ctx: Context) -> Measured:
    """Raw consume → produce; offsets committed (pipelined) once the sends are acked."""
    max_records = int(ctx.options["max_records"])
    consumer = _consumer(ctx)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap, enable_idempotence=True,
                                linger_ms=0, max_batch_size=1_048_576,
                                max_request_size=8 * 1_048_576)
    await producer.start()
    await consumer.start()
    latencies: list[float] = []
    pending: deque[_Polled] = deque()
    changed = asyncio.Event()
    closing = False

    async def committer() -> None:
        """Commit each poll's offsets once its sends are acked; when behind, at once."""
        while pending or not closing:
            if not pending:
                changed.clear()
                await changed.wait()
                continue
            await asyncio.gather(*pending[0].futures)
            done = [pending.popleft()]
            while pending and all(f.done() for f in pending[0].futures):
                done.append(pending.popleft())
            await asyncio.gather(*(f for item in done[1:] for f in item.futures))  # errors
            offsets = {tp: OffsetAndMetadata(o, "") for item in done
                       for tp, o in item.offsets.items()}
            await consumer.commit(offsets)
            changed.set()
            now = time.perf_counter()
            for item in done:
                latencies.extend([(now - item.polled) * 1000] * item.count)

    try:
        begin = await _assigned(consumer)
        cpu = time.process_time()
        commits = asyncio.create_task(committer())
        seen = payload = 0
        while seen < ctx.messages:
            while len(pending) >= PIPELINE_DEPTH and not commits.done():
                changed.clear()
                await changed.wait()
            polled = time.perf_counter()
            batches = await consumer.getmany(timeout_ms=1000, max_records=max_records)
            if not batches:
                continue
            futures = await _send_partitions(producer, ctx.options["output"], batches)
            count = sum(len(records) for records in batches.values())
            seen += count
            payload += sum(len(r.value or b"") for rs in batches.values() for r in rs)
            pending.append(_Polled(futures, {tp: rs[-1].offset + 1
                                             for tp, rs in batches.items()}, polled, count))
            changed.set()
        closing = True
        changed.set()
        await commits
        seconds = time.perf_counter() - begin
        cpu = time.process_time() - cpu
    finally:
        await consumer.stop()
        await producer.stop()
    return Measured(seen, seconds, latencies, payload, vm_hwm_mib(), cpu)


async def passthrough_tx(ctx: Context) -> Measured:
    """Raw consume → produce, each poll's records and offsets in one Kafka transaction."""
    max_records = int(ctx.options["max_records"])
    consumer = _consumer(ctx)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap,
                                transactional_id=f"{ctx.group}-tx", enable_idempotence=True,
                                linger_ms=0, max_batch_size=1_048_576,
                                max_request_size=8 * 1_048_576)
    await producer.start()
    await consumer.start()
    latencies: list[float] = []
    try:
        begin = await _assigned(consumer)
        cpu = time.process_time()
        seen = payload = 0
        while seen < ctx.messages:
            polled = time.perf_counter()
            batches = await consumer.getmany(timeout_ms=1000, max_records=max_records)
            if not batches:
                continue
            async with producer.transaction():
                await _send_partitions(producer, ctx.options["output"], batches)
                await producer.send_offsets_to_transaction(
                    {tp: OffsetAndMetadata(rs[-1].offset + 1, "") for tp, rs in batches.items()},
                    ctx.group)
            count = sum(len(records) for records in batches.values())
            latencies.extend([(time.perf_counter() - polled) * 1000] * count)
            seen += count
            payload += sum(len(r.value or b"") for rs in batches.values() for r in rs)
        seconds = time.perf_counter() - begin
        cpu = time.process_time() - cpu
    finally:
        await consumer.stop()
        await producer.stop()
    return Measured(seen, seconds, latencies, payload, vm_hwm_mib(), cpu)


# --- the ceiling: validation alone ------------------------------------------------------------

CEILING_MESSAGES = 50_000


async def validation(ctx: Context) -> Sample:
    """``FactDecoder.decode`` alone (the one pydantic pass over the raw bytes, nothing else) on
    the workload's messages, in batches of intake's size that are dropped once decoded, with
    the service's GC settings (``services.intake.app``): the CPU time it takes, the best of 3
    rounds. Whatever else intake does, one process cannot answer faster than it validates."""
    from contracts.registry import by_type  # noqa: PLC0415 (child process only)
    from services.intake.decoding import Decoded, FactDecoder  # noqa: PLC0415

    decoder = FactDecoder(by_type(), max_bytes=1_048_576)
    values = [value for _, value in workload(ctx.messages)[0]]
    size = int(ctx.options["max_records"])
    settle_garbage_collector()
    best, accepted = float("inf"), 0
    for _ in range(3):
        begin, accepted = time.process_time(), 0
        for start in range(0, len(values), size):
            batch = [decoder.decode(value) for value in values[start:start + size]]
            accepted += sum(isinstance(d, Decoded) for d in batch)
        best = min(best, time.process_time() - begin)
    assert accepted > 0.9 * len(values), accepted  # the pass ran, and mostly accepted
    return Sample(len(values), best)


# --- the candidate ----------------------------------------------------------------------------


@dataclass
class IntakeSample(Measured):
    statuses: dict[str, int] = field(default_factory=dict)  # receipts by status
    answer_cpu_seconds: float = 0.0  # CPU time spent inside Intake.answer (its thread)


async def intake(ctx: Context) -> IntakeSample:
    """The real pump and application until every inbound message has its answer."""
    from contracts.registry import by_type  # noqa: PLC0415 (child process only)
    from services.intake.application import Answer, Inbound, Intake  # noqa: PLC0415
    from services.intake.decoding import FactDecoder  # noqa: PLC0415
    from services.intake.dedupe import SQLiteSeenStore  # noqa: PLC0415
    from services.intake.epcis_bridge import epcis_facts  # noqa: PLC0415
    from services.intake.metrics import IntakeMetrics  # noqa: PLC0415
    from services.intake.producers import ProducerRegistry  # noqa: PLC0415
    from services.intake.pump import IntakePump, PumpConfig  # noqa: PLC0415

    topics = Topics(prefix=ctx.options["prefix"])
    with tempfile.TemporaryDirectory(prefix="fangxin-bench-intake-") as tmp:
        seen = SQLiteSeenStore(Path(tmp) / "intake.sqlite")
        intake = Intake(FactDecoder(by_type(), max_bytes=1_048_576),
                        ProducerRegistry.load(Path(ctx.options["producers"])), seen, topics,
                        epcis_facts)
        polled: dict[tuple[int, int], float] = {}  # (partition, first offset) -> poll time
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        answered = 0
        finished = asyncio.Event()
        metrics = IntakeMetrics(CollectorRegistry())  # what the service observes, too

        def observe(answers: Sequence[Answer], seconds: float,
                    lag: dict[TopicPartition, int]) -> None:
            nonlocal answered
            now = time.perf_counter()
            metrics.batch(answers, seconds, lag)
            for answer in answers:
                receipt = answer.receipt
                statuses[receipt.status.value] = statuses.get(receipt.status.value, 0) + 1
                assert receipt.inbound_partition is not None
                assert receipt.inbound_offset is not None
                started = polled.pop((receipt.inbound_partition, receipt.inbound_offset))
                latencies.append((now - started) * 1000)
            answered += len(answers)
            if answered >= ctx.messages:
                finished.set()

        answering = intake.answer
        answer_cpu = 0.0

        def timed_answer(batch: Sequence[Inbound]) -> list[Answer]:
            nonlocal answer_cpu
            started = time.thread_time()
            try:
                return answering(batch)
            finally:
                answer_cpu += time.thread_time() - started

        intake.answer = timed_answer  # type: ignore[method-assign]
        pump = IntakePump(intake, PumpConfig(
            bootstrap=ctx.bootstrap, topic=ctx.topic, group_id=ctx.group,
            transactional_id=f"{ctx.group}-tx", max_records=int(ctx.options["max_records"])),
            observe)
        await pump.start()
        getmany = pump.consumer.getmany

        async def timed_getmany(*partitions: TopicPartition, **kwargs: Any) -> Records:
            at = time.perf_counter()
            batches: Records = await getmany(*partitions, **kwargs)
            for tp, records in batches.items():
                for record in records:
                    polled[(tp.partition, record.offset)] = at
            return batches

        pump.consumer.getmany = timed_getmany
        if ctx.options.get("gc") == "frozen":
            settle_garbage_collector()
        try:
            begin = await _assigned(pump.consumer)
            cpu = time.process_time()
            running = asyncio.create_task(pump.run())
            done, _ = await asyncio.wait([running, asyncio.create_task(finished.wait())],
                                         return_when=asyncio.FIRST_COMPLETED, timeout=600)
            seconds = time.perf_counter() - begin
            cpu = time.process_time() - cpu
            if running in done:
                running.result()  # the pump stopped early: raise its error
            if not finished.is_set():
                raise TimeoutError(f"answered {answered} of {ctx.messages} messages")
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        finally:
            await pump.stop()
            seen.close()
    return IntakeSample(answered, seconds, latencies, int(ctx.options["payload"]), vm_hwm_mib(),
                        cpu, statuses, answer_cpu)


# --- the run ----------------------------------------------------------------------------------


def _producers_file(directory: Path) -> Path:
    path = directory / "producers.json"
    path.write_text(json.dumps({"version": 1, "producers": [
        {"source": "urn:fangxin:lab:*", "name": "food testing laboratories (bench)",
         "types": [FACT_TYPE]}]}))
    return path


@dataclass(frozen=True)
class Settings:
    messages: int
    partitions: int
    max_records: int
    intake_max_records: int
    repeats: int
    gc_variant: bool


def _result(label: str, function: Callable[[Context], Awaitable[Sample]], ctx: Context) -> Result:
    """Run a case in its own child; its peak RSS is the child's own ``VmHWM``."""
    result = run_case(label, function, ctx)
    if isinstance(result.sample, Measured):
        result = Result(label, result.sample, result.sample.own_peak_rss_mib)
    p99 = result.percentile(0.99) or 0.0
    print(f"{label}: {result.rate:,.0f} msg/s, p99 {p99:,.0f} ms, peak RSS "
          f"{result.peak_rss_mib:.0f} MiB", flush=True)
    return result


def _cpu(result: Result) -> float:
    sample = result.sample
    return sample.cpu_us_per_message if isinstance(sample, Measured) else 0.0


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def _rates(results: list[Result]) -> str:
    return ", ".join(f"{r.rate:,.0f}" for r in results)


def run(settings: Settings) -> Report:
    with local_broker(BROKER_HEAP) as server, tempfile.TemporaryDirectory() as tmp:
        bootstrap = server.bootstrap_servers
        run_id = uuid.uuid4().hex[:8]
        prefix = f"bench{run_id}."
        inbound = Topics(prefix).inbound
        outputs = [f"bench-{run_id}-{name}" for name in ("warm", "warm-tx", "raw", "raw-tx")]
        create_topics(bootstrap, {**dict.fromkeys(Topics(prefix).all(), settings.partitions),
                                  **dict.fromkeys(outputs, settings.partitions)})
        base = Context(bootstrap, inbound, settings.messages, 0, settings.partitions)
        produced = run_case("raw aiokafka", preproduce, base).sample
        assert isinstance(produced, Produced)
        expected, size = produced.expected, produced.payload_bytes / produced.messages
        print(f"pre-produced {produced.messages:,} messages ({size:.0f} bytes on average) in "
              f"{produced.seconds:.1f}s")
        base = replace(base, size=round(size))
        env = environment(settings.messages, round(size), settings.partitions)

        def context(group: str, **options: str) -> Context:
            return replace(base, group=f"bench-{run_id}-{group}",
                           options={"max_records": str(settings.max_records), **options})

        # warm the broker's JIT on every path the timed cases take (not reported)
        warm = min(settings.messages, 50_000)
        for label, function, name in (("warm-up", passthrough, "warm"),
                                      ("warm-up, transactional", passthrough_tx, "warm-tx")):
            _result(label, function, replace(context(name, output=f"bench-{run_id}-{name}"),
                                              messages=warm))
        producers = str(_producers_file(Path(tmp)))

        def candidate(label: str, group: str, gc_mode: str) -> Result:
            return _result(label, intake, context(
                group, prefix=prefix, producers=producers, payload=str(produced.payload_bytes),
                max_records=str(settings.intake_max_records), gc=gc_mode))

        pending = [("intake (IntakePump + Intake)", "intake", "default")]
        if settings.gc_variant:
            pending.append(("intake, GC frozen + threshold 50,000", "intake-gc", "frozen"))
        raw: list[Result] = []
        raw_tx: list[Result] = []
        candidates: list[Result] = []
        for attempt in range(settings.repeats):  # interleaved: the broker changes as it runs
            raw.append(_result("raw pass-through", passthrough,
                               context(f"raw-{attempt}", output=f"bench-{run_id}-raw")))
            raw_tx.append(_result("raw pass-through, transactional", passthrough_tx,
                                  context(f"raw-tx-{attempt}", output=f"bench-{run_id}-raw-tx")))
            if pending and attempt < settings.repeats - 1:
                candidates.append(candidate(*pending.pop(0)))
        candidates += [candidate(*rest) for rest in pending]
        alone = run_case("validation alone", validation, replace(
            base, messages=min(settings.messages, CEILING_MESSAGES),
            options={"max_records": str(settings.intake_max_records)})).sample
    ceiling = alone.seconds / alone.messages * 1e6
    print(f"validation alone: {ceiling:.1f} µs per message", flush=True)
    want = {"accepted": expected.accepted, "duplicate": expected.duplicate,
            "rejected": expected.rejected}
    for result in candidates:
        assert isinstance(result.sample, IntakeSample)
        if result.sample.statuses != want:
            raise AssertionError(f"intake answered {result.sample.statuses}, expected {want}")
    env["workload"] = (
        f"{settings.messages:,} `{FACT_TYPE}` CloudEvents, {size:.0f} bytes on average (JSON), "
        f"keyed by entity id, {settings.partitions} inbound partitions: {expected.accepted:,} "
        f"to accept, {expected.duplicate:,} duplicates, {expected.rejected:,} malformed")
    base_raw, base_tx = _median(raw), _median(raw_tx)
    rows = [Row("vs raw pass-through (headline)", candidates[0], base_raw),
            Row("vs transactional pass-through", candidates[0], base_tx)]
    rows += [Row("vs raw pass-through (headline)", extra, base_raw) for extra in candidates[1:]]
    ratios = "; ".join(f"{c.label}: {c.rate / base_raw.rate:.2f} of the raw pass-through, "
                       f"{c.rate / base_tx.rate:.2f} of the transactional one"
                       for c in candidates)
    main = candidates[0].sample
    assert isinstance(main, IntakeSample)
    cpu = "; ".join(f"{r.label}: {_cpu(r):.0f} µs" for r in (base_raw, base_tx, *candidates))
    return Report(NAME, "Intake vs raw aiokafka pass-through", env, rows, notes=[
        f"Ratios: {ratios}. Target: 0.5 of the raw pass-through.",
        f"Where the time goes — CPU per message of the measured process (all its threads): "
        f"{cpu}. Of intake's, {main.answer_cpu_seconds / main.messages * 1e6:.0f} µs are "
        "spent in `Intake.answer` (decoding and validation, producer check, dedupe claim, "
        "canonical JSON, receipts and dead letters); the rest is Kafka I/O, the pump and "
        "the metrics observer.",
        f"The ceiling: validating alone (`FactDecoder.decode`, the one pydantic pass, over "
        f"{alone.messages:,} of the workload's messages in batches of "
        f"{settings.intake_max_records:,}, with the service's GC settings, in a child of its "
        f"own; best of 3) costs {ceiling:.1f} µs of "
        f"CPU per message, so a single process that did nothing else would answer at most "
        f"{1e6 / ceiling:,.0f} msg/s, {1e6 / ceiling / base_raw.rate:.2f} of the raw "
        f"pass-through, before any Kafka I/O, deduplication, canonical JSON or receipts.",
        f"Intake answered {want['accepted']:,} accepted, {want['duplicate']:,} duplicate and "
        f"{want['rejected']:,} rejected messages, as the workload expects. Per message it "
        "publishes a receipt, plus the canonical fact (accepted) or a dead letter (rejected), "
        "in one Kafka transaction per batch with the consumed offsets; the pass-through "
        "forwards each message once.",
        "Raw pass-through: consumer group, `getmany(max_records="
        f"{settings.max_records})`, one `create_batch`/`send_batch` per input partition to the "
        "same partition of the output topic (keys and their order kept), idempotent producer "
        "(acks=all, linger_ms=0, no compression), offsets committed once the batch's sends are "
        "acked, by a committer task pipelined with the next polls. The transactional variant "
        "puts each poll's records and offsets (`send_offsets_to_transaction`) in one "
        f"transaction. Each ran {settings.repeats} times, interleaved; the table shows the "
        f"median run (all runs, msg/s: {_rates(raw)}; transactional: {_rates(raw_tx)}).",
        f"Intake: `IntakePump` (`max_records={settings.intake_max_records}`) and `Intake` with "
        "the real decoder over every registered fact type, a producer registry file, the "
        "SQLite dedupe store (WAL) in a temporary directory, and `IntakeMetrics` as the "
        "observer, as the service wires them."
        + (" The GC row calls the service's `settle_garbage_collector()` (`gc.collect(); "
           f"gc.freeze(); gc.set_threshold{GC_THRESHOLDS}`) "
           "once the pump has started." if settings.gc_variant else ""),
        "msg/s: inbound messages answered (forwarded) per second, from partition assignment "
        "(group join excluded) to the commit of the last batch. p50/p99: per message, from the "
        "`getmany` call that returned it to the commit of its batch (offset commit, or "
        "transaction commit): the time a message spends inside the service while it works "
        "through a backlog. MiB/s counts inbound bytes.",
        "Each case runs in its own spawned child process against the same broker (heap "
        f"`{BROKER_HEAP}`, Kafka's default), reading the same pre-produced inbound topic in a "
        "consumer group of its own, after an untimed warm-up of the broker; baselines and "
        "intake runs are interleaved. Peak RSS is the child's own high-water mark (`VmHWM`). "
        "The broker runs on the same machine and competes for its CPUs, as does anything else "
        "running there (see the load average).",
    ])


def _service_batch() -> int:
    from services.intake.settings import IntakeSettings  # noqa: PLC0415

    default = IntakeSettings.model_fields["batch_max_records"].default
    return int(default)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--max-records", type=int, default=10_000,
                        help="getmany max_records of the pass-through baselines")
    parser.add_argument("--intake-max-records", type=int, default=_service_batch(),
                        help="PumpConfig.max_records of intake (default: the service's)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each baseline")
    parser.add_argument("--no-gc-variant", action="store_true",
                        help="skip the intake run with gc.freeze() and a higher GC threshold")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    args = parser.parse_args()
    started = time.monotonic()
    report = run(Settings(args.messages, args.partitions, args.max_records,
                          args.intake_max_records, args.repeats, not args.no_gc_variant))
    publish_report(NAME, report, write=not args.no_write, started=started)


if __name__ == "__main__":
    main()
