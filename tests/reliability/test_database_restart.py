"""Services go on after PostgreSQL restarts (found by the fault run, docs/reliability.md).

The dedupe store's pooled connection dies with the server; the next claim fails. That failure
used to escape the pump's loop (a psycopg error is none of the transient kinds it retried), so
the pump task ended while the process stayed up and reported itself ready: intake answered
nothing more, for ever. Now the store reports it as unavailable, the pump replays the batch
after a back-off, and anything else that stops the pump makes readiness fail.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from eventsourcing.persistence import InfrastructureFactory
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.processes import free_port
from services.intake.app import create_app
from services.intake.dedupe import PostgresSeenStore, SeenStoreUnavailableError
from services.intake.settings import IntakeSettings
from services.projections.settings import ProjectionsSettings
from services.projections.trace import PostgresTraceView
from tests.clients import wait_ready
from tests.factories import as_bytes, sampling_fact
from tests.fixtures.kafka import publish_values
from tests.fixtures.postgres import started
from tests.fixtures.producers import TEST_LAB, ProducersFile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def restartable() -> Iterator[PostgresServer]:
    """A cluster of this module's own: restarting the session's would break other tests."""
    yield from started(durable=True)  # synchronous_commit off would lose commits


def test_a_claim_after_a_restart_answers_as_before(restartable: PostgresServer):
    database = f"seen{uuid.uuid4().hex[:8]}"
    store = PostgresSeenStore(restartable.create_database(database))
    try:
        first, second = ("urn:lab", "a"), ("urn:lab", "b")
        assert store.claim([(first, "kafka:in:0:1")]) == {first: "kafka:in:0:1"}

        restartable.restart("immediate")  # every pooled connection dies with the server

        assert store.claim([(first, "kafka:in:0:9"), (second, "kafka:in:0:10")]) == {
            first: "kafka:in:0:1", second: "kafka:in:0:10"}
    finally:
        store.close()


def test_reads_after_a_restart_never_meet_a_connection_the_server_closed(
        restartable: PostgresServer):
    """Every idle pooled connection dies with the server; each used to fail its next caller
    once (an HTTP read, a rebuild). The services' pool passes over them instead."""
    database = f"view{uuid.uuid4().hex[:8]}"
    restartable.create_database(database)
    settings = ProjectionsSettings(persistence="postgres", postgres_host=restartable.host,
                                   postgres_port=restartable.port,
                                   postgres_user=restartable.user, postgres_dbname=database)
    factory = InfrastructureFactory.construct(settings.eventsourcing_env("unused.sqlite"))
    try:
        view = factory.tracking_recorder(PostgresTraceView)
        pool = factory.datastore.pool
        pool.wait(timeout=30)  # all of its connections open and idle
        idle = pool.get_stats()["pool_available"]
        assert idle >= 2

        restartable.restart("immediate")

        for _ in range(2 * idle):  # more reads than there were connections
            assert view.upstream("LOT-1").lots == [{"lot_code": "LOT-1", "depth": 0}]
        assert pool.get_stats().get("returns_bad", 0) >= idle  # each dead one passed over
    finally:
        factory.close()


def test_an_unreachable_store_is_a_failure_the_pump_retries():
    store = PostgresSeenStore.__new__(PostgresSeenStore)  # no server: the claim must fail
    store._table = "intake_seen"
    store._pool = ConnectionPool(f"host=127.0.0.1 port={free_port()} user=nobody",
                                 min_size=1, open=False, timeout=1)
    with pytest.raises(SeenStoreUnavailableError) as failed:
        store.claim([(("urn:lab", "a"), "kafka:in:0:1")])
    assert isinstance(failed.value, RuntimeError)  # the pump's transient kinds


def test_intake_answers_every_message_across_a_database_restart(
        kafka: KafkaServer, restartable: PostgresServer, producers_file: ProducersFile,
        tmp_path: Path):
    topics = Topics(prefix=f"pg{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 1))
    database = f"intake{uuid.uuid4().hex[:8]}"
    restartable.create_database(database)
    settings = IntakeSettings(
        kafka_bootstrap=kafka.bootstrap_servers, topic_prefix=topics.prefix,
        persistence="postgres", postgres_host=restartable.host, postgres_port=restartable.port,
        postgres_user=restartable.user, postgres_dbname=database, sqlite_dir=tmp_path,
        producers_file=producers_file.path, consumer_group=f"{topics.prefix}intake",
        instance_id="restart")
    before, after = (as_bytes(sampling_fact(n, source=TEST_LAB)) for n in ("R1", "R2"))
    with TestClient(create_app(settings)) as intake:
        wait_ready(intake)
        asyncio.run(publish_values(kafka.bootstrap_servers, topics.inbound, [before]))
        assert [r["status"] for r in read_until(kafka.bootstrap_servers, topics.receipts, 1)
                ] == ["accepted"]

        restartable.restart("immediate")
        asyncio.run(publish_values(kafka.bootstrap_servers, topics.inbound, [after, before]))

        receipts = read_until(kafka.bootstrap_servers, topics.receipts, 3, timeout=60)
        assert [r["status"] for r in receipts] == ["accepted", "accepted", "duplicate"]
        assert intake.get("/health/ready").status_code == 200




async def _read(bootstrap: str, topic: str) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=1000)
        return [json.loads(r.value) for part in batches.values() for r in part]
    finally:
        await consumer.stop()


def read_until(bootstrap: str, topic: str, count: int, timeout: float = 30
               ) -> list[dict[str, object]]:
    """The committed records of ``topic`` once there are ``count`` (or what there is then)."""
    deadline = time.monotonic() + timeout
    while True:
        values = asyncio.run(_read(bootstrap, topic))
        if len(values) >= count or time.monotonic() > deadline:
            return values
