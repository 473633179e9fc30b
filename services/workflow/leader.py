"""Leader locks: only one outbox relay runs at a time, however many workflow replicas run."""

from __future__ import annotations

import fcntl
import hashlib
import threading
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg


class LeaderLock(Protocol):
    def acquire(self) -> bool: ...
    def release(self) -> None: ...


class FileLeaderLock:
    """For the embedded SQLite store (one machine): an exclusive lock on a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class PostgresLeaderLock:
    """For PostgreSQL: a session advisory lock held on a dedicated connection."""

    def __init__(self, conninfo: str, name: str) -> None:
        self.conninfo = conninfo
        self.key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big",
                                  signed=True)
        self._conn: Any = None
        self._guard = threading.Lock()

    def acquire(self) -> bool:
        with self._guard:
            if self._conn is not None:
                try:
                    self._conn.execute("SELECT 1")  # still ours while the session lives
                    return True
                except psycopg.Error:
                    self._conn = None
            try:
                conn = psycopg.connect(self.conninfo, autocommit=True)
            except psycopg.Error:
                return False
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not held or not held[0]:
                conn.close()
                return False
            self._conn = conn
            return True

    def release(self) -> None:
        with self._guard:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
