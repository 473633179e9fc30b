"""The intake application: from inbound messages to answers (facts to route, a receipt each).

Load (decode, look up the producer), decide (accept, duplicate or refuse), save (claim the keys
in the dedupe store). Publishing the answers is the transport's job.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts import tracecontext
from contracts.envelope import CloudEvent
from contracts.receipts import Channel, DeadLetter, Reason, Receipt, ReceiptStatus
from contracts.topics import Topics
from services.intake.codes import Code
from services.intake.decoding import Decoded, FactDecoder, Refused
from services.intake.dedupe import Key, SeenStore
from services.intake.producers import Producer, ProducerRegistry

# An EPCIS document and the producer's profiles -> (trace facts, reasons to refuse it)
EpcisMapper = Callable[[Decoded, frozenset[str]], tuple[list[CloudEvent], list[Reason]]]


@dataclass(frozen=True)
class Inbound:
    """One message as it reached intake."""

    value: bytes | None
    key: bytes | None
    position: str  # kafka:<topic>:<partition>:<offset> or http:<request id>
    channel: Channel = Channel.KAFKA
    producer: Producer | None = None  # who authenticated (HTTP); Kafka relies on ACLs
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Publication:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    """Everything one inbound message causes; ``publications`` ends with its receipt."""

    receipt: Receipt
    publications: list[Publication]


class Intake:
    """Validates, deduplicates and routes inbound facts; answers every message once."""

    def __init__(self, decoder: FactDecoder, producers: ProducerRegistry, seen: SeenStore,
                 topics: Topics, epcis: EpcisMapper) -> None:
        self.decoder = decoder
        self.producers = producers
        self.seen = seen
        self.topics = topics
        self.epcis = epcis

    def answer(self, batch: Sequence[Inbound]) -> list[Answer]:
        outcomes = [self._check(m, self.decoder.decode(m.value)) for m in batch]
        arrivals = [(_key(o.event), m.position) for m, o in zip(batch, outcomes, strict=True)
                    if isinstance(o, _Routed)]
        first = self.seen.claim(arrivals) if arrivals else {}
        now = datetime.now(UTC)
        return [self._answer(m, o, first, now) for m, o in zip(batch, outcomes, strict=True)]

    def _check(self, message: Inbound, decoded: Decoded | Refused) -> _Routed | Refused:
        if isinstance(decoded, Refused):
            return decoded
        event = decoded.event
        envelope = {"source": event.source, "id": event.id, "type": event.type}
        refusal = self.producers.check(event.source, event.type)
        if refusal is None and message.producer and not message.producer.covers(event.source):
            refusal = Reason(code=Code.UNAUTHORIZED_SOURCE, path="source",
                             message=f"the token belongs to {message.producer.source!r}")
        if refusal is not None:
            return Refused([refusal], envelope)
        if decoded.fact_type is None:  # an EPCIS document
            producer = self.producers.producer(event.source)
            facts, reasons = self.epcis(decoded, producer.profiles if producer else frozenset())
            if reasons:
                return Refused(reasons, envelope)
            return _Routed(event, [self._route(fact) for fact in facts])
        fact_type = decoded.fact_type
        key = fact_type.key(decoded.data)
        return _Routed(event, [(self.topics.name(fact_type.topic), key, event)])

    def _route(self, fact: CloudEvent) -> tuple[str, str, CloudEvent]:
        fact_type = self.decoder.fact_types[fact.type]
        return (self.topics.name(fact_type.topic),
                fact_type.key(fact_type.model.model_validate(fact.data)), fact)

    def _answer(self, message: Inbound, outcome: _Routed | Refused, first: dict[Key, str],
                now: datetime) -> Answer:
        known = outcome.envelope if isinstance(outcome, Refused) else {
            "source": outcome.event.source, "id": outcome.event.id}
        journey = (f"{known['source']}#{known['id']}" if known.get("source") and known.get("id")
                   else message.position)  # unreadable: the trace of where it arrived
        trace = tracecontext.header(journey, "intake", message.position)
        where: dict[str, Any] = {"channel": message.channel, "inbound_topic": message.topic,
                                 "inbound_partition": message.partition,
                                 "inbound_offset": message.offset,
                                 "trace_id": tracecontext.trace_id(journey)}
        if isinstance(outcome, Refused):
            env = outcome.envelope
            receipt = Receipt(status=ReceiptStatus.REJECTED, source=env.get("source"),
                              id=env.get("id"), type=env.get("type"), reasons=outcome.reasons,
                              processed_at=now, **where)
            letter = DeadLetter(original_base64=_b64(message.value),
                                original_key_base64=_b64(message.key) if message.key else None,
                                source=env.get("source"), id=env.get("id"),
                                reasons=outcome.reasons, rejected_at=now, **where)
            dead = Publication(self.topics.rejected, message.key, letter.model_dump_json().encode(),
                               [trace])
            return Answer(receipt, [dead, self._receipt(receipt, trace)])
        event = outcome.event
        first_position = first.get(_key(event), message.position)
        if first_position != message.position:
            receipt = Receipt(status=ReceiptStatus.DUPLICATE, source=event.source, id=event.id,
                              type=event.type, duplicate_of=first_position, processed_at=now,
                              **where)
            return Answer(receipt, [self._receipt(receipt, trace)])
        facts = [Publication(topic, key.encode(), fact.model_dump_json().encode(),
                             [("message-id", f"{fact.source}#{fact.id}".encode()),
                              ("ce_type", fact.type.encode()), trace])
                 for topic, key, fact in outcome.routes]
        receipt = Receipt(status=ReceiptStatus.ACCEPTED, source=event.source, id=event.id,
                          type=event.type, routed_to=sorted({p.topic for p in facts}),
                          facts=len(facts), processed_at=now, **where)
        return Answer(receipt, [*facts, self._receipt(receipt, trace)])

    def _receipt(self, receipt: Receipt, trace: tuple[str, bytes]) -> Publication:
        return Publication(self.topics.receipts, (receipt.source or "").encode(),
                           receipt.model_dump_json().encode(), [trace])


@dataclass(frozen=True)
class _Routed:
    event: CloudEvent
    routes: list[tuple[str, str, CloudEvent]]  # (topic, key, fact)


def _key(event: CloudEvent) -> Key:
    return (event.source, event.id)


def _b64(value: bytes | None) -> str:
    return base64.b64encode(value or b"").decode("ascii")
