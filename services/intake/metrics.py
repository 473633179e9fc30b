"""Intake's Prometheus metrics: what it accepted, refused and how far behind it is."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts.registry import by_type
from services.intake.application import Answer
from services.intake.decoding import EPCIS_TYPE

_KNOWN_TYPES = {*by_type(), EPCIS_TYPE}


class IntakeMetrics:
    """Labels stay bounded: fact types outside the registry count as ``unknown``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "fangxin_intake_messages", "Inbound messages answered, by receipt status, fact "
            "type and first rejection code", ["status", "type", "reason", "channel"],
            registry=registry)
        self.published = Counter("fangxin_intake_published", "Records published (facts, dead "
                                 "letters, receipts), by topic", ["topic"], registry=registry)
        self.batch_seconds = Histogram(
            "fangxin_intake_batch_seconds", "Time to answer and publish one consumed batch",
            registry=registry,
            buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.batch_size = Histogram("fangxin_intake_batch_messages", "Messages per batch",
                                    registry=registry,
                                    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000))
        self.lag = Gauge("fangxin_intake_consumer_lag_messages", "Inbound messages not yet "
                         "answered, per partition", ["partition"], registry=registry)

    def answered(self, answers: Sequence[Answer]) -> None:
        for answer in answers:
            receipt = answer.receipt
            kind = receipt.type if receipt.type in _KNOWN_TYPES else "unknown"
            reason = receipt.reasons[0].code if receipt.reasons else ""
            self.messages.labels(receipt.status.value, kind, reason, receipt.channel.value).inc()
            for publication in answer.publications:
                self.published.labels(publication.topic).inc()

    def batch(self, answers: Sequence[Answer], seconds: float,
              lag: dict[TopicPartition, int]) -> None:
        self.answered(answers)
        self.batch_seconds.observe(seconds)
        self.batch_size.observe(len(answers))
        for tp, behind in lag.items():
            self.lag.labels(str(tp.partition)).set(behind)
