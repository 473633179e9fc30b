"""The Kafka side of intake: consume inbound batches, answer them, publish in one transaction.

Each poll's answers (facts, dead letters, receipts) and the consumed offsets are committed in one
Kafka transaction, so a consumer reading ``read_committed`` sees every receipt exactly once even
when intake crashes mid-batch: an aborted batch is consumed again, and the dedupe store gives the
same decisions for the same positions.

Batches are answered in a worker thread (the event loop stays free for the HTTP API) and their
publications go out with the producer's batch API: one record batch per topic partition, each
record partitioned like the Java client does it (murmur2 of the key), so every key keeps its
order. (Answering the next batch while the previous transaction commits was measured and lost:
the answering thread and the event loop then compete for the GIL.)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, ProducerFenced
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.structs import OffsetAndMetadata

from services.intake.application import Answer, Inbound, Intake

log = logging.getLogger("fangxin.intake.pump")
Observer = Callable[[Sequence[Answer], float, dict[TopicPartition, int]], None]
Records = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
_TRANSIENT = (KafkaError, OSError, RuntimeError)  # incl. SeenStoreUnavailableError
_KEY_CACHE_LIMIT = 100_000  # keys remembered per topic (entity ids, sources) before a reset


@dataclass(frozen=True)
class PumpConfig:
    bootstrap: str
    topic: str
    group_id: str
    transactional_id: str
    max_records: int = 1000
    max_message_bytes: int = 1_048_576


class _Partitions:
    """Where a key goes on one topic: murmur2 like the Java client, remembered per key."""

    def __init__(self, partitions: list[int]) -> None:
        self.all = partitions
        self.by_key: dict[bytes, int] = {}


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
        self._partitioner = DefaultPartitioner()
        self._topics: dict[str, _Partitions] = {}
        self._answering: asyncio.Future[list[Answer]] | None = None
        self._max_request_size = max(4 * config.max_message_bytes, 1_048_576)

    async def start(self) -> None:
        """Create and start the clients (aiokafka needs the running loop for that)."""
        config = self.config
        fetch_bytes = max(config.max_message_bytes + 1024, 1_048_576)
        self.consumer = AIOKafkaConsumer(
            config.topic, bootstrap_servers=config.bootstrap, group_id=config.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            max_partition_fetch_bytes=fetch_bytes, fetch_max_bytes=max(fetch_bytes, 52_428_800),
            client_id=f"{config.group_id}-consumer")
        self.producer = self._new_producer()
        await self.producer.start()
        await self.consumer.start()
        self.running = True

    def _new_producer(self) -> AIOKafkaProducer:
        config = self.config
        return AIOKafkaProducer(
            bootstrap_servers=config.bootstrap, transactional_id=config.transactional_id,
            enable_idempotence=True, linger_ms=0, max_batch_size=1_048_576,
            max_request_size=self._max_request_size,
            client_id=f"{config.group_id}-producer")

    async def _renew_producer(self) -> None:
        """A new transactional producer with the same id, in place of one a Kafka error may have
        broken (aiokafka's sender task ends when the broker goes away mid-transaction, and the
        producer refuses every later transaction). Starting it aborts the old open transaction;
        while Kafka is away, starting is tried again."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.producer.stop(), timeout=10)
        while not self._stop.is_set():
            renewed = self._new_producer()
            try:
                await renewed.start()
            except KafkaError as exc:
                log.warning("a new producer could not start yet", extra={"error": repr(exc)})
                with contextlib.suppress(Exception):
                    await renewed.stop()
                await asyncio.sleep(1.0)
                continue
            self.producer = renewed
            return

    async def stop(self) -> None:
        self._stop.set()
        self.running = False
        await self.consumer.stop()
        await self.producer.stop()

    async def run(self) -> None:
        backoff = 0.2
        try:
            while not self._stop.is_set():
                batches = await self.consumer.getmany(timeout_ms=500,
                                                      max_records=self.config.max_records)
                if not any(batches.values()):
                    continue
                try:
                    await self._process(batches)
                    backoff = 0.2
                except ProducerFenced:
                    log.critical("another intake took over this transactional id; stopping")
                    self.running = False
                    raise
                except _TRANSIENT as exc:  # transient: replay the batch
                    log.warning("batch failed; will retry", extra={
                        "error": repr(exc), "records": sum(map(len, batches.values()))})
                    self._rewind(batches)
                    await asyncio.sleep(backoff)  # back off before consuming the batch again
                    backoff = min(backoff * 2, 10.0)
                    if isinstance(exc, KafkaError):
                        await self._renew_producer()
                except Exception:  # not transient: stop, and say so (readiness fails)
                    log.critical("the pump stopped on an unexpected error", exc_info=True)
                    self.running = False
                    raise
        finally:
            if self._answering is not None:  # no answering goes on after run() returns
                await asyncio.gather(self._answering, return_exceptions=True)

    async def _process(self, batches: Records) -> None:
        started = time.perf_counter()
        context = contextvars.copy_context()  # as asyncio.to_thread does
        self._answering = asyncio.get_running_loop().run_in_executor(
            None, context.run, self._answer, batches)
        answers = await asyncio.shield(self._answering)  # cancelled: run() waits for it
        self._answering = None
        offsets = {tp: part[-1].offset + 1 for tp, part in batches.items() if part}
        async with self.producer.transaction():
            await asyncio.gather(*await self._send(answers))
            await self.producer.send_offsets_to_transaction(
                {tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()},
                self.config.group_id)
        lag = {tp: max(high - offset, 0) for tp, offset in offsets.items()
               if (high := self.consumer.highwater(tp)) is not None}
        self.observe(answers, time.perf_counter() - started, lag)

    def _answer(self, batches: Records) -> list[Answer]:
        inbound = [Inbound(r.value, r.key, f"kafka:{r.topic}:{r.partition}:{r.offset}",
                           topic=r.topic, partition=r.partition, offset=r.offset)
                   for part in batches.values() for r in part]
        return self.intake.answer(inbound)

    async def _send(self, answers: Sequence[Answer]) -> list[asyncio.Future[Any]]:
        """Every publication, in order, in one record batch per topic partition (or more)."""
        producer = self.producer
        topics: dict[str, _Partitions] = {}  # checked against the metadata once per batch
        builders: dict[tuple[str, int], Any] = {}
        sent: list[asyncio.Future[Any]] = []
        for answer in answers:
            for p in answer.publications:
                if len(p.value) > self._max_request_size // 2:
                    self._check_size(p.key, p.value, p.headers)
                partitions = topics.get(p.topic)
                if partitions is None:
                    partitions = topics[p.topic] = await self._partitions(p.topic)
                slot = (p.topic, self._partition(p.topic, partitions, p.key))
                builder = builders.get(slot)
                if builder is None:
                    builder = builders[slot] = producer.create_batch()
                if builder.append(key=p.key, value=p.value, timestamp=None,
                                  headers=p.headers) is None:  # full: send it, start another
                    sent.append(await producer.send_batch(builder, slot[0], partition=slot[1]))
                    builder = builders[slot] = producer.create_batch()
                    builder.append(key=p.key, value=p.value, timestamp=None, headers=p.headers)
        for (topic, partition), builder in builders.items():
            sent.append(await producer.send_batch(builder, topic, partition=partition))
        return sent

    def _check_size(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
                    ) -> None:
        """What ``send()`` enforces: no record larger than ``max_request_size``."""
        size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
        if size > self._max_request_size:
            raise MessageSizeTooLargeError(
                f"a {size}-byte record is larger than max_request_size {self._max_request_size}")

    async def _partitions(self, topic: str) -> _Partitions:
        partitions = sorted(await self.producer.partitions_for(topic))
        known = self._topics.get(topic)
        if known is None or known.all != partitions or len(known.by_key) > _KEY_CACHE_LIMIT:
            known = self._topics[topic] = _Partitions(partitions)
        return known

    def _partition(self, topic: str, partitions: _Partitions, key: bytes | None) -> int:
        if key is None:  # like send(): any partition that has a leader
            available = list(self.producer.client.cluster.available_partitions_for_topic(topic))
            chosen: int = self._partitioner(None, partitions.all, available)
            return chosen
        found = partitions.by_key.get(key)
        if found is None:
            found = partitions.by_key[key] = self._partitioner(key, partitions.all,
                                                               partitions.all)
        return found

    def _rewind(self, batches: Records) -> None:
        for tp, part in batches.items():
            if part and tp in self.consumer.assignment():  # a revoked partition is not ours
                self.consumer.seek(tp, part[0].offset)
