"""The inbox (收件登记): message ids the workflow has acted on, recorded with the events.

A table of its own beside the event store, written by the event store's recorder in the same
transaction as the case events and the Kafka position: ``insert_events(..., inbox=[ids])``. A
message id is its primary key, so a concurrent writer that recorded the same message first makes
the whole transaction fail with ``IntegrityError`` (then the workflow decides again and finds the
message in the inbox). One multi-row statement per transaction, instead of an aggregate per
message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOProcessRecorder
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteProcessRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from services.platform.settings import POSTGRES_PERSISTENCE

_SQLITE_CHUNK = 500  # ids per query, well under SQLite's limit on bound parameters


def inbox_table(events_table_name: str) -> str:
    return events_table_name.removesuffix("_events") + "_inbox"


def _received(kwargs: dict[str, Any]) -> list[str]:
    return list(kwargs.get("inbox") or ())


class PostgresInboxRecorder(PostgresProcessRecorder):
    """PostgreSQL: ``INSERT ... SELECT unnest(%s)``, one statement for the batch's ids.

    It also inserts the events as four plain arrays (``unnest(ids, versions, topics, states)``)
    rather than eventsourcing's array of a composite type, whose text form psycopg builds in
    Python with a regular expression per field: the same rows, numbered in the same order, in
    about half the client time. The table lock and notification are eventsourcing's own.
    """

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events",
                 tracking_table_name: str = "notification_tracking") -> None:
        super().__init__(datastore, events_table_name=events_table_name,
                         tracking_table_name=tracking_table_name)
        self._insert_columns = SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::{1}[], %s::bigint[], %s::text[], %s::bytea[])"
            " RETURNING notification_id").format(
            Identifier(datastore.schema, events_table_name),
            Identifier(datastore.originator_id_type))
        table = Identifier(datastore.schema, inbox_table(events_table_name))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (message_id text PRIMARY KEY)").format(table))
        self._insert_inbox = SQL(
            "INSERT INTO {0} (message_id) SELECT unnest(%s::text[])").format(table)
        self._select_inbox = SQL(
            "SELECT message_id FROM {0} WHERE message_id = ANY(%s::text[])").format(table)
        self._notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        self._select_events_of = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0}"
            " WHERE originator_id = ANY(%s::{1}[]) ORDER BY originator_id, originator_version"
        ).format(Identifier(datastore.schema, events_table_name),
                 Identifier(datastore.originator_id_type))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        """eventsourcing's insert (one pipeline, one transaction), raising a failure where it
        happens.

        eventsourcing holds a failure of the events' statements until its transaction block
        has ended, so the block commits an aborted transaction, and psycopg may answer that
        with 'pipeline aborted' (an OperationalError: retried ten times, then a 500 or a
        failed batch) instead of the unique violation of a writer that lost a race (an
        IntegrityError: the workflow decides again and finds the winner's work).
        """
        if self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        with (self.datastore.get_connection() as conn, conn.pipeline() as pipeline,
              conn.transaction()):
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return None
            with conn.cursor() as curs:
                self._insert_stored_events(curs, stored_events, **kwargs)
                pipeline.sync()
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        received = _received(kwargs)
        if received:
            curs.execute(self._insert_inbox, (received,), prepare=True)

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                              **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self._insert_columns, (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events], [e.state for e in stored_events]), prepare=True)

    def _notify_channel(self, curs: Any) -> None:
        """eventsourcing's NOTIFY, never prepared.

        psycopg prepares a statement on its sixth run. When that run is queued in a pipeline
        behind a statement that fails (the inbox insert of a writer that lost a race), the
        server never sees the PREPARE, yet psycopg records it as prepared without checking on
        that path, and eventsourcing holds the error until the transaction block ends, so the
        cache is not cleared either: later inserts on that pooled connection fail with
        'prepared statement "_pg3_N" does not exist' (500s over HTTP, failed Kafka batches).
        The insert's other statements are prepared explicitly, which psycopg does check.
        """
        curs.execute(self._notify, prepare=False)

    def select_inbox(self, message_ids: Iterable[str]) -> set[str]:
        """The ids among ``message_ids`` that are in the inbox already."""
        return self.read_batch(list(message_ids), [])[0]

    def read_batch(self, message_ids: Sequence[str], aggregate_ids: Sequence[UUID]
                   ) -> tuple[set[str], list[StoredEvent] | None]:
        """Both queries in one pipeline: one round trip."""
        if not message_ids and not aggregate_ids:
            return set(), []
        ids: list[Any] = list(aggregate_ids) if self.datastore.originator_id_type == "uuid" \
            else [str(i) for i in aggregate_ids]
        with self.datastore.get_connection() as conn:
            inbox, events = conn.cursor(), conn.cursor()
            with conn.pipeline():
                if message_ids:
                    inbox.execute(self._select_inbox, (list(message_ids),), prepare=True)
                if ids:
                    events.execute(self._select_events_of, (ids,), prepare=True)
            seen = {row["message_id"] for row in inbox.fetchall()} if message_ids else set()
            rows = events.fetchall() if ids else []
        return seen, [_stored(r["originator_id"], r["originator_version"], r["topic"],
                              r["state"]) for r in rows]


class SQLiteInboxRecorder(SQLiteProcessRecorder):
    """SQLite: one ``executemany`` in the events' transaction."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        self.inbox_table_name = inbox_table(events_table_name)
        super().__init__(datastore, events_table_name=events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {self.inbox_table_name}"
                " (message_id TEXT PRIMARY KEY) WITHOUT ROWID"]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        received = _received(kwargs)
        if received:
            c.executemany(f"INSERT INTO {self.inbox_table_name} (message_id) VALUES (?)",  # noqa: S608
                          [(mid,) for mid in received])
        return returning

    def select_inbox(self, message_ids: Iterable[str]) -> set[str]:
        return self.read_batch(list(message_ids), [])[0]

    def read_batch(self, message_ids: Sequence[str], aggregate_ids: Sequence[UUID]
                   ) -> tuple[set[str], list[StoredEvent] | None]:
        """Both in one read transaction, in chunks of bound parameters."""
        seen: set[str] = set()
        events: list[StoredEvent] = []
        ids = [i.hex for i in aggregate_ids]  # as the recorder stores them
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(list(message_ids)):
                c.execute(f"SELECT message_id FROM {self.inbox_table_name}"  # noqa: S608
                          f" WHERE message_id IN ({', '.join('?' * len(chunk))})", chunk)
                seen.update(row[0] for row in c.fetchall())
            for chunk in _chunks(ids):
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state"  # noqa: S608
                    f" FROM {self.events_table_name} WHERE originator_id IN"
                    f" ({', '.join('?' * len(chunk))})"
                    " ORDER BY originator_id, originator_version", chunk)
                events += [_stored(*row) for row in c.fetchall()]
        return seen, events


class POPOInboxRecorder(POPOProcessRecorder):
    """In memory (tests): a set, checked and updated under the recorder's lock."""

    def __init__(self) -> None:
        super().__init__()
        self._inbox: set[str] = set()

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super()._assert_uniqueness(stored_events, **kwargs)
        received = _received(kwargs)
        if len(set(received)) < len(received) or self._inbox.intersection(received):
            msg = f"messages already in the inbox: {sorted(self._inbox.intersection(received))}"
            raise IntegrityError(msg)

    def _update_table(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._update_table(stored_events, **kwargs)
        self._inbox.update(_received(kwargs))
        return notification_ids

    def select_inbox(self, message_ids: Iterable[str]) -> set[str]:
        with self._database_lock:
            return self._inbox.intersection(message_ids)

    def read_batch(self, message_ids: Sequence[str], aggregate_ids: Sequence[UUID]
                   ) -> tuple[set[str], list[StoredEvent] | None]:
        return self.select_inbox(message_ids), None  # aggregates: load each as usual


class InboxRecorder(Protocol):
    def select_inbox(self, message_ids: Iterable[str]) -> set[str]: ...

    def read_batch(self, message_ids: Sequence[str], aggregate_ids: Sequence[UUID]
                   ) -> tuple[set[str], list[StoredEvent] | None]: ...


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _SQLITE_CHUNK):
        yield items[start:start + _SQLITE_CHUNK]


def _stored(originator_id: Any, version: int, topic: str, state: bytes) -> StoredEvent:
    key = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    return StoredEvent(originator_id=key, originator_version=version, topic=topic,
                       state=bytes(state))


_RECORDERS = {"eventsourcing.postgres": PostgresInboxRecorder,
              POSTGRES_PERSISTENCE: PostgresInboxRecorder,
              "eventsourcing.sqlite": SQLiteInboxRecorder}


def recorder_topic(persistence_module: str) -> str | None:
    """The topic of the inbox recorder for an eventsourcing persistence module (None: POPO)."""
    found = _RECORDERS.get(persistence_module)
    return None if found is None else f"{found.__module__}:{found.__qualname__}"
