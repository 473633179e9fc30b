"""Composition root of the projections service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any, cast

from eventsourcing.persistence import InfrastructureFactory
from fastapi import FastAPI
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter

from services.platform.auth import Credentials
from services.platform.http import broker_asyncapi, broker_ready, build_http_app
from services.platform.kafka import Handler, batch_subscriber, make_broker
from services.projections.assessment.http_api import assessment_router
from services.projections.assessment.projection import AssessmentProjection
from services.projections.assessment.views import PostgresAssessmentView, SQLiteAssessmentView
from services.projections.case_http import case_router
from services.projections.case_projection import CaseProjection
from services.projections.case_views import CaseView, PostgresCaseView, SQLiteCaseView
from services.projections.consumer import Event, Feeder, ReadModel
from services.projections.publishers import publish_snapshots, relay_recall_commands
from services.projections.recall import PostgresRecallStore, RecallScope, SQLiteRecallStore
from services.projections.reporting import SnapshotReporter
from services.projections.settings import ProjectionsSettings
from services.projections.trace.http_api import trace_router
from services.projections.trace.projection import TraceProjection
from services.projections.trace.views import PostgresTraceView, SQLiteTraceView

log = logging.getLogger("fangxin.projections")
DESCRIPTION = "Read models: cases, trace-back and assessment."


def open_view(settings: ProjectionsSettings, sqlite: type, postgres: type) -> Any:
    env = settings.eventsourcing_env("projections.sqlite")
    return InfrastructureFactory.construct(env).tracking_recorder(
        sqlite if settings.persistence == "sqlite" else postgres)


def open_case_view(settings: ProjectionsSettings) -> CaseView:
    return cast("CaseView", open_view(settings, SQLiteCaseView, PostgresCaseView))


class _Assessment(AssessmentProjection):
    name = "assessment"


class _Trace(TraceProjection):
    name = "trace"


def create_app(settings: ProjectionsSettings) -> FastAPI:
    registry = CollectorRegistry()
    applied = Counter("fangxin_projections_events_applied", "Facts and case events applied, "
                      "by read model", ["read_model"], registry=registry)
    gaps = Counter("fangxin_projections_offset_gaps", "Offsets a read model never saw",
                   ["read_model"], registry=registry)
    snapshots = Counter("fangxin_projections_snapshots_published", "Assessment snapshots "
                        "published", ["final"], registry=registry)
    topics = settings.topics
    credentials = Credentials.load(settings.units_file)
    case_view = open_case_view(settings)
    assessment_view = open_view(settings, SQLiteAssessmentView, PostgresAssessmentView)
    trace_view = open_view(settings, SQLiteTraceView, PostgresTraceView)
    recall_store = open_view(settings, SQLiteRecallStore, PostgresRecallStore)
    cases: ReadModel = CaseProjection(case_view)
    assessment: ReadModel = _Assessment(assessment_view)
    trace: ReadModel = _Trace(trace_view)
    recall: ReadModel = RecallScope(recall_store, trace_view)
    broker = make_broker(settings, "projections", registry)

    reporter = SnapshotReporter(assessment_view,
                                interval=timedelta(seconds=settings.snapshot_interval_seconds))

    def on_applied(model: str, events: Sequence[Event]) -> None:
        applied.labels(model).inc(len(events))
        if model == "assessment":
            reporter.changed(events)

    feeder = Feeder(broker, topics, {  # the order matters: recall reads the trace view
        topics.supervision: [assessment, trace],
        topics.trace: [trace, recall],
        topics.workflow_events: [cases, assessment, trace, recall],
    }, on_applied, lambda name, _expected, _got: gaps.labels(name.split(":")[0]).inc())

    def subscriber(topic: str, title: str) -> Callable[[Handler], Handler]:
        return batch_subscriber(broker, topic, title, group_id=settings.consumer_group,
                                max_records=settings.batch_max_records)

    @subscriber(topics.supervision, "on_supervision_facts")
    async def on_supervision_facts(msg: KafkaMessage) -> None:
        await feeder.handle(msg)

    @subscriber(topics.trace, "on_trace_facts")
    async def on_trace_facts(msg: KafkaMessage) -> None:
        await feeder.handle(msg)

    @subscriber(topics.workflow_events, "on_case_events")
    async def on_case_events(msg: KafkaMessage) -> None:
        await feeder.handle(msg)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        publishers = [
            asyncio.create_task(publish_snapshots(reporter, broker, topics.reporting,
                                                  snapshots)),
            asyncio.create_task(relay_recall_commands(recall_store, broker,
                                                      topics.workflow_commands)),
        ]
        try:
            yield
        finally:
            for publisher in publishers:
                publisher.cancel()
                with suppress(asyncio.CancelledError):
                    await publisher
            await broker.stop()

    async def database_ready() -> bool:
        await asyncio.to_thread(case_view.max_tracking_id, "__migration__")
        return True

    app = build_http_app(
        service="projections", description=DESCRIPTION,
        asyncapi=broker_asyncapi(broker, "projections", DESCRIPTION), registry=registry,
        ready_checks={"kafka": broker_ready(broker), "database": database_ready},
        lifespan=lifespan,
    )
    app.include_router(case_router(case_view, credentials))
    app.include_router(assessment_router(assessment_view, credentials))
    app.include_router(trace_router(trace_view, credentials))
    return app
