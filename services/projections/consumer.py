"""The Kafka edge of the projections: a consumed batch feeds every read model that wants it.

Per partition and per read model, the batch's rows and the read model's position are written
in one transaction. Records at or below a read model's position are skipped (redeliveries); a
jump past the next expected offset is reported as a gap, never passed over silently.

The live feeder holds ``lock`` while it applies a batch: a rebuild takes it for its last
catch-up and the switch, so no live batch lands on a generation being replaced
(:mod:`services.projections.rebuild`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Tracking
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import BaseModel, ValidationError

from contracts import tracecontext
from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.receipts import Reason
from contracts.topics import Topics
from services.platform.deadletters import dead_letter
from services.platform.kafka import record_position_name

log = logging.getLogger("fangxin.projections.consumer")
journey = logging.getLogger("fangxin.projections.journey")  # DEBUG: a line per applied event
Event = CloudEvent | CaseEvent
Parsed = list[tuple[Any, Event | None]]  # (Kafka record, its event; None if unusable)
GapReporter = Callable[[str, int, int], None]


class ReadModel(Protocol):
    name: str

    def position(self, application_name: str) -> int: ...
    def apply(self, events: Sequence[Event], tracking: Tracking) -> Any: ...


def event_kind(topics: Topics, topic: str) -> type[BaseModel]:
    """What a topic carries: case events on the workflow's topic, CloudEvents elsewhere."""
    return CaseEvent if topic == topics.workflow_events else CloudEvent


def parse(kind: type[BaseModel], value: bytes | None) -> Event | ValidationError:
    try:
        return kind.model_validate_json(value or b"")  # type: ignore[return-value]
    except ValidationError as exc:
        return exc


def trace_of_event(event: Event) -> str | None:
    """The W3C trace id of the fact behind an event (see contracts/tracecontext.py)."""
    if isinstance(event, CaseEvent):
        return tracecontext.trace_id(event.fact_id) if event.fact_id else None
    return tracecontext.trace_id(f"{event.source}#{event.id}")


def written_in_transactions(topics: Topics, topic: str) -> bool:
    """Intake publishes the canonical facts in Kafka transactions: each commit leaves a marker
    that takes an offset, and aborted records take offsets too. A read_committed consumer skips
    both, so on these topics a jump in offsets is expected, not a gap."""
    return topic in (topics.supervision, topics.trace)


def feed(model: ReadModel, topic: str, partition: int, parsed: Parsed,
         on_gap: GapReporter, *, markers: bool = False) -> list[Event] | None:
    """Apply the records past the model's position with the new position, in one transaction;
    the events applied (None when every record was already applied). ``markers``: the topic is
    written in transactions (see :func:`written_in_transactions`)."""
    name = f"{model.name}:{record_position_name(topic, partition)}"
    position = model.position(name)
    fresh = [(r, e) for r, e in parsed if r.offset + 1 > position]
    if not fresh:
        return None
    first = fresh[0][0].offset
    if position and first > position and not markers:
        on_gap(name, position, first)
        log.error("offset gap: records were never seen", extra={
            "read_model": name, "expected": position, "got": first})
    events = [e for _, e in fresh if e is not None]
    model.apply(events, Tracking(name, fresh[-1][0].offset + 1))
    return events


class Feeder:
    """Feeds consumed batches to read models; ``on_applied`` sees what each model applied."""

    def __init__(self, broker: KafkaBroker, topics: Topics, models: dict[str, list[ReadModel]],
                 on_applied: Callable[[str, Sequence[Event]], None],
                 on_gap: GapReporter) -> None:
        self.broker = broker
        self.topics = topics
        self.models = models  # topic -> read models fed from it
        self.on_applied = on_applied
        self.on_gap = on_gap
        self.lock = asyncio.Lock()
        self._backoff = 0.5

    def model(self, name: str) -> ReadModel:
        """The read model of that name the feeder writes to now."""
        return next(m for models in self.models.values() for m in models if m.name == name)

    def replace(self, model: ReadModel) -> None:
        """Feed ``model`` instead of the read model of the same name (hold ``lock``)."""
        for models in self.models.values():
            models[:] = [model if m.name == model.name else m for m in models]

    async def handle(self, msg: KafkaMessage) -> None:
        by_partition: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for record in msg.raw_message:
            by_partition[(record.topic, record.partition)].append(record)
        try:
            async with self.lock:
                for (topic, partition), records in by_partition.items():
                    parsed = [(r, await self._parse(topic, r)) for r in records]
                    for model in list(self.models.get(topic, [])):
                        await asyncio.to_thread(self._feed, model, topic, partition, parsed)
        except Exception:  # transient (database): back off, then let Kafka redeliver
            log.exception("batch failed; it will be redelivered")
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, 30.0)
            raise
        self._backoff = 0.5

    def _feed(self, model: ReadModel, topic: str, partition: int, parsed: Parsed) -> None:
        events = feed(model, topic, partition, parsed, self.on_gap,
                      markers=written_in_transactions(self.topics, topic))
        if events is not None:
            self.on_applied(model.name, events)
            if journey.isEnabledFor(logging.DEBUG):
                for event in events:
                    journey.debug("applied", extra={"read_model": model.name,
                                                    "trace_id": trace_of_event(event),
                                                    "type": event.type})

    async def _parse(self, topic: str, record: Any) -> Event | None:
        kind = event_kind(self.topics, topic)
        found = parse(kind, record.value)
        if not isinstance(found, ValidationError):
            return found
        reason = Reason(code="unusable", message=f"not a {kind.__name__}: "
                                                 f"{found.error_count()} errors")
        await self.broker.publish(dead_letter(record, [reason]), self.topics.rejected,
                                  key=record.key)
        return None
