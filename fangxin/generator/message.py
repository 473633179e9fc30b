"""The unit of output: one Kafka record for the inbound topic, and what intake must make of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

FACT: Final = "fact"
DUPLICATE: Final = "duplicate"
BAD: Final = "bad"


@dataclass(frozen=True)
class Message:
    key: bytes | None  # Kafka key (entity id, or lot for trace facts, as producers would)
    value: bytes  # exactly what is published on foodsafety.inbound.v1
    kind: str  # "fact" | "duplicate" | "bad"
    fact_type: str | None  # CloudEvent type when it has one
    expected_code: str | None  # for "bad": the rejection code intake must give
