"""Has the pipeline caught up? Consumer groups on the real broker, transaction markers included."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from contracts.topics import Topics
from fangxin.catchup import CatchUp, Snapshot
from fangxin.local.kafka import KafkaServer, create_topics

pytestmark = pytest.mark.integration
METRICS = {"intake": "fangxin_intake_messages_total{status=\"accepted\"} 3.0\n",
           "workflow": "fangxin_workflow_relay_lag_events 0.0\n"}


@pytest.fixture
def topics(kafka: KafkaServer) -> Topics:
    found = Topics(prefix=f"catchup{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, {found.inbound: 1, found.supervision: 1})
    return found


def watcher(kafka: KafkaServer, topics: Topics, group: str) -> CatchUp:
    return CatchUp(kafka.bootstrap_servers, topics, METRICS.__getitem__,
                   groups={group: (topics.inbound, topics.supervision)})


async def produce(bootstrap: str, topic: str, count: int, *, transactional: bool) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                transactional_id=f"t-{uuid.uuid4().hex}" if transactional
                                else None)
    await producer.start()
    try:
        if transactional:
            async with producer.transaction():
                for n in range(count):
                    await producer.send(topic, f"{n}".encode())
        else:
            for n in range(count):
                await producer.send_and_wait(topic, f"{n}".encode())
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
    finally:
        await consumer.stop()


def look(catchup: CatchUp) -> Snapshot:
    return asyncio.run(catchup.snapshot())


def test_a_group_that_never_committed_is_behind_where_records_wait(kafka: KafkaServer,
                                                                   topics: Topics):
    asyncio.run(produce(kafka.bootstrap_servers, topics.inbound, 3, transactional=False))

    snapshot = look(watcher(kafka, topics, f"g-{uuid.uuid4().hex}"))

    assert sum(snapshot.behind.values()) == 1  # the inbound partition; supervision is empty
    assert snapshot.written == 3
    assert not snapshot.idle(published=3)


def test_a_group_past_the_last_record_of_a_transaction_has_caught_up(kafka: KafkaServer,
                                                                     topics: Topics):
    bootstrap = kafka.bootstrap_servers
    asyncio.run(produce(bootstrap, topics.inbound, 3, transactional=False))
    asyncio.run(produce(bootstrap, topics.supervision, 2, transactional=True))
    group = f"g-{uuid.uuid4().hex}"
    # offsets after the last record: the supervision partition still has its commit marker
    asyncio.run(commit(bootstrap, group, {TopicPartition(topics.inbound, 0): 3,
                                          TopicPartition(topics.supervision, 0): 2}))

    snapshot = look(watcher(kafka, topics, group))

    assert snapshot.written == 3 + 2 + 1  # records and the marker
    assert snapshot.behind == {group: 0}
    assert snapshot.idle(published=3)


def test_a_group_one_record_short_is_behind(kafka: KafkaServer, topics: Topics):
    bootstrap = kafka.bootstrap_servers
    asyncio.run(produce(bootstrap, topics.supervision, 2, transactional=True))
    group = f"g-{uuid.uuid4().hex}"
    asyncio.run(commit(bootstrap, group, {TopicPartition(topics.supervision, 0): 1}))

    assert look(watcher(kafka, topics, group)).behind == {group: 1}
