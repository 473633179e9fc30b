"""Intake goes on after the broker went away mid-transaction (found by the fault run).

When the broker restarts while intake's transactional producer adds the consumed offsets to a
transaction, aiokafka's sender task ends ("Unexpected error during batch delivery") and the
producer is left in a fatal state: every later transaction is refused. The pump retried its
batch with that same producer, then stopped for good. It now replaces the producer (same
transactional id: starting it aborts the old transaction) and replays the batch.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from services.intake.pump import IntakePump, PumpConfig

TP = TopicPartition("inbound", 0)


@dataclass
class Record:
    offset: int
    topic: str = TP.topic
    partition: int = TP.partition
    key: bytes | None = None
    value: bytes = b"{}"


class Consumer:
    """Two records on one partition; a seek rewinds."""

    def __init__(self) -> None:
        self.records = [Record(0), Record(1)]
        self.position = 0

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        if self.position >= len(self.records):
            await asyncio.sleep(timeout_ms / 1000 / 50)
            return {}
        batch = self.records[self.position:]
        self.position = len(self.records)
        return {TP: batch}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.position = offset

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def highwater(self, tp: TopicPartition) -> int:
        return len(self.records)

    async def stop(self) -> None:
        pass


class Producer:
    """A transactional producer; a broken one is refused every transaction, as aiokafka's is
    once its sender task has ended."""

    def __init__(self, *, broken: bool) -> None:
        self.broken = broken
        self.attempts = 0
        self.committed: list[dict[Any, Any]] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    @asynccontextmanager
    async def transaction(self) -> Any:
        self.attempts += 1
        if self.broken and self.attempts == 1:
            raise KafkaError("Unexpected error during batch delivery")
        if self.broken:
            raise AssertionError("Invalid state transition TransactionState.FATAL_ERROR -> "
                                 "TransactionState.IN_TRANSACTION")
        yield

    async def send_offsets_to_transaction(self, offsets: dict[Any, Any], group: str) -> None:
        self.committed.append({tp: o.offset for tp, o in offsets.items()})


class Intake:
    def answer(self, inbound: list[Any]) -> list[Any]:
        return []  # no publications: the offsets alone make the transaction


class Pump(IntakePump):
    def __init__(self) -> None:
        super().__init__(Intake(), PumpConfig("kafka", "inbound", "intake", "intake-1"),  # type: ignore[arg-type]
                         lambda answers, seconds, lag: None)
        self.made: list[Producer] = []

    def _new_producer(self) -> Any:
        self.made.append(Producer(broken=not self.made))  # the first one breaks
        return self.made[-1]


def test_a_producer_broken_by_the_broker_is_replaced_and_the_batch_replayed():
    async def scenario() -> Pump:
        pump = Pump()
        pump.consumer = Consumer()  # type: ignore[assignment]
        pump.producer = pump._new_producer()
        pump.running = True
        running = asyncio.create_task(pump.run())
        async with asyncio.timeout(10):
            while not (len(pump.made) > 1 and pump.made[-1].committed):
                assert not running.done(), running.exception()
                await asyncio.sleep(0.01)
        await pump.stop()
        await running
        return pump

    pump = asyncio.run(scenario())

    broken, renewed = pump.made
    assert broken.attempts == 1
    assert broken.stopped
    assert renewed.started
    assert renewed.committed == [{TP: 2}]  # the whole batch, once, by the new producer
    assert len(pump.made) == 2
