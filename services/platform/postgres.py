"""PostgreSQL persistence (eventsourcing's) whose pool never hands out a connection that the
server has already closed.

When PostgreSQL restarts (a crash, a failover, an operator's ``pg_ctl restart``), every idle
connection in a pool dies with it, but the pool does not know until one is used: each would fail
its next caller once (a rebuild, an HTTP read, a batch) before the pool replaced it.
eventsourcing's ``POSTGRES_PRE_PING`` asks the server on every checkout (a round trip each
time) and, when several connections are dead, makes psycopg_pool back off between them: a
checkout then waited 13–30 s. Here a checkout looks at the connection's socket instead, without
a round trip: an idle connection has nothing to read, so a readable socket means the server has
said goodbye (its termination notice, or end of file). Such a connection is closed and given
back, the pool replaces it, and the caller gets the next one.

Select it with ``PERSISTENCE_MODULE=services.platform.postgres:Factory`` (the class: the module
also holds the factory it extends), as the services' settings do; everything else is
eventsourcing's PostgreSQL module unchanged.
"""

from __future__ import annotations

import select
from typing import Any, TypeVar

from eventsourcing.postgres import ConnectionPool, PostgresFactory
from psycopg import Connection

CT = TypeVar("CT", bound=Connection[Any])


def closed_by_server(conn: Connection[Any]) -> bool:
    """True when an idle connection can no longer serve: closed here, or its socket readable
    (the server's goodbye or end of file). An idle connection of ours is sent nothing else; were
    it sent a notice, passing it over would only cost a new connection."""
    if conn.closed:
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):  # the socket is gone
        return True
    return bool(readable)


class LiveConnectionPool(ConnectionPool[CT]):
    """A pool that passes over connections the server has closed (see the module)."""

    def getconn(self, timeout: float | None = None) -> CT:
        for _ in range(self.max_size):  # at most every connection it holds is dead
            conn = super().getconn(timeout)
            if not closed_by_server(conn):
                return conn
            conn.close()
            self.putconn(conn)  # a closed connection is dropped, and a new one made
        return super().getconn(timeout)


class Factory(PostgresFactory):
    """eventsourcing's PostgreSQL factory with a :class:`LiveConnectionPool`."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        if not pool.closed or type(pool) is not ConnectionPool:  # opened already, or changed
            raise TypeError(f"expected eventsourcing's unopened ConnectionPool, not {pool!r}")
        pool.__class__ = LiveConnectionPool  # same state, one method more; before it opens
