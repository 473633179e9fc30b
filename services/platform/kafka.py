"""The Kafka broker every service uses: idempotent producer, no auto-created topics, metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiokafka import ConsumerRecord
from faststream import AckPolicy
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


Handler = Callable[[KafkaMessage], Awaitable[None]]


def batch_subscriber(broker: KafkaBroker, topic: str, title: str, *, group_id: str,
                     max_records: int) -> Callable[[Handler], Handler]:
    """A batch subscriber that commits only after its handler returns (at least once) and
    reads only committed records (intake publishes in Kafka transactions)."""
    return cast("Callable[[Handler], Handler]", broker.subscriber(
        topic, title=title, group_id=group_id, batch=True, max_records=max_records,
        auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
        isolation_level="read_committed"))  # never the records of an aborted transaction
