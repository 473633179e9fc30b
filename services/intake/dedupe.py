"""Durable duplicate detection by CloudEvent ``(source, id)`` (查重), on SQLite or PostgreSQL.

``claim`` records, for each key not seen before, the position where it first arrived, and returns
the first position of every key. The caller compares it with the message's own position: equal
means "first copy" (also when the same record is processed again after a crash, so nothing is
lost), different means "duplicate". Rows are kept for a retention window, then purged.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from psycopg import Connection, OperationalError

from services.platform.postgres import LiveConnectionPool

Key = tuple[str, str]  # (source, id)


class SeenStoreUnavailableError(RuntimeError):
    """The store could not be reached (a restart, a lost connection): try the batch again."""


class SeenStore(Protocol):
    def claim(self, arrivals: Sequence[tuple[Key, str]]) -> dict[Key, str]: ...
    def purge(self, before: datetime) -> int: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


_DDL = ("CREATE TABLE IF NOT EXISTS intake_seen (source TEXT NOT NULL, id TEXT NOT NULL,"
        " position TEXT NOT NULL, first_seen TIMESTAMP NOT NULL, PRIMARY KEY (source, id))")
_CHUNK = 400


class SQLiteSeenStore:
    """The embedded default: one SQLite file, WAL, one writer at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.execute(_DDL.replace("TIMESTAMP", "TEXT"))

    def claim(self, arrivals: Sequence[tuple[Key, str]]) -> dict[Key, str]:
        now = datetime.now(UTC).isoformat()
        found: dict[Key, str] = {}
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(arrivals), _CHUNK):  # new keys come back at once
                    chunk = arrivals[start:start + _CHUNK]
                    marks = ",".join(["(?, ?, ?, ?)"] * len(chunk))
                    rows = self._db.execute(
                        f"INSERT INTO intake_seen VALUES {marks} ON CONFLICT DO NOTHING "  # noqa: S608
                        "RETURNING source, id, position",
                        [v for (s, i), pos in chunk for v in (s, i, pos, now)])
                    found.update({(s, i): pos for s, i, pos in rows})
                seen_before = list(dict.fromkeys(k for k, _ in arrivals if k not in found))
                for start in range(0, len(seen_before), _CHUNK):
                    chunk_keys = seen_before[start:start + _CHUNK]
                    marks = ",".join(["(?, ?)"] * len(chunk_keys))
                    rows = self._db.execute(  # a join, so SQLite uses the primary key
                        f"WITH k(s, i) AS (VALUES {marks}) SELECT t.source, t.id, t.position "  # noqa: S608
                        "FROM k JOIN intake_seen t ON t.source = k.s AND t.id = k.i",
                        [v for key in chunk_keys for v in key])
                    found.update({(s, i): pos for s, i, pos in rows})
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return found

    def purge(self, before: datetime) -> int:
        with self._lock:
            cursor = self._db.execute("DELETE FROM intake_seen WHERE first_seen < ?",
                                      (before.astimezone(UTC).isoformat(),))
            return cursor.rowcount

    def ping(self) -> bool:
        with self._lock:
            self._db.execute("SELECT 1").fetchone()
        return True

    def close(self) -> None:
        self._db.close()


class PostgresSeenStore:
    """PostgreSQL, shared by every intake replica."""

    def __init__(self, conninfo: str, schema: str = "public") -> None:
        self._table = f'"{schema}".intake_seen'
        # a pooled connection may have died with a server restart: passed over when taken
        self._pool: LiveConnectionPool[Connection[tuple[Any, ...]]] = LiveConnectionPool(
            conninfo, min_size=1, max_size=4, open=True)
        with self._pool.connection() as conn:
            conn.execute(_DDL.replace("intake_seen", self._table).replace(
                "TIMESTAMP", "TIMESTAMPTZ"))

    def claim(self, arrivals: Sequence[tuple[Key, str]]) -> dict[Key, str]:
        try:
            return self._claim(arrivals)
        except OperationalError as exc:  # the pool drops the broken connection; retry later
            msg = f"the dedupe store is unavailable: {exc}"
            raise SeenStoreUnavailableError(msg) from exc

    def _claim(self, arrivals: Sequence[tuple[Key, str]]) -> dict[Key, str]:
        sources = [s for (s, _), _ in arrivals]
        ids = [i for (_, i), _ in arrivals]
        positions = [pos for _, pos in arrivals]
        with self._pool.connection() as conn:
            rows = conn.execute(  # the keys new to the table come back at once
                f"INSERT INTO {self._table} SELECT s, i, p, now() FROM "  # noqa: S608
                "unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS a(s, i, p, n) "
                "ORDER BY n ON CONFLICT DO NOTHING RETURNING source, id, position",
                (sources, ids, positions)).fetchall()
            found = {(s, i): pos for s, i, pos in rows}
            seen_before = list(dict.fromkeys(k for k, _ in arrivals if k not in found))
            if seen_before:
                rows = conn.execute(
                    f"SELECT t.source, t.id, t.position FROM {self._table} t "  # noqa: S608
                    "JOIN unnest(%s::text[], %s::text[]) AS k(s, i) "
                    "ON t.source = k.s AND t.id = k.i",
                    ([s for s, _ in seen_before], [i for _, i in seen_before])).fetchall()
                found.update({(s, i): pos for s, i, pos in rows})
        return found

    def purge(self, before: datetime) -> int:
        with self._pool.connection() as conn:
            return conn.execute(f"DELETE FROM {self._table} WHERE first_seen < %s",  # noqa: S608
                                (before,)).rowcount

    def ping(self) -> bool:
        with self._pool.connection() as conn:
            conn.execute("SELECT 1")
        return True

    def close(self) -> None:
        self._pool.close()
