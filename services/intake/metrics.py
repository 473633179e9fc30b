"""Intake's Prometheus metrics: what it accepted, refused and how far behind it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client import Counter as PromCounter

from contracts.registry import by_type
from services.intake.application import Answer
from services.intake.decoding import EPCIS_TYPE

_KNOWN_TYPES = {*by_type(), EPCIS_TYPE}


class IntakeMetrics:
    """Labels stay bounded: fact types outside the registry count as ``unknown``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = PromCounter(
            "fangxin_intake_messages", "Inbound messages answered, by receipt status, fact "
            "type and first rejection code", ["status", "type", "reason", "channel"],
            registry=registry)
        self.published = PromCounter(
            "fangxin_intake_published_records", "Records published (facts, dead letters, "
            "receipts), by topic", ["topic"], registry=registry)
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
        """Count a batch: label sets are tallied first, then each counter moves once."""
        messages: Counter[tuple[str, str, str, str]] = Counter()
        published: Counter[str] = Counter()
        for answer in answers:
            receipt = answer.receipt
            kind = receipt.type if receipt.type in _KNOWN_TYPES else "unknown"
            reason = receipt.reasons[0].code if receipt.reasons else ""
            messages[(receipt.status.value, kind, reason, receipt.channel.value)] += 1
            published.update(p.topic for p in answer.publications)
        for labels, count in messages.items():
            self.messages.labels(*labels).inc(count)
        for topic, count in published.items():
            self.published.labels(topic).inc(count)

    def batch(self, answers: Sequence[Answer], seconds: float,
              lag: dict[TopicPartition, int]) -> None:
        self.answered(answers)
        self.batch_seconds.observe(seconds)
        self.batch_size.observe(len(answers))
        for tp, behind in lag.items():
            self.lag.labels(str(tp.partition)).set(behind)
