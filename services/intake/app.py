"""Composition root of the intake service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter

from contracts.receipts import Receipt, ReceiptStatus
from services.intake.settings import IntakeSettings
from services.intake.triage import Accepted, triage
from services.platform.deadletters import dead_letter
from services.platform.http import broker_ready, build_http_app
from services.platform.kafka import make_broker


def create_app(settings: IntakeSettings) -> FastAPI:
    registry = CollectorRegistry()
    received = Counter("fangxin_intake_messages", "Inbound messages by receipt status",
                       ["status"], registry=registry)
    topics = settings.topics
    broker = make_broker(settings, "intake", registry)

    def answer(record: Any) -> list[Awaitable[Any]]:
        """The publications one inbound record causes: the fact or a dead letter, a receipt."""
        decision = triage(record.value, max_bytes=settings.max_message_bytes)
        now = datetime.now(UTC)
        where = {"inbound_topic": record.topic, "inbound_partition": record.partition,
                 "inbound_offset": record.offset, "processed_at": now}
        if isinstance(decision, Accepted):
            event, target = decision.event, topics.name(decision.topic)
            receipt = Receipt(status=ReceiptStatus.ACCEPTED, source=event.source, id=event.id,
                              type=event.type, routed_to=target, **where)
            out = broker.publish(event, target, key=decision.key.encode(),
                                 headers={"message-id": f"{event.source}#{event.id}"})
        else:
            env = decision.envelope
            receipt = Receipt(status=ReceiptStatus.REJECTED, source=env.get("source"),
                              id=env.get("id"), type=env.get("type"), reasons=decision.reasons,
                              **where)
            out = broker.publish(dead_letter(record, decision.reasons), topics.rejected,
                                 key=record.key)
        received.labels(receipt.status.value).inc()
        key = (receipt.source or "").encode()
        return [out, broker.publish(receipt, topics.receipts, key=key)]

    @broker.subscriber(topics.inbound, group_id=settings.consumer_group, batch=True,
                       max_records=settings.batch_max_records, auto_offset_reset="earliest",
                       ack_policy=AckPolicy.NACK_ON_ERROR, title="on_inbound")
    async def on_inbound(msg: KafkaMessage) -> None:
        """Validate and route a batch; the offsets are committed after every output is acked."""
        publications = [p for record in msg.raw_message for p in answer(record)]
        await asyncio.gather(*publications)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()

    return build_http_app(
        service="intake",
        description="Validates, normalises and routes inbound facts; answers each with a receipt.",
        broker=broker, registry=registry, ready_checks={"kafka": broker_ready(broker)},
        lifespan=lifespan,
    )
