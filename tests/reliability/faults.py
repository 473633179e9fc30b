"""Fault injection on a running LocalStack: the plan, the injectors and what each one saw.

A plan is a seeded list of steps. Before each step the next chunk of the load is published;
the step then waits until its consumer group has read a seeded share of what is waiting on its
topic, and injects its fault while records are still waiting (measured and kept in the
:class:`Fault`, so a test can hold it to having happened *during* the load).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.registry import by_type
from contracts.topics import Topics
from fangxin.catchup import CatchUp, Snapshot
from fangxin.generator import Message
from fangxin.generator.files import publish_messages
from fangxin.generator.message import FACT
from fangxin.local.postgres import PostgresServer
from fangxin.local.services import ServiceProcess
from fangxin.stack import LocalStack

REBALANCING = ("PreparingRebalance", "CompletingRebalance")
STARTING = "Waiting for application startup."  # uvicorn, before the lifespan starts Kafka
GROUP_OF = {"intake": "fangxin-intake", "workflow": "fangxin-workflow",
            "projections": "fangxin-projections"}


@dataclass
class Fault:
    """One injected fault: what, when (seconds into the load), and the work then waiting."""

    kind: str  # kill, restart-kafka, restart-postgres, kill-mid-rebalance
    target: str  # the service instance, "kafka" or "postgres"
    at: float
    group: str
    read: int  # records the group had read on its topic when the fault was injected
    written: int  # records on that topic then
    expected: int  # records on that topic once intake has answered what was published then
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        """Records published and not yet read by the group (on its topic, or still to be
        routed there by intake)."""
        return max(self.written, self.expected) - self.read


@dataclass(frozen=True)
class Step:
    kind: str
    target: str  # a service (its first instance unless ``instance``), "kafka" or "postgres"
    group: str  # whose progress places the fault
    topic: str  # ... on which topic
    share: float  # of what waits on the topic when the step begins
    instance: str = ""


def plan(seed: int, topics: Any, rounds: int) -> list[Step]:
    """Kill each service, restart the broker and PostgreSQL at seeded points; then two
    instances of the workflow and of the projections, one of each killed mid-rebalance. Later
    rounds repeat the kills and restarts, on the second instances."""
    rng = Random(f"faults:{seed}")

    def share() -> float:
        return round(rng.uniform(0.1, 0.6), 3)

    steps: list[Step] = []
    for number in range(rounds):
        second = ".2" if number else ""
        steps += [
            Step("kill", "intake", GROUP_OF["intake"], topics.inbound, share()),
            Step("restart-kafka", "kafka", GROUP_OF["workflow"], topics.supervision, share()),
            Step("kill", "workflow", GROUP_OF["workflow"], topics.supervision, share(),
                 instance=f"workflow{second}"),
            Step("restart-postgres", "postgres", GROUP_OF["projections"], topics.supervision,
                 share()),
            Step("kill", "projections", GROUP_OF["projections"], topics.trace, share(),
                 instance=f"projections{second}"),
        ]
        if number == 0:
            steps += [Step("kill-mid-rebalance", service, GROUP_OF[service], topics.supervision,
                           share()) for service in ("workflow", "projections")]
    return steps


def chunks(messages: Sequence[Message], parts: int) -> list[Sequence[Message]]:
    size = -(-len(messages) // parts)
    return [messages[i:i + size] for i in range(0, len(messages), size)]


async def _group_position(bootstrap: str, group: str, topic: str, partitions: int
                          ) -> tuple[int, int]:
    """(records the group has read, records written) summed over the topic's partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                              enable_auto_commit=False)
    await admin.start()
    await reader.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await reader.end_offsets(assigned)
        committed = await admin.list_consumer_group_offsets(group)
        read = sum(committed[tp].offset for tp in assigned
                   if tp in committed and committed[tp].offset >= 0)
        return read, sum(ends.values())
    finally:
        await reader.stop()
        await admin.close()


def group_position(stack: LocalStack, group: str, topic: str) -> tuple[int, int]:
    assert stack.kafka is not None
    return asyncio.run(_group_position(stack.kafka.bootstrap_servers, group, topic,
                                       stack.partitions))


def routed(messages: Sequence[Message], topics: Topics) -> dict[str, int]:
    """Records ``messages`` put on each topic once intake has answered them: every message on
    the inbound topic, every first copy of a fact on its canonical topic."""
    kinds = by_type()
    found = Counter(topics.name(kinds[m.fact_type].topic) for m in messages
                    if m.kind == FACT and m.fact_type in kinds)
    return {topics.inbound: len(messages), **found}


async def _await_point(bootstrap: str, group: str, topic: str, partitions: int, share: float,
                       expected: int, within: float = 600) -> tuple[int, int]:
    """(read, written) once ``group`` has read ``share`` of what waits for it on ``topic``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                              enable_auto_commit=False)
    await admin.start()
    await reader.start()
    assigned = [TopicPartition(topic, p) for p in range(partitions)]

    async def position() -> tuple[int, int]:
        committed = await admin.list_consumer_group_offsets(group)
        read = sum(committed[tp].offset for tp in assigned
                   if tp in committed and committed[tp].offset >= 0)
        return read, sum((await reader.end_offsets(assigned)).values())

    try:
        read, written = await position()
        target = read + share * (max(expected, written) - read)
        async with asyncio.timeout(within):
            while read < target:
                await asyncio.sleep(0.02)
                read, written = await position()
        return read, written
    finally:
        await reader.stop()
        await admin.close()


async def _group_state(bootstrap: str, group: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        return str(response.groups[0][2])
    finally:
        await admin.close()


def group_state(bootstrap: str, group: str) -> str:
    """The consumer group's state: Stable, PreparingRebalance, CompletingRebalance, Empty..."""
    return asyncio.run(_group_state(bootstrap, group))


def eventually(probe: Callable[[], Any], within: float, what: str, pause: float = 0.05) -> Any:
    """The first true answer of ``probe``, asked until ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(pause)
    raise AssertionError(f"not within {within:.0f} s: {what}")


def publish(stack: LocalStack, messages: Sequence[Message]) -> int:
    assert stack.kafka is not None
    return asyncio.run(publish_messages(stack.kafka.bootstrap_servers, stack.topics.inbound,
                                        messages))


def scrape(stack: LocalStack, service: str) -> str:
    """Every instance's metrics of one service, one exposition after the other."""
    return "\n".join(instance.metrics() for instance in stack.instances(service))


def catch_up(stack: LocalStack, within: float) -> Snapshot:
    """Until every group has read every record, the outbox is relayed, twice in a row."""
    assert stack.kafka is not None
    watcher = CatchUp(stack.kafka.bootstrap_servers, stack.topics,
                      lambda name: scrape(stack, name))
    return asyncio.run(watcher.wait(0, within=within))


class Injector:
    """Runs a plan against a stack and keeps what each fault saw."""

    def __init__(self, stack: LocalStack, postgres: PostgresServer | None = None) -> None:
        assert stack.kafka is not None
        self.stack = stack
        self.postgres = postgres
        self.started = time.monotonic()
        self.faults: list[Fault] = []
        self.published: list[Message] = []

    @property
    def bootstrap(self) -> str:
        assert self.stack.kafka is not None
        return self.stack.kafka.bootstrap_servers

    def run(self, steps: Sequence[Step], messages: Sequence[Message]) -> None:
        parts = chunks(messages, len(steps) + 1)
        for step, chunk in zip(steps, parts, strict=False):
            if step.kind == "kill-mid-rebalance":
                self._kill_mid_rebalance(step, chunk)
                self.published += chunk
                continue
            publish(self.stack, chunk)
            self.published += chunk
            self._at_point(step)
            self._inject(step)
        for chunk in parts[len(steps):]:
            publish(self.stack, chunk)
            self.published += chunk

    def _at_point(self, step: Step) -> None:
        """Wait until the step's group has read its share of what waits for it (what is on
        its topic, or will be once intake has routed what was published), watching every
        20 ms; record the fault there."""
        assert self.stack.kafka is not None
        expected = routed(self.published, self.stack.topics).get(step.topic, 0)
        read, written = asyncio.run(_await_point(
            self.stack.kafka.bootstrap_servers, step.group, step.topic, self.stack.partitions,
            step.share, expected))
        self.faults.append(Fault(step.kind, step.instance or step.target,
                                 round(time.monotonic() - self.started, 1), step.group,
                                 read, written, expected))

    def _record(self, step: Step, target: str, published: Sequence[Message], **detail: Any
                ) -> Fault:
        read, written = group_position(self.stack, step.group, step.topic)
        expected = routed(published, self.stack.topics).get(step.topic, 0)
        fault = Fault(step.kind, target, round(time.monotonic() - self.started, 1), step.group,
                      read, written, expected, detail)
        self.faults.append(fault)
        return fault

    def _inject(self, step: Step) -> None:
        if step.kind == "kill":
            victim = self.stack.services[step.instance or step.target]
            kill(victim)
            victim.start().wait_ready(120)
        elif step.kind == "restart-kafka":
            began = time.monotonic()
            self.stack.restart_kafka()
            self.faults[-1].detail["down_seconds"] = round(time.monotonic() - began, 1)
        elif step.kind == "restart-postgres":
            began = time.monotonic()
            assert self.postgres is not None
            self.postgres.restart("immediate")
            self.faults[-1].detail["down_seconds"] = round(time.monotonic() - began, 1)
        else:
            raise ValueError(step.kind)

    def _kill_mid_rebalance(self, step: Step, chunk: Sequence[Message]) -> None:
        """Start a second instance and, while it starts up, publish the chunk; as soon as its
        joining puts the group into a rebalance (with records waiting), kill -9 the first
        instance; the second comes up, then the first comes back."""
        victim = self.stack.services[step.target]
        newcomer = self.stack.start_instance(step.target, 2)
        eventually(lambda: STARTING in newcomer.log_tail(5), 120,
                   f"{newcomer.name} starting its lifespan (it joins the group there)")
        publish(self.stack, chunk)
        state = eventually(lambda: _rebalancing(self.bootstrap, step.group, newcomer), 180,
                           f"{step.group} rebalancing after {newcomer.name} joined", pause=0.02)
        self._record(step, victim.name, [*self.published, *chunk], group_state=state,
                     newcomer=newcomer.name)
        kill(victim)
        newcomer.wait_ready(120)
        victim.start().wait_ready(120)


def _rebalancing(bootstrap: str, group: str, newcomer: ServiceProcess) -> str | None:
    assert newcomer.process is not None
    if newcomer.process.poll() is not None:
        raise AssertionError(f"{newcomer.name} exited:\n{newcomer.log_tail()}")
    state = group_state(bootstrap, group)
    return state if state in REBALANCING else None


def kill(service: ServiceProcess) -> None:
    """kill -9, and make sure that is how it ended."""
    status = service.kill()
    assert status == -9, f"{service.name} ended with {status}, not by SIGKILL"


async def _read_topic(bootstrap: str, topic: str, partitions: int) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, isolation_level="read_committed",
                                auto_offset_reset="earliest")  # no seek: it races the reset
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        found: list[Any] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batches = await consumer.getmany(timeout_ms=1000)
            found += [record for records in batches.values() for record in records]
        return found
    finally:
        await consumer.stop()


def read_topic(stack: LocalStack, topic: str) -> list[dict[str, Any]]:
    """Every committed record of a topic, as JSON (read_committed: no aborted batch)."""
    assert stack.kafka is not None
    records = asyncio.run(_read_topic(stack.kafka.bootstrap_servers, topic, stack.partitions))
    return [json.loads(record.value) for record in records]
