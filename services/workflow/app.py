"""Composition root of the workflow service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from fastapi import FastAPI
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry

from contracts.cases import CaseEvent
from services.platform.auth import Credentials
from services.platform.http import broker_asyncapi, broker_ready, build_http_app
from services.platform.kafka import Handler, batch_subscriber, make_broker
from services.platform.limits import limit_api_requests
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex
from services.workflow.consumer import BatchHandler, command_messages, fact_messages
from services.workflow.followers import (
    PollingLoop,
    annual_summaries_step,
    index_step,
    timer_step,
)
from services.workflow.http_api import calendar_router, case_router
from services.workflow.leader import FileLeaderLock, LeaderLock, PostgresLeaderLock
from services.workflow.metrics import WorkflowMetrics
from services.workflow.public_events import traceparent_of
from services.workflow.relay import OutboxRelay
from services.workflow.settings import WorkflowSettings

log = logging.getLogger("fangxin.workflow")
DESCRIPTION = "Event-sourced cases: opens, assigns and times them (the only writer)."


def create_app(settings: WorkflowSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = WorkflowMetrics(registry)
    topics = settings.topics
    workflow = Workflow(env=settings.eventsourcing_env("workflow.sqlite"))
    postgres = settings.persistence == "postgres"
    index = CaseIndex(workflow.recorder.datastore,  # type: ignore[attr-defined]
                      workflow.recorder, postgres=postgres)
    lock: LeaderLock = (PostgresLeaderLock(settings.conninfo(), "fangxin-workflow-relay")
                        if postgres else FileLeaderLock(settings.sqlite_dir / "workflow.lock"))
    broker = make_broker(settings, "workflow", registry)
    credentials = Credentials.load(settings.units_file)

    async def publish(events: Sequence[CaseEvent]) -> None:
        sent = [await broker.publish(e, topics.workflow_events, key=e.case_id.encode(),
                                     headers={"message-id": e.event_id,
                                              "traceparent": traceparent_of(e)},
                                     no_confirm=True)
                for e in events]
        await asyncio.gather(*sent)
        metrics.published(events)

    relay = OutboxRelay(workflow, publish, lock, batch_size=settings.relay_batch_size,
                        poll_seconds=settings.relay_poll_seconds,
                        on_progress=lambda pos, head: metrics.relay_lag.set(head - pos))
    indexer = PollingLoop("case index", index_step(workflow, index), 0.2, lock)
    timers = PollingLoop("timers", timer_step(workflow, index,
                                              lambda kind: metrics.timers.labels(kind).inc()),
                         settings.timer_poll_seconds)

    gauges = PollingLoop("gauges", lambda: metrics.refresh(
        index.counts_by_lead(), index.due_count(datetime.now(UTC))), 5.0)
    summaries = PollingLoop("annual summaries", annual_summaries_step(workflow),
                            settings.annual_summary_poll_seconds)

    def wake_followers() -> None:
        relay.wake()
        indexer.wake()

    handler = BatchHandler(workflow, broker, topics, metrics, wake_followers)

    def subscriber(topic: str, title: str) -> Callable[[Handler], Handler]:
        return batch_subscriber(broker, topic, title, group_id=settings.consumer_group,
                                max_records=settings.batch_max_records)

    @subscriber(topics.supervision, "on_supervision_facts")
    async def on_supervision_facts(msg: KafkaMessage) -> None:
        await handler.handle(msg, fact_messages)

    @subscriber(topics.workflow_commands, "on_case_commands")
    async def on_case_commands(msg: KafkaMessage) -> None:
        await handler.handle(msg, command_messages)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        loops: list[OutboxRelay | PollingLoop] = [relay, indexer, timers, gauges, summaries]
        tasks = [asyncio.create_task(loop.run()) for loop in loops]
        try:
            yield
        finally:
            for loop in loops:
                loop.stop()
            for task in tasks:
                with suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=10)
            await broker.stop()
            await asyncio.to_thread(lock.release)
            workflow.close()

    async def database_ready() -> bool:
        await asyncio.to_thread(workflow.recorder.max_notification_id)
        return True

    app = build_http_app(
        service="workflow", description=DESCRIPTION,
        asyncapi=broker_asyncapi(broker, "workflow", DESCRIPTION), registry=registry,
        ready_checks={"kafka": broker_ready(broker), "database": database_ready},
        lifespan=lifespan,
    )
    app.state.workflow = workflow  # for in-process tests and tools
    limit_api_requests(app, settings, "workflow", credentials)
    app.include_router(case_router(workflow, index, credentials))
    app.include_router(calendar_router(workflow, index, credentials))
    return app
