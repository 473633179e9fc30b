"""Every fact type the platform accepts: its model, schema version, canonical topic and key."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class FactType:
    """One versioned fact type (CloudEvent ``type`` plus schema version)."""

    type: str
    version: int
    model: builtins.type[BaseModel]
    topic: str  # base name from contracts.topics
    key: Callable[[Any], str]  # the validated model -> Kafka key on the canonical topic

    @property
    def schema_name(self) -> str:
        return f"{self.type}.v{self.version}"


def all_fact_types() -> tuple[FactType, ...]:
    """Collected from each fact module's ``FACT_TYPES``."""
    from contracts.facts import (  # noqa: PLC0415
        certificate,
        complaint,
        entity,
        inspection,
        kitchen,
        sampling,
        summary,
        trace,
    )

    modules = (entity, inspection, sampling, complaint, summary, kitchen, trace, certificate)
    return tuple(ft for module in modules for ft in module.FACT_TYPES)


def by_type() -> dict[str, FactType]:
    """The newest version of each fact type, by CloudEvent ``type``."""
    latest: dict[str, FactType] = {}
    for fact_type in all_fact_types():
        current = latest.get(fact_type.type)
        if current is None or fact_type.version > current.version:
            latest[fact_type.type] = fact_type
    return latest
