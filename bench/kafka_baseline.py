"""Raw aiokafka against the local broker: the baseline other benchmarks divide by.

    python -m bench.kafka_baseline [--messages 200000 --size 850 --partitions 2]

Cases (importable by later benchmarks as their baseline):
``produce_raw``: idempotent producer (acks=all), ``send()`` with every message in flight,
latency = send() to broker ack. ``consume_raw``: one consumer in a group, ``getmany`` and a
manual commit after every batch, timed from the first batch on (group join excluded).
``roundtrip_raw``: paced producer and group consumer in one process, latency = send() to
receipt.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener

from bench.harness import (
    Context,
    Report,
    Row,
    Sample,
    environment,
    local_broker,
    make_message,
    publish_report,
    run_case,
)
from fangxin.local.kafka import create_topics

NAME = "kafka-baseline"
RAW = "raw aiokafka"
PRODUCER_SETTINGS = {"linger_ms": 5, "max_batch_size": 256 * 1024}


def producer(ctx: Context) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=ctx.bootstrap, enable_idempotence=True, **PRODUCER_SETTINGS
    )


def group_consumer(ctx: Context, *, subscribe: bool = True) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *([ctx.topic] if subscribe else []),
        bootstrap_servers=ctx.bootstrap,
        group_id=ctx.group or f"bench-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 2**20,
    )


async def produce_raw(ctx: Context) -> Sample:
    """Every message in flight at once; the accumulator batches them per partition."""
    client = producer(ctx)
    await client.start()
    latencies: list[float] = []
    try:
        begin = time.perf_counter()
        pending = []
        for i in range(ctx.messages):
            value = make_message(i, ctx.size)
            sent = time.perf_counter()
            future = await client.send(ctx.topic, value, key=b"%d" % (i % 1000))
            future.add_done_callback(
                lambda _, t=sent: latencies.append((time.perf_counter() - t) * 1000)
            )
            pending.append(future)
        await asyncio.gather(*pending)
        seconds = time.perf_counter() - begin
    finally:
        await client.stop()
    return Sample(ctx.messages, seconds, latencies, ctx.messages * ctx.size)


async def produce_batch_raw(ctx: Context) -> Sample:
    """``create_batch``/``send_batch`` round-robin over partitions, every batch in flight."""
    client = producer(ctx)
    await client.start()
    try:
        begin = time.perf_counter()
        pending = []
        batches = {p: client.create_batch() for p in range(ctx.partitions)}
        i = 0
        while i < ctx.messages:
            partition = i % ctx.partitions
            key, value = b"%d" % (i % 1000), make_message(i, ctx.size)
            if batches[partition].append(key=key, value=value, timestamp=None) is None:
                full, batches[partition] = batches[partition], client.create_batch()
                pending.append(await client.send_batch(full, ctx.topic, partition=partition))
                continue  # retry message i in the fresh batch
            i += 1
        for partition, batch in batches.items():
            if batch.record_count():
                pending.append(await client.send_batch(batch, ctx.topic, partition=partition))
        await asyncio.gather(*pending)
        seconds = time.perf_counter() - begin
    finally:
        await client.stop()
    return Sample(ctx.messages, seconds, [], ctx.messages * ctx.size)


class _AssignedAt(ConsumerRebalanceListener):  # type: ignore[misc]
    """Remembers when the group first handed us partitions."""

    def __init__(self) -> None:
        self.at = 0.0

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.at = self.at or time.perf_counter()


async def consume_raw(ctx: Context) -> Sample:
    """Read ``ctx.messages`` already on ``ctx.topic``; commit after every batch."""
    consumer = group_consumer(ctx, subscribe=False)
    clock = _AssignedAt()
    consumer.subscribe([ctx.topic], listener=clock)
    await consumer.start()
    try:
        seen = payload = 0
        while seen < ctx.messages:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                seen += len(records)
                payload += sum(len(r.value) for r in records)
            if batches:
                await consumer.commit()
        seconds = time.perf_counter() - clock.at  # from the group join on
    finally:
        await consumer.stop()
    return Sample(seen, seconds, [], payload)


async def roundtrip_raw(ctx: Context) -> Sample:
    """Paced publishing (``rate`` msg/s) to a subscribed group; latency send → receipt."""
    rate = float(ctx.options.get("rate", "2000"))
    consumer, client = group_consumer(ctx), producer(ctx)
    await consumer.start()
    await client.start()
    sent_at: dict[int, float] = {}
    latencies: list[float] = []

    async def receive() -> None:
        while len(latencies) < ctx.messages:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                now = time.perf_counter()
                latencies.extend((now - sent_at[int(r.key)]) * 1000 for r in records)
            await consumer.commit()

    try:
        while not consumer.assignment():  # join the group before the clock starts
            await consumer.getmany(timeout_ms=100)
        receiver = asyncio.create_task(receive())
        begin = time.perf_counter()
        for i in range(ctx.messages):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[i] = time.perf_counter()
            await client.send(ctx.topic, make_message(i, ctx.size), key=b"%d" % i)
        await asyncio.wait_for(receiver, timeout=60)
        seconds = time.perf_counter() - begin
    finally:
        await client.stop()
        await consumer.stop()
    return Sample(len(latencies), seconds, latencies, len(latencies) * ctx.size)


def run(messages: int, size: int, partitions: int, roundtrip: int, rate: float) -> Report:
    env = environment(messages, size, partitions)
    with local_broker() as server:
        bootstrap = server.bootstrap_servers
        main = f"bench-main-{uuid.uuid4().hex[:8]}"
        paced = f"bench-paced-{uuid.uuid4().hex[:8]}"
        create_topics(bootstrap, {main: partitions, paced: partitions})
        ctx = Context(bootstrap, main, messages, size, partitions)
        rows: list[Row] = []
        for metric, case, context in (
            ("produce: send()", produce_raw, ctx),
            ("produce: send_batch()", produce_batch_raw, ctx),
            ("consume", consume_raw, replace(ctx, messages=2 * messages)),
            (
                f"end-to-end at {rate:,.0f} msg/s",
                roundtrip_raw,
                Context(bootstrap, paced, roundtrip, size, partitions, options={"rate": str(rate)}),
            ),
        ):
            result = run_case(RAW, case, context)
            print(f"{metric}: {result.rate:,.0f} msg/s, peak RSS {result.peak_rss_mib:.0f} MiB")
            rows.append(Row(metric, result))
    return Report(
        NAME,
        "Raw aiokafka baseline",
        env,
        rows,
        notes=[
            "produce: idempotent producer (acks=all), "
            + ", ".join(f"{key}={value}" for key, value in PRODUCER_SETTINGS.items())
            + ", no compression. "
            "send(): one call per message, all in flight, partition by key hash; p50/p99 = "
            "send() to broker ack, so they include queueing. send_batch(): create_batch/"
            "send_batch, round-robin over partitions, all batches in flight.",
            "consume: one group member reads everything both produce runs wrote, getmany + "
            "manual commit per batch, timed from partition assignment (group join excluded).",
            f"end-to-end: {roundtrip:,} messages published at a fixed {rate:,.0f} msg/s to a "
            "subscribed group member in the same process; p50/p99 = send() to receipt.",
            "Every case runs in its own spawned child process; peak RSS is that child's.",
            "Later benchmarks run these same cases as their baseline; ratio = candidate / "
            "baseline msg/s (1.00 here by definition).",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=850)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--roundtrip", type=int, default=10_000, help="end-to-end messages")
    parser.add_argument("--rate", type=float, default=2000.0, help="end-to-end msg/s")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    args = parser.parse_args()
    started = time.monotonic()
    report = run(args.messages, args.size, args.partitions, args.roundtrip, args.rate)
    publish_report(NAME, report, write=not args.no_write, started=started)


if __name__ == "__main__":
    main()
