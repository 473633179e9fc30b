"""Fault injection, the small version: kill -9 each service mid-load, restart it, lose nothing.

Given a generated load (re-sends and bad messages mixed in) published to a local stack (its own
Kafka broker, the services on embedded SQLite), when intake, then the workflow, then the
projections are each killed with SIGKILL while they work and started again, then once the
pipeline has caught up: every inbound message has exactly one receipt, with the status the
generator expects; the workflow opened exactly the cases the generator expects and the read
model shows the same; no deadline timer fired twice; the dead-letter topic holds exactly the bad
messages.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console

from fangxin.catchup import metric_sum
from fangxin.demo import OFFICE, catch_up, publish
from fangxin.generator import Dataset, generate
from fangxin.local.secrets import local_tokens
from fangxin.local.services import ServiceProcess
from fangxin.report import collect
from fangxin.stack import LocalStack

pytestmark = pytest.mark.e2e
LOAD = 20_000  # messages: enough that each service is still at work when it is killed
PROGRESS = {  # what shows that a service is working: a metric of its own
    "intake": "fangxin_intake_messages_total",
    "workflow": "fangxin_workflow_messages_total",
    "projections": "fangxin_projections_events_applied_total",
}


@pytest.fixture(scope="module")
def load() -> Dataset:
    return generate(seed=11, size=LOAD)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    started = LocalStack.on_free_ports(tmp_path_factory.mktemp("faults"),
                                       ("intake", "workflow", "projections"))
    try:
        yield started
    finally:
        started.stop()


def eventually(probe: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {within:.0f} s: {what}")


def working(service: ServiceProcess) -> bool:
    try:
        return metric_sum(service.metrics(), PROGRESS[service.name]) > 0
    except OSError:
        return False


def kill_and_restart(service: ServiceProcess) -> None:
    assert service.process is not None
    service.process.send_signal(signal.SIGKILL)
    assert service.process.wait(10) == -signal.SIGKILL
    service.start().wait_ready(90)


async def read_topic(bootstrap: str, topic: str, partitions: int) -> list[dict[str, object]]:
    """Every committed record of a topic (read_committed: an aborted batch is not there)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, isolation_level="read_committed",
                                auto_offset_reset="earliest")  # no seek: it races the reset
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        found: list[dict[str, object]] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batches = await consumer.getmany(timeout_ms=1000)
            found += [json.loads(r.value) for rs in batches.values() for r in rs]
        return found
    finally:
        await consumer.stop()


KILLED_AT: dict[str, float] = {}  # the service's progress metric when it was killed


@pytest.fixture(scope="module")
def faulted(load: Dataset, stack: LocalStack) -> LocalStack:
    console = Console(file=io.StringIO())
    bootstrap = stack.start_kafka()
    stack.start_services(bootstrap)
    publish(console, stack, bootstrap, load)
    for name in ("intake", "workflow", "projections"):
        service = stack.services[name]
        eventually(lambda service=service: working(service), 120, f"{name} at work")
        KILLED_AT[name] = metric_sum(service.metrics(), PROGRESS[name])
        kill_and_restart(service)
    # intake's own counter restarted with it: wait on the consumer groups and the relay only
    catch_up(console, stack, bootstrap, published=0, within=600)
    return stack


def test_every_inbound_message_has_exactly_one_receipt(load: Dataset, faulted: LocalStack):
    assert faulted.kafka is not None
    receipts = asyncio.run(read_topic(faulted.kafka.bootstrap_servers,
                                      faulted.topics.receipts, faulted.partitions))

    positions = Counter((r["inbound_partition"], r["inbound_offset"]) for r in receipts)
    assert len(positions) == len(load.messages)
    assert set(positions.values()) == {1}
    statuses = Counter(str(r["status"]) for r in receipts)
    assert statuses == {"accepted": load.truth.accepted, "duplicate": load.truth.duplicates,
                        "rejected": load.truth.rejected}


def test_the_dead_letters_are_exactly_the_bad_messages(load: Dataset, faulted: LocalStack):
    assert faulted.kafka is not None
    letters = asyncio.run(read_topic(faulted.kafka.bootstrap_servers, faulted.topics.rejected,
                                     faulted.partitions))

    codes = Counter(str(letter["reasons"][0]["code"]) for letter in letters)  # type: ignore[index]
    assert codes == load.truth.rejected_by_code


def test_the_cases_are_exactly_the_expected_ones_in_the_workflow_and_the_read_model(
        load: Dataset, faulted: LocalStack):
    token = local_tokens(faulted.state_dir)[OFFICE]
    report = collect({n: s.url for n, s in faulted.services.items()}, token, None)

    expected = {kind: n for kind, n in load.truth.cases_by_kind.items() if n}
    assert report.cases_by_kind == expected
    for kind, count in expected.items():
        status, found = faulted.services["workflow"].get_json(
            f"/cases?kind={kind}&limit=1000", token)
        assert status == 200
        assert isinstance(found, list)
        assert len(found) == min(count, 1000), kind


def test_no_deadline_timer_fired_twice(faulted: LocalStack):
    database = faulted.state_dir / "db" / "projections.sqlite"
    assert Path(database).exists()
    with sqlite3.connect(database) as db:
        fired = db.execute(
            "SELECT case_id, type, json_extract(data, '$.name') AS deadline, COUNT(*) AS times"
            " FROM case_timeline WHERE type IN ('deadline.warned', 'deadline.overdue')"
            " GROUP BY case_id, type, deadline").fetchall()

    assert fired, "timers fired (the facts are from 2022-2024)"
    assert [row for row in fired if row[3] > 1] == []


def test_intake_was_killed_in_the_middle_of_the_load(load: Dataset, faulted: LocalStack):
    assert 0 < KILLED_AT["intake"] < len(load.messages)
