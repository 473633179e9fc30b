"""Composition root of the projections service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from eventsourcing.persistence import InfrastructureFactory, Tracking
from fastapi import FastAPI, Query
from faststream import AckPolicy
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from contracts.cases import CaseEvent
from contracts.receipts import Reason
from services.platform.deadletters import dead_letter
from services.platform.http import ApiError, broker_asyncapi, broker_ready, build_http_app
from services.platform.kafka import consumer_record, make_broker, record_position_name
from services.projections.case_projection import CaseProjection
from services.projections.case_views import CaseView, PostgresCaseView, SQLiteCaseView
from services.projections.settings import ProjectionsSettings

log = logging.getLogger("fangxin.projections")
DESCRIPTION = "Read models: cases, trace-back and assessment."


def open_case_view(settings: ProjectionsSettings) -> CaseView:
    env = settings.eventsourcing_env("projections.sqlite")
    view_class = SQLiteCaseView if settings.persistence == "sqlite" else PostgresCaseView
    view = InfrastructureFactory.construct(env).tracking_recorder(view_class)
    return cast("CaseView", view)


def create_app(settings: ProjectionsSettings) -> FastAPI:
    registry = CollectorRegistry()
    applied = Counter("fangxin_projections_case_events", "Case events applied to read models,"
                      " by outcome", ["outcome"], registry=registry)
    topics = settings.topics
    view = open_case_view(settings)
    projection = CaseProjection(view)
    broker = make_broker(settings, "projections", registry)

    @broker.subscriber(topics.workflow_events, group_id=settings.consumer_group,
                       auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                       title="on_case_event")
    async def on_case_event(msg: KafkaMessage) -> None:
        record = consumer_record(msg)
        try:
            event = CaseEvent.model_validate_json(record.value or b"")
        except ValidationError as exc:
            reason = Reason(code="invalid_case_event", message=str(exc.errors()[:3]))
            await broker.publish(dead_letter(record, [reason]), topics.rejected, key=record.key)
            applied.labels("dead_lettered").inc()
            return
        tracking = Tracking(record_position_name(record.topic, record.partition),
                            record.offset + 1)
        outcome = await asyncio.to_thread(projection.process_event, event, tracking)
        applied.labels(outcome.value).inc()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()

    async def database_ready() -> bool:
        await asyncio.to_thread(view.max_tracking_id, "__migration__")
        return True

    app = build_http_app(
        service="projections",
        description=DESCRIPTION,
        asyncapi=broker_asyncapi(broker, "projections", DESCRIPTION), registry=registry,
        ready_checks={"kafka": broker_ready(broker), "database": database_ready},
        lifespan=lifespan,
    )

    @app.get("/cases/{case_id}", tags=["cases"])
    def get_case(case_id: str) -> dict[str, Any]:
        case = view.case(case_id)
        if case is None:
            raise ApiError(404, "case_not_found", f"no case {case_id!r} in the read model")
        return case

    @app.get("/cases", tags=["cases"])
    def list_cases(kind: str | None = None,
                   limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
        return view.cases(kind, limit)

    return app
