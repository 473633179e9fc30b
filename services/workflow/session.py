"""A unit of work over the workflow's repository: aggregates loaded once, saved together."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate


class Session:
    """Keeps every aggregate a batch touches, so two facts about one case see each other."""

    def __init__(self, repository: Any) -> None:
        self.repository = repository
        self._loaded: dict[UUID, Aggregate | None] = {}

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate, or None if it does not exist (yet)."""
        if aggregate_id not in self._loaded:
            try:
                self._loaded[aggregate_id] = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                self._loaded[aggregate_id] = None
        return self._loaded[aggregate_id]

    def add(self, aggregate: Aggregate) -> None:
        self._loaded[aggregate.id] = aggregate

    def touched(self) -> list[Aggregate]:
        return [a for a in self._loaded.values() if a is not None and a.pending_events]
