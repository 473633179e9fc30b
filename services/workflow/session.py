"""A unit of work over the workflow's repository: aggregates loaded once, saved together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from services.workflow.inbox import InboxRecorder


class Session:
    """Keeps every aggregate a batch touches, so two facts about one case see each other."""

    def __init__(self, repository: Any, reader: InboxRecorder | None = None) -> None:
        self.repository = repository
        self.reader = reader  # the recorder: inbox and batch reads; None: nothing seen
        self._loaded: dict[UUID, Aggregate | None] = {}
        self._seen: set[str] = set()  # message ids in the inbox, or received in this session
        self._checked: set[str] = set()
        self.received: list[str] = []  # message ids to record in the inbox with the events

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate, or None if it does not exist (yet)."""
        if aggregate_id not in self._loaded:
            try:
                self._loaded[aggregate_id] = self.repository.get(aggregate_id)
            except AggregateNotFoundError:
                self._loaded[aggregate_id] = None
        return self._loaded[aggregate_id]

    def load(self, message_ids: Iterable[str] = (), aggregate_ids: Iterable[UUID] = ()) -> None:
        """Learn which messages the inbox holds and load many aggregates, in one round trip.

        On PostgreSQL and SQLite every event of every id not loaded yet is read at once and the
        aggregates are rebuilt from them (or found not to exist); a later ``get`` of those ids
        reads nothing. In memory, each id is loaded as ``get`` would.
        """
        mids = [m for m in dict.fromkeys(message_ids) if m not in self._checked]
        ids = [i for i in dict.fromkeys(aggregate_ids) if i not in self._loaded]
        if not mids and not ids:
            return
        seen, events = self.reader.read_batch(mids, ids) if self.reader else (set(), None)
        self._seen.update(seen)
        self._checked.update(mids)
        if events is None:
            for aggregate_id in ids:
                self.get(aggregate_id)
            return
        found: dict[UUID | str, list[StoredEvent]] = defaultdict(list)
        for stored in events:
            found[stored.originator_id].append(stored)
        mapper = self.repository.event_store.mapper
        for aggregate_id in ids:
            aggregate: Any = None
            for stored in found.get(aggregate_id, ()):
                aggregate = mapper.to_domain_event(stored).mutate(aggregate)
            self._loaded[aggregate_id] = aggregate

    def prefetch(self, aggregate_ids: Iterable[UUID]) -> None:
        self.load(aggregate_ids=aggregate_ids)

    def check_inbox(self, message_ids: Iterable[str]) -> None:
        self.load(message_ids=message_ids)

    def add(self, aggregate: Aggregate) -> None:
        self._loaded[aggregate.id] = aggregate

    def seen(self, message_id: str) -> bool:
        """Whether the message was acted on already (recorded, or earlier in this session)."""
        self.check_inbox([message_id])
        return message_id in self._seen

    def receive(self, message_id: str) -> None:
        """Record the message in the inbox when the session is saved."""
        self._seen.add(message_id)
        self.received.append(message_id)

    def touched(self) -> list[Aggregate]:
        return [a for a in self._loaded.values() if a is not None and a.pending_events]
