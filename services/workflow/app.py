"""Composition root of the workflow service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

from eventsourcing.persistence import Tracking
from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter, Gauge

from contracts.cases import CaseEvent
from contracts.receipts import Reason
from services.platform.deadletters import dead_letter
from services.platform.http import ApiError, broker_asyncapi, broker_ready, build_http_app
from services.platform.kafka import consumer_record, make_broker, record_position_name
from services.workflow.application import Workflow
from services.workflow.errors import CaseNotFoundError, UnusableFactError
from services.workflow.relay import OutboxRelay
from services.workflow.settings import WorkflowSettings
from services.workflow.translate import case_event, command_for, read_fact

log = logging.getLogger("fangxin.workflow")
DESCRIPTION = "Event-sourced cases: opens, assigns and times them (the only writer)."


def create_app(settings: WorkflowSettings) -> FastAPI:
    registry = CollectorRegistry()
    facts = Counter("fangxin_workflow_facts", "Canonical facts handled, by outcome",
                    ["outcome"], registry=registry)
    relay_lag = Gauge("fangxin_workflow_relay_lag_events",
                      "Stored case events not yet published to Kafka", registry=registry)
    topics = settings.topics
    workflow = Workflow(env=settings.eventsourcing_env("workflow.sqlite"))
    broker = make_broker(settings, "workflow", registry)

    async def publish(events: Sequence[CaseEvent]) -> None:
        for event in events:
            await broker.publish(event, topics.workflow_events, key=event.case_id.encode(),
                                 headers={"message-id": event.event_id})

    relay = OutboxRelay(workflow, publish, batch_size=settings.relay_batch_size,
                        poll_seconds=settings.relay_poll_seconds,
                        on_progress=lambda pos, head: relay_lag.set(head - pos))

    @broker.subscriber(topics.supervision, group_id=settings.consumer_group,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                       title="on_supervision_fact")
    async def on_supervision_fact(msg: KafkaMessage) -> None:
        record = consumer_record(msg)
        try:
            command = command_for(read_fact(record.value))
        except UnusableFactError as exc:
            log.warning("fact unusable, dead-lettered", extra={"error": str(exc)})
            reason = Reason(code="unusable_fact", message=str(exc))
            await broker.publish(dead_letter(record, [reason]), topics.rejected, key=record.key)
            facts.labels("unusable").inc()
            return
        position = record_position_name(record.topic, record.partition)
        outcome = await asyncio.to_thread(workflow.handle, command,
                                          Tracking(position, record.offset + 1))
        facts.labels(outcome.value).inc()
        relay.wake()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
        try:
            yield
        finally:
            relay.stop()
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(relay_task, timeout=10)
            await broker.stop()
            workflow.close()

    async def database_ready() -> bool:
        await asyncio.to_thread(workflow.recorder.max_notification_id)
        return True

    app = build_http_app(
        service="workflow",
        description=DESCRIPTION,
        asyncapi=broker_asyncapi(broker, "workflow", DESCRIPTION), registry=registry,
        ready_checks={"kafka": broker_ready(broker), "database": database_ready},
        lifespan=lifespan,
    )

    @app.get("/cases/{case_id}", tags=["cases"])
    def get_case(case_id: str) -> dict[str, object]:
        try:
            history = workflow.case_history(case_id)
        except CaseNotFoundError as exc:
            raise ApiError(404, "case_not_found", str(exc)) from None
        events = [e for e in (case_event(ev) for ev in history) if e is not None]
        case = workflow.get_case(case_id)
        return {"case_id": case_id, "kind": case.kind.value, "state": case.state.value,
                "version": case.version,
                "history": [e.model_dump(mode="json") for e in events]}

    return app
