"""Building an Intake application for tests: real decoder, a given registry, SQLite dedupe."""

from __future__ import annotations

from pathlib import Path

from contracts.envelope import CloudEvent
from contracts.receipts import Reason
from contracts.registry import by_type
from contracts.topics import Topics
from services.intake.application import Inbound, Intake
from services.intake.decoding import Decoded, FactDecoder
from services.intake.dedupe import SQLiteSeenStore
from services.intake.producers import Producer, ProducerRegistry

LAB = "urn:fangxin:test:lab"


def registry(*producers: Producer) -> ProducerRegistry:
    return ProducerRegistry(producers=list(producers) or [
        Producer(source=LAB, types=frozenset({"foodsafety.sampling.reported"}))])


def no_epcis(_: Decoded, __: frozenset[str]) -> tuple[list[CloudEvent], list[Reason]]:
    return [], []


def make_intake(tmp: Path, producers: ProducerRegistry | None = None,
                max_bytes: int = 65_536) -> Intake:
    return Intake(FactDecoder(by_type(), max_bytes=max_bytes), producers or registry(),
                  SQLiteSeenStore(tmp / "intake.sqlite"), Topics(), no_epcis)


def at(offset: int, value: bytes | None, partition: int = 0) -> Inbound:
    return Inbound(value, b"k", f"kafka:in:{partition}:{offset}", topic="in",
                   partition=partition, offset=offset)
