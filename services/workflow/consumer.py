"""The Kafka edge of the workflow: a consumed batch becomes one transaction per partition."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from faststream.kafka import KafkaBroker, KafkaMessage

from contracts import tracecontext
from contracts.receipts import Reason
from contracts.topics import Topics
from services.platform.deadletters import dead_letter
from services.platform.kafka import record_position_name
from services.workflow.application import Message, Workflow
from services.workflow.decisions import Decision
from services.workflow.errors import UnusableFactError
from services.workflow.metrics import WorkflowMetrics
from services.workflow.translate import command_from, commands_for, message_id, read_fact

log = logging.getLogger("fangxin.workflow.consumer")
journey = logging.getLogger("fangxin.workflow.journey")
Translate = Callable[[bytes | None], Message]


def fact_messages(raw: bytes | None) -> Message:
    fact = read_fact(raw)
    return message_id(fact), commands_for(fact)


def command_messages(raw: bytes | None) -> Message:
    command = command_from(raw)
    return command.message_id, [command]


def journal(messages: Sequence[Message], decisions: Sequence[Decision]) -> None:
    """A line per decided message under its fact's W3C trace id: refusals at INFO, the rest
    at DEBUG (``grep <trace id>`` follows a fact through every service)."""
    detailed = journey.isEnabledFor(logging.DEBUG)
    for (mid, _), decision in zip(messages, decisions, strict=True):
        if decision.code is None and not detailed:
            continue
        journey.log(logging.DEBUG if decision.code is None else logging.INFO,
                    f"message {decision.outcome.value}",
                    extra={"trace_id": tracecontext.trace_id(mid),
                           "message_id": mid, "case_id": decision.case_id,
                           "code": decision.code})


class BatchHandler:
    """Records of one poll, grouped by partition; each group is decided and recorded at once."""

    def __init__(self, workflow: Workflow, broker: KafkaBroker, topics: Topics,
                 metrics: WorkflowMetrics, after: Callable[[], None]) -> None:
        self.workflow = workflow
        self.broker = broker
        self.topics = topics
        self.metrics = metrics
        self.after = after
        self._backoff = 0.5

    async def handle(self, msg: KafkaMessage, translate: Translate) -> None:
        """Record the batch, or back off and raise so that Kafka redelivers it."""
        by_partition: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for record in msg.raw_message:
            by_partition[(record.topic, record.partition)].append(record)
        try:
            for (topic, partition), records in by_partition.items():
                await self._partition(topic, partition, records, translate)
        except Exception:  # a transient fault (database, broker): back off, then redeliver
            log.exception("batch failed; it will be redelivered",
                          extra={"backoff_seconds": self._backoff})
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, 30.0)
            raise
        self._backoff = 0.5
        self.after()

    async def _partition(self, topic: str, partition: int, records: list[Any],
                         translate: Translate) -> None:
        name = record_position_name(topic, partition)
        done = await asyncio.to_thread(self.workflow.recorder.max_tracking_id, name) or 0
        last = records[-1].offset + 1
        if last <= done:
            return  # the whole batch was recorded before a crash or a rebalance
        messages = [m for r in records if r.offset + 1 > done
                    and (m := await self._translate(r, translate)) is not None]
        started = time.perf_counter()
        decisions = await asyncio.to_thread(self.workflow.handle, messages, Tracking(name, last))
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        self.metrics.decided(topic.rsplit(".", 2)[-2], decisions)
        journal(messages, decisions)

    async def _translate(self, record: Any, translate: Translate) -> Message | None:
        try:
            return translate(record.value)
        except UnusableFactError as exc:  # poison: dead-letter it, never block the partition
            reason = Reason(code="unusable", message=str(exc))
            await self.broker.publish(dead_letter(record, [reason]), self.topics.rejected,
                                      key=record.key)
            return None
