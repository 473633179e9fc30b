"""Read models kept in SQLite or PostgreSQL with the same SQL.

SQL is written once in PostgreSQL's ``%(name)s`` parameter style with ``{s}`` where the schema
goes; ``dialect`` derives what SQLite needs. ``SQLiteView`` / ``PostgresView`` are eventsourcing
tracking recorders that also create a read model's tables, so rows and the position can be
written in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

_PARAM = re.compile(r"%\((\w+)\)s")


def dialect(sql: str, *, schema_prefix: str = "", sqlite: bool) -> str:
    """``sql`` for one store: the schema filled in, parameters as ``:name`` on SQLite."""
    sql = sql.format(s=schema_prefix)
    return _PARAM.sub(r":\1", sql) if sqlite else sql


class Statements(Protocol):
    create: list[str]


StatementsFactory = Callable[..., Any]  # (schema_prefix, *, sqlite) -> Statements


class SQLiteView(SQLiteTrackingRecorder):
    """A read model in the embedded SQLite file; ``statements`` builds its SQL."""

    statements: ClassVar[StatementsFactory]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sql = type(self).statements("", sqlite=True)  # the base constructor needs the DDL
        super().__init__(*args, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.sql.create]


class PostgresView(PostgresTrackingRecorder):
    """A read model in PostgreSQL, in the datastore's schema; ``statements`` builds its SQL."""

    statements: ClassVar[StatementsFactory]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql = type(self).statements(f'"{self.datastore.schema}".', sqlite=False)
        self.sql_create_statements.extend(SQL(stmt).format() for stmt in self.sql.create)
