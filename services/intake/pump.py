"""The Kafka side of intake: consume inbound batches, answer them, publish in one transaction.

Each poll's answers (facts, dead letters, receipts) and the consumed offsets are committed in one
Kafka transaction, so a consumer reading ``read_committed`` sees every receipt exactly once even
when intake crashes mid-batch: an aborted batch is consumed again, and the dedupe store gives the
same decisions for the same positions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, ProducerFenced
from aiokafka.structs import OffsetAndMetadata

from services.intake.application import Answer, Inbound, Intake

log = logging.getLogger("fangxin.intake.pump")
Observer = Callable[[Sequence[Answer], float, dict[TopicPartition, int]], None]


@dataclass(frozen=True)
class PumpConfig:
    bootstrap: str
    topic: str
    group_id: str
    transactional_id: str
    max_records: int = 1000
    max_message_bytes: int = 1_048_576


class IntakePump:
    """One consumer and one transactional producer; batches are processed one at a time."""

    def __init__(self, intake: Intake, config: PumpConfig, observe: Observer) -> None:
        self.intake = intake
        self.config = config
        self.observe = observe
        self.running = False
        self._stop = asyncio.Event()
        self.consumer: AIOKafkaConsumer
        self.producer: AIOKafkaProducer

    async def start(self) -> None:
        """Create and start the clients (aiokafka needs the running loop for that)."""
        config = self.config
        fetch_bytes = max(config.max_message_bytes + 1024, 1_048_576)
        self.consumer = AIOKafkaConsumer(
            config.topic, bootstrap_servers=config.bootstrap, group_id=config.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_partition_fetch_bytes=fetch_bytes, fetch_max_bytes=max(fetch_bytes, 52_428_800),
            client_id=f"{config.group_id}-consumer")
        self.producer = AIOKafkaProducer(
            bootstrap_servers=config.bootstrap, transactional_id=config.transactional_id,
            enable_idempotence=True, linger_ms=0, max_batch_size=1_048_576,
            max_request_size=max(4 * config.max_message_bytes, 1_048_576),
            client_id=f"{config.group_id}-producer")
        await self.producer.start()
        await self.consumer.start()
        self.running = True

    async def stop(self) -> None:
        self._stop.set()
        self.running = False
        await self.consumer.stop()
        await self.producer.stop()

    async def run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=500,
                                                  max_records=self.config.max_records)
            records = [r for part in batches.values() for r in part]
            if not records:
                continue
            try:
                await self._process(records)
                backoff = 0.2
            except ProducerFenced:
                log.critical("another intake took over this transactional id; stopping")
                self.running = False
                raise
            except (KafkaError, OSError, RuntimeError) as exc:  # transient: replay the batch
                log.warning("batch failed; will retry", extra={"error": repr(exc),
                                                               "records": len(records)})
                self._rewind(batches)
                await asyncio.sleep(backoff)  # back off before consuming the batch again
                backoff = min(backoff * 2, 10.0)

    async def _process(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        started = time.perf_counter()
        inbound = [Inbound(r.value, r.key, f"kafka:{r.topic}:{r.partition}:{r.offset}",
                           topic=r.topic, partition=r.partition, offset=r.offset)
                   for r in records]
        answers = await asyncio.to_thread(self.intake.answer, inbound)
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
        async with self.producer.transaction():
            sent = [await self.producer.send(p.topic, p.value, key=p.key, headers=p.headers)
                    for answer in answers for p in answer.publications]
            await asyncio.gather(*sent)
            await self.producer.send_offsets_to_transaction(
                {tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()},
                self.config.group_id)
        lag = {tp: max(self.consumer.highwater(tp) - offset, 0) for tp, offset in offsets.items()
               if self.consumer.highwater(tp) is not None}
        self.observe(answers, time.perf_counter() - started, lag)

    def _rewind(self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        for tp, part in batches.items():
            if part and tp in self.consumer.assignment():  # a revoked partition is not ours
                self.consumer.seek(tp, part[0].offset)
