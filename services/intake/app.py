"""Composition root of the intake service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from contracts.registry import by_type
from services.intake.application import Answer, Inbound, Intake
from services.intake.decoding import FactDecoder
from services.intake.dedupe import PostgresSeenStore, SeenStore, SQLiteSeenStore
from services.intake.epcis_bridge import epcis_facts
from services.intake.http_api import ingestion_router
from services.intake.journal import journal
from services.intake.metrics import IntakeMetrics
from services.intake.producers import ProducerRegistry
from services.intake.pump import IntakePump, PumpConfig
from services.intake.runtime import settle_garbage_collector
from services.intake.settings import IntakeSettings
from services.platform.http import DocumentSpecification, build_http_app

log = logging.getLogger("fangxin.intake")
DESCRIPTION = "Validates, normalises and routes inbound facts; answers each with a receipt."
ASYNCAPI = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.json"


def open_seen_store(settings: IntakeSettings) -> SeenStore:
    if settings.persistence == "sqlite":
        return SQLiteSeenStore(settings.sqlite_dir / "intake.sqlite")
    conninfo = (f"host={settings.postgres_host} port={settings.postgres_port} "
                f"dbname={settings.postgres_dbname} user={settings.postgres_user}")
    if settings.postgres_password:
        conninfo += f" password={settings.postgres_password}"
    return PostgresSeenStore(conninfo, settings.postgres_schema)


def create_app(settings: IntakeSettings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = IntakeMetrics(registry)
    topics = settings.topics
    producers = ProducerRegistry.load(settings.producers_file)
    seen = open_seen_store(settings)
    intake = Intake(FactDecoder(by_type(), max_bytes=settings.max_message_bytes), producers,
                    seen, topics, epcis_facts)
    def observe(answers: Sequence[Answer], seconds: float, lag: dict[TopicPartition, int]
                ) -> None:
        metrics.batch(answers, seconds, lag)
        journal(answers)

    pump = IntakePump(intake, PumpConfig(
        bootstrap=settings.kafka_bootstrap, topic=topics.inbound,
        group_id=settings.consumer_group, transactional_id=settings.transactional_id,
        max_records=settings.batch_max_records, max_message_bytes=settings.max_message_bytes,
    ), observe)
    clients: dict[str, AIOKafkaProducer] = {}  # made in the lifespan: aiokafka needs the loop

    async def answer(inbound: list[Inbound]) -> list[Answer]:
        return await asyncio.to_thread(intake.answer, inbound)

    async def publish(answers: Sequence[Answer]) -> None:
        sent = [await clients["http"].send(p.topic, p.value, key=p.key, headers=p.headers)
                for a in answers for p in a.publications]
        await asyncio.gather(*sent)
        metrics.answered(answers)
        journal(answers)

    async def purge_forever() -> None:
        while True:
            cutoff = datetime.now(UTC) - timedelta(days=settings.dedupe_retention_days)
            purged = await asyncio.to_thread(seen.purge, cutoff)
            log.info("dedupe store purged", extra={"rows": purged, "before": cutoff.isoformat()})
            await asyncio.sleep(3600)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        clients["http"] = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap,
                                           enable_idempotence=True,
                                           client_id="fangxin-intake-http")
        await clients["http"].start()
        await pump.start()
        settle_garbage_collector()
        tasks = [asyncio.create_task(pump.run(), name="intake-pump"),
                 asyncio.create_task(purge_forever(), name="dedupe-purge")]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await task
            await pump.stop()
            await clients["http"].stop()
            seen.close()

    async def kafka_ready() -> bool:
        await asyncio.wait_for(clients["http"].partitions_for(topics.receipts), timeout=2)
        return pump.running

    async def database_ready() -> bool:
        return await asyncio.to_thread(seen.ping)

    app = build_http_app(
        service="intake", description=DESCRIPTION,
        asyncapi=lambda: DocumentSpecification(ASYNCAPI), registry=registry,
        ready_checks={"kafka": kafka_ready, "database": database_ready}, lifespan=lifespan,
    )
    app.include_router(ingestion_router(answer, publish, producers,
                                        max_body_bytes=settings.max_http_body_bytes))
    return app
