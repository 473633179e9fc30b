"""A unit of work over the workflow's repository: aggregates loaded once, saved together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

_SQLITE_CHUNK = 500  # ids per query, well under SQLite's limit on bound parameters


class Session:
    """Keeps every aggregate a batch touches, so two facts about one case see each other."""

    def __init__(self, repository: Any,
                 inbox: Callable[[list[str]], set[str]] | None = None) -> None:
        self.repository = repository
        self.inbox = inbox  # the recorder's select_inbox: which ids it holds; None: none
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

    def prefetch(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load many aggregates (or learn that they do not exist) in one query.

        On PostgreSQL and SQLite every event of every id not loaded yet is read at once and the
        aggregates are rebuilt from them; a later ``get`` of those ids reads nothing. Other
        stores (in memory) load each id as ``get`` would.
        """
        wanted = [i for i in dict.fromkeys(aggregate_ids) if i not in self._loaded]
        if not wanted:
            return
        store = self.repository.event_store
        found = _select_many(store.recorder, wanted)
        if found is None:
            for aggregate_id in wanted:
                self.get(aggregate_id)
            return
        for aggregate_id in wanted:
            aggregate: Any = None
            for stored in found.get(aggregate_id, ()):
                aggregate = store.mapper.to_domain_event(stored).mutate(aggregate)
            self._loaded[aggregate_id] = aggregate

    def add(self, aggregate: Aggregate) -> None:
        self._loaded[aggregate.id] = aggregate

    def check_inbox(self, message_ids: Iterable[str]) -> None:
        """Learn which of ``message_ids`` the inbox holds, in one query."""
        wanted = [m for m in dict.fromkeys(message_ids) if m not in self._checked]
        if wanted and self.inbox is not None:
            self._seen.update(self.inbox(wanted))
        self._checked.update(wanted)

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


def _select_many(recorder: Any, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]] | None:
    """Every stored event of ``ids`` by id, in version order; None: not an SQL recorder."""
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _postgres_rows(recorder, ids)
    elif isinstance(recorder, SQLiteAggregateRecorder):
        rows = _sqlite_rows(recorder, ids)
    else:
        return None
    found: dict[UUID, list[StoredEvent]] = defaultdict(list)
    for originator_id, version, topic, state in rows:
        key = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        found[key].append(StoredEvent(originator_id=key, originator_version=version,
                                      topic=topic, state=bytes(state)))
    return found


def _postgres_rows(recorder: PostgresAggregateRecorder,
                   ids: Sequence[UUID]) -> list[tuple[Any, int, str, bytes]]:
    datastore = recorder.datastore
    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
        " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    ).format(schema=Identifier(datastore.schema), table=Identifier(recorder.events_table_name))
    params = ids if datastore.originator_id_type == "uuid" else [str(i) for i in ids]
    with datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (list(params),))
        return [(r["originator_id"], r["originator_version"], r["topic"], r["state"])
                for r in curs.fetchall()]


def _sqlite_rows(recorder: SQLiteAggregateRecorder,
                 ids: Sequence[UUID]) -> list[tuple[Any, int, str, bytes]]:
    rows: list[tuple[Any, int, str, bytes]] = []
    with recorder.datastore.transaction(commit=False) as curs:
        for start in range(0, len(ids), _SQLITE_CHUNK):
            chunk = [i.hex for i in ids[start:start + _SQLITE_CHUNK]]  # as the recorder stores
            curs.execute(
                f"SELECT originator_id, originator_version, topic, state"  # noqa: S608
                f" FROM {recorder.events_table_name} WHERE originator_id IN"
                f" ({', '.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                chunk)
            rows += [(r["originator_id"], r["originator_version"], r["topic"], r["state"])
                     for r in curs.fetchall()]
    return rows
