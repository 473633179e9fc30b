"""aiokafka against the real local broker: produce, group consume, commit, rebalance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from fangxin.local.kafka import KafkaServer, acreate_topics
from tests.fixtures.kafka import TopicFactory

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DEADLINE = 60.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail the test after ``DEADLINE`` seconds."""
    try:
        async with asyncio.timeout(DEADLINE):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out after {DEADLINE:.0f}s waiting for {what}")


async def produce(bootstrap: str, topic: str, values: Iterable[str]) -> dict[str, int]:
    """Send keyed messages (key = value); return value -> partition."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        futures = {v: await producer.send(topic, v.encode(), key=v.encode()) for v in values}
        return {v: (await f).partition for v, f in futures.items()}
    finally:
        await producer.stop()


def group_consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10_000,
        heartbeat_interval_ms=500,
    )


async def drain(consumer: AIOKafkaConsumer, sink: dict[str, int], stop: asyncio.Event) -> None:
    """Collect value -> partition until ``stop`` is set."""
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=100)
        for tp, records in batches.items():
            for record in records:
                sink[record.value.decode()] = tp.partition


async def committed(consumer: AIOKafkaConsumer, topic: str) -> dict[int, int | None]:
    return {p: await consumer.committed(TopicPartition(topic, p)) for p in (0, 1)}


async def test_create_topics_is_idempotent_and_sets_partitions(
    kafka: KafkaServer, topic_factory: TopicFactory
) -> None:
    topic = topic_factory(partitions=2)
    await acreate_topics(kafka.bootstrap_servers, {topic: 2})  # already there: no error
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert described["error_code"] == 0
    assert sorted(p["partition"] for p in described["partitions"]) == [0, 1]
    assert all(p["leader"] == 1 for p in described["partitions"])


async def test_group_commit_then_rebalance_loses_nothing(
    kafka: KafkaServer, topic_factory: TopicFactory
) -> None:
    bootstrap = kafka.bootstrap_servers
    topic = topic_factory(partitions=2)
    group = f"{topic}-group"

    first = [f"a-{i}" for i in range(200)]
    placed = await produce(bootstrap, topic, first)
    per_partition = {p: sum(1 for v in first if placed[v] == p) for p in (0, 1)}
    assert per_partition[0] > 0, per_partition
    assert per_partition[1] > 0, per_partition

    one = group_consumer(bootstrap, topic, group)
    two = group_consumer(bootstrap, topic, group)
    got_one: dict[str, int] = {}
    got_two: dict[str, int] = {}
    stop = asyncio.Event()
    await one.start()
    try:
        # one member alone: it owns both partitions, reads everything, commits
        drain_one = asyncio.create_task(drain(one, got_one, stop))
        await wait_until(lambda: set(first) <= got_one.keys(), "first batch consumed")
        await one.commit()
        assert await committed(one, topic) == per_partition

        # a second member joins: one partition each
        await two.start()
        drain_two = asyncio.create_task(drain(two, got_two, stop))
        both = {TopicPartition(topic, 0), TopicPartition(topic, 1)}
        await wait_until(
            lambda: (
                len(one.assignment()) == 1
                and len(two.assignment()) == 1
                and one.assignment() | two.assignment() == both
            ),
            "rebalance to one partition per member",
        )

        second = [f"b-{i}" for i in range(100)]
        placed.update(await produce(bootstrap, topic, second))
        await wait_until(
            lambda: set(second) <= got_one.keys() | got_two.keys(), "second batch consumed"
        )
        stop.set()
        await asyncio.gather(drain_one, drain_two)
        await one.commit()
        await two.commit()

        (owned_one,) = one.assignment()
        (owned_two,) = two.assignment()
        # each member read only its own partition after the rebalance
        assert {got_one[v] for v in second if v in got_one} <= {owned_one.partition}
        assert {got_two[v] for v in second if v in got_two} <= {owned_two.partition}
        assert got_one.keys() & set(second)
        assert got_two.keys() & set(second)
        # committed offsets were honoured: the newcomer never re-read the first batch
        assert not got_two.keys() & set(first)
        # nothing lost, every message landed where the producer said
        assert set(first) | set(second) == got_one.keys() | got_two.keys()
        assert all(placed[v] == p for v, p in (got_one | got_two).items())
        totals = {p: sum(1 for q in placed.values() if q == p) for p in (0, 1)}
        assert await committed(one, topic) == totals
    finally:
        stop.set()
        await two.stop()
        await one.stop()
