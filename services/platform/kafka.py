"""The Kafka broker every service uses: idempotent producer, no auto-created topics, metrics."""

from __future__ import annotations

import logging
from typing import Any, cast

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from services.platform.settings import ServiceSettings


def make_broker(settings: ServiceSettings, service: str, registry: CollectorRegistry
                ) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"fangxin-{service}",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        graceful_timeout=15.0,
        logger=logging.getLogger(f"fangxin.{service}.kafka"),
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service)],
    )


def record_position_name(topic: str, partition: int) -> str:
    """Tracking name of a Kafka partition; the tracked id is the next offset to read."""
    return f"kafka:{topic}:{partition}"


def consumer_record(msg: KafkaMessage) -> ConsumerRecord[Any, Any]:
    """The aiokafka record behind a single-message delivery."""
    return cast("ConsumerRecord[Any, Any]", msg.raw_message)
