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
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import CollectorRegistry

from services.platform.auth import Credentials
from services.platform.http import broker_asyncapi, broker_ready, build_http_app
from services.platform.kafka import Handler, batch_subscriber, make_broker
from services.platform.limits import limit_api_requests
from services.projections.admin_http import admin_router
from services.projections.assessment.http_api import assessment_router
from services.projections.case_http import case_router
from services.projections.case_views import CaseView
from services.projections.catalogue import REBUILDABLE, projection, routes
from services.projections.catalogue import open_view as open_read_model
from services.projections.consumer import Event, Feeder, ReadModel
from services.projections.generations import SQLITE_FILE, location_env, open_generations
from services.projections.metrics import (
    ProjectionMetrics,
    current_lag,
    every,
    measure_lag,
    time_requests,
)
from services.projections.publishers import publish_snapshots, relay_recall_commands
from services.projections.rebuild import Live, Rebuild, Rebuilds
from services.projections.recall import PostgresRecallStore, RecallScope, SQLiteRecallStore
from services.projections.reporting import SnapshotReporter
from services.projections.settings import ProjectionsSettings
from services.projections.switch import ViewSwitch
from services.projections.trace.http_api import trace_router

log = logging.getLogger("fangxin.projections")
DESCRIPTION = "Read models: cases, trace-back and assessment."


def open_view(settings: ProjectionsSettings, sqlite: type, postgres: type) -> Any:
    """A store of the service in its own place (generation 0), e.g. the recall store."""
    env = settings.eventsourcing_env(SQLITE_FILE)
    return InfrastructureFactory.construct(env).tracking_recorder(
        sqlite if settings.persistence == "sqlite" else postgres)


def _subscribe(broker: KafkaBroker, settings: ProjectionsSettings, feeder: Feeder) -> None:
    topics = settings.topics

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


def create_app(settings: ProjectionsSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = ProjectionMetrics(registry)
    topics = settings.topics
    credentials = Credentials.load(settings.units_file)
    generations = open_generations(settings)
    in_force = generations.in_force()
    switches = {}  # the views queries read through; a rebuild swaps what is behind them
    for name in REBUILDABLE:
        number = in_force.get(name, 0)
        switches[name] = ViewSwitch(
            open_read_model(name, location_env(settings, name, number)), number)
        metrics.generation.labels(name).set(number)
    recall_store = open_view(settings, SQLiteRecallStore, PostgresRecallStore)
    models: dict[str, ReadModel] = {name: projection(name, switch.current.view)
                                    for name, switch in switches.items()}
    models["recall"] = RecallScope(recall_store, switches["trace"])
    broker = make_broker(settings, "projections", registry)

    reporter = SnapshotReporter(switches["assessment"],
                                interval=timedelta(seconds=settings.snapshot_interval_seconds))

    def on_applied(model: str, events: Sequence[Event]) -> None:
        metrics.applied_events(model, events)
        if model == "assessment":
            reporter.changed(events)

    def on_gap(name: str, _expected: int, _got: int) -> None:
        metrics.gaps.labels(name.split(":", maxsplit=1)[0]).inc()

    feeder = Feeder(broker, topics, {topic: [models[name] for name in fed]
                                     for topic, fed in routes(topics).items()},
                    on_applied, on_gap)
    rebuilds = Rebuilds(lambda names: Rebuild(
        settings, generations, names or list(REBUILDABLE), live=Live(feeder, switches),
        on_gap=on_gap, observe=metrics.rebuild_observed))

    _subscribe(broker, settings, feeder)

    async def lag_step() -> None:
        await measure_lag(feeder, settings.kafka_bootstrap, metrics.lag)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        background = [
            asyncio.create_task(publish_snapshots(reporter, broker, topics.reporting,
                                                  metrics.snapshots)),
            asyncio.create_task(relay_recall_commands(recall_store, broker,
                                                      topics.workflow_commands)),
            asyncio.create_task(every(settings.lag_interval_seconds, lag_step,
                                      "measuring consumer lag")),
        ]
        try:
            yield
        finally:
            await rebuilds.stop()
            for task in background:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            await broker.stop()

    async def database_ready() -> bool:
        await asyncio.to_thread(generations.in_force)
        return True

    app = build_http_app(
        service="projections", description=DESCRIPTION,
        asyncapi=broker_asyncapi(broker, "projections", DESCRIPTION), registry=registry,
        ready_checks={"kafka": broker_ready(broker), "database": database_ready},
        lifespan=lifespan,
    )

    time_requests(app, metrics.query_seconds)
    limit_api_requests(app, settings, "projections", credentials)  # outside the timing
    app.include_router(case_router(cast("CaseView", switches["cases"]), credentials))
    app.include_router(assessment_router(cast("Any", switches["assessment"]), credentials))
    app.include_router(trace_router(cast("Any", switches["trace"]), credentials))
    app.include_router(admin_router(
        rebuilds, switches, lambda: current_lag(feeder, settings.kafka_bootstrap), credentials))
    return app
