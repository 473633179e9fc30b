"""The projections service's Prometheus metrics (its own registry; names ``fangxin_*``, base
units, no unbounded labels) and the loop that measures consumer lag."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts.cases import CaseEvent
from contracts.registry import by_type
from services.platform.kafka import record_position_name
from services.projections.consumer import Event, Feeder
from services.projections.rebuild import MARKER_SLACK, RebuildStatus, topic_partitions

log = logging.getLogger("fangxin.projections.metrics")
_CASE_TYPE: Final = re.compile(r"[a-z_]{1,40}\.[a-z_]{1,40}")
MAX_CASE_TYPES: Final = 64  # case event types are a closed set; this bounds a surprise
LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                          5.0, 10.0)


class ProjectionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.applied = Counter("fangxin_projections_events_applied", "Facts and case events "
                               "applied, by read model", ["read_model"], registry=registry)
        self.by_type = Counter("fangxin_projections_facts_applied", "Facts and case events "
                               "applied, by read model and type (fact type or case:<event "
                               "type>)", ["read_model", "type"], registry=registry)
        self.gaps = Counter("fangxin_projections_offset_gaps", "Offsets a read model never saw",
                            ["read_model"], registry=registry)
        self.snapshots = Counter("fangxin_projections_snapshots_published", "Assessment "
                                 "snapshots published", ["final"], registry=registry)
        self.lag = Gauge("fangxin_projections_consumer_lag_messages", "Messages between a read "
                         "model's positions and the end offsets of a topic it reads",
                         ["read_model", "topic"], registry=registry)
        self.rebuild_progress = Gauge("fangxin_projections_rebuild_progress_ratio",
                                      "Progress of the latest rebuild of a read model (0..1)",
                                      ["read_model"], registry=registry)
        self.rebuild_records = Counter("fangxin_projections_rebuild_records_replayed",
                                       "Kafka records replayed by rebuilds", registry=registry)
        self.rebuilds = Counter("fangxin_projections_rebuilds", "Rebuilds finished, by outcome",
                                ["outcome"], registry=registry)
        self.generation = Gauge("fangxin_projections_read_model_generation", "Generation of "
                                "a read model in force (0: never rebuilt)", ["read_model"],
                                registry=registry)
        self.query_seconds = Histogram("fangxin_projections_query_duration_seconds",
                                       "HTTP request latency, by route template", ["route"],
                                       buckets=LATENCY_BUCKETS, registry=registry)
        self._known_facts = frozenset(by_type())
        self._case_types: set[str] = set()

    def type_label(self, event: Event) -> str:
        """A bounded label: a registered fact type, ``case:<type>`` or ``other``."""
        if isinstance(event, CaseEvent):
            fresh = event.type not in self._case_types
            if fresh and (len(self._case_types) >= MAX_CASE_TYPES
                          or not _CASE_TYPE.fullmatch(event.type)):
                return "other"
            self._case_types.add(event.type)
            return f"case:{event.type}"
        return event.type if event.type in self._known_facts else "other"

    def applied_events(self, model: str, events: Sequence[Event]) -> None:
        self.applied.labels(model).inc(len(events))
        for label, count in Tally(self.type_label(e) for e in events).items():
            self.by_type.labels(model, label).inc(count)

    def rebuild_observed(self, status: RebuildStatus, replayed: int) -> None:
        self.rebuild_records.inc(replayed)
        for model in status.read_models:
            self.rebuild_progress.labels(model).set(status.progress)
        if status.switched_at is not None:
            for model, generation in status.generations.items():
                self.generation.labels(model).set(generation)
        if status.finished_at is not None:
            self.rebuilds.labels("failed" if status.error else "done").inc()


async def current_lag(feeder: Feeder, bootstrap: str) -> dict[tuple[str, str], int]:
    """Per read model and topic: the messages between each partition's end and the read
    model's position there (the offset after the last record it applied), now. A partition
    may end in commit markers of transactional producers (offsets, never records): where at
    most ``MARKER_SLACK`` offsets are left, the records among them are fetched and counted."""
    partitions = await topic_partitions(bootstrap, list(feeder.models))

    def positions() -> dict[tuple[str, TopicPartition], int]:
        return {(model.name, tp): model.position(
                    f"{model.name}:{record_position_name(tp.topic, tp.partition)}")
                for tp in partitions for model in list(feeder.models.get(tp.topic, []))}

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, client_id="fangxin-projections-lag")
    await consumer.start()
    try:
        end = await consumer.end_offsets(partitions)
        at = await asyncio.to_thread(positions)
        near: dict[TopicPartition, int] = {}  # partition -> lowest position close to its end
        for (_, tp), position in at.items():
            if 0 < end[tp] - position <= MARKER_SLACK:
                near[tp] = min(near.get(tp, position), position)
        records = await _offsets_after(consumer, near, end)
    finally:
        await consumer.stop()
    lag: dict[tuple[str, str], int] = {}
    for (name, tp), position in at.items():
        behind = (sum(1 for offset in records[tp] if offset >= position) if tp in near
                  else max(0, end[tp] - position))
        lag[(name, tp.topic)] = lag.get((name, tp.topic), 0) + behind
    return lag


async def _offsets_after(consumer: AIOKafkaConsumer, start: dict[TopicPartition, int],
                         end: dict[TopicPartition, int]) -> dict[TopicPartition, list[int]]:
    """The offsets of the records from ``start`` to ``end`` of each partition (a few fetches:
    a consumer does not step over trailing commit markers, so it may never reach the end)."""
    found: dict[TopicPartition, list[int]] = {tp: [] for tp in start}
    if not start:
        return found
    consumer.assign(list(start))
    for tp, offset in start.items():
        consumer.seek(tp, offset)
    for _ in range(3):
        fetched = await consumer.getmany(timeout_ms=500)
        for tp, batch in fetched.items():
            found[tp] += [r.offset for r in batch if r.offset < end[tp]]
        reached = [await consumer.position(tp) >= end[tp] for tp in start]
        if not fetched or all(reached):  # nothing more to come, or everything read
            break
    return found


async def measure_lag(feeder: Feeder, bootstrap: str, gauge: Gauge) -> None:
    """Set the lag gauge once (see :func:`current_lag`)."""
    for (model_name, topic), messages in (await current_lag(feeder, bootstrap)).items():
        gauge.labels(model_name, topic).set(messages)


async def every(interval: float, step: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``step`` now and then every ``interval`` seconds; a failure is logged, not fatal."""
    while True:
        try:
            await step()
        except Exception:  # Kafka or the database is away: the next round tries again
            log.exception("%s failed", what)
        await asyncio.sleep(interval)


def time_requests(app: FastAPI, histogram: Histogram) -> None:
    """Observe every request's latency under its route template (``/cases/{case_id}``), never
    the raw path, so the label stays bounded."""

    @app.middleware("http")
    async def timed(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        try:
            return await call_next(request)
        finally:
            route = getattr(request.scope.get("route"), "path", None) or "unmatched"
            histogram.labels(route).observe(time.perf_counter() - started)
