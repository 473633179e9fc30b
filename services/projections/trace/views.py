"""The trace-back read model on SQLite (embedded default) or PostgreSQL.

A view is an eventsourcing tracking recorder: ``write`` puts a batch's rows and its Kafka
position in one transaction, and a position already recorded fails the whole transaction with
eventsourcing's ``IntegrityError`` (nothing written). Tables and their keys: :mod:`.schema`;
the walk: :mod:`.queries`; the shared reads and writes: :mod:`.reads`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from psycopg.sql import SQL

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.trace.batch import build_rows
from services.projections.trace.interface import (
    DEFAULT_DEPTH,
    DEFAULT_LIMIT,
    MAX_DEPTH,
    TracePage,
    TraceView,
)
from services.projections.trace.reads import Statements, TraceQueries
from services.projections.trace.rows import Rows

__all__ = ["DEFAULT_DEPTH", "DEFAULT_LIMIT", "MAX_DEPTH", "PostgresTraceView", "SQLiteTraceView",
           "TracePage", "TraceView"]


class SQLiteTraceView(TraceQueries, SQLiteTrackingRecorder):
    """The trace read model in the embedded SQLite file."""

    def write_events(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> int:
        """The rows of a batch of events and its position in one transaction; the facts
        skipped (see :func:`.batch.build_rows`)."""
        rows = build_rows(events)
        self.write(rows, tracking)
        return rows.skipped

    def analyze(self) -> None:
        """Refresh the planner's statistics (SQLite's own judgement of what needs it)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("PRAGMA optimize")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sql = Statements("", sqlite=True)  # the base constructor asks for the DDL
        super().__init__(*args, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.sql.create]


class PostgresTraceView(TraceQueries, PostgresTrackingRecorder):
    """The trace read model in PostgreSQL.

    Reads are prepared once per connection and end with COMMIT: psycopg forgets its prepared
    statements on every ROLLBACK. The walks are planned anew for each lot (see ``_execute``).
    """

    _read_commits = True
    PART = 250  # events per part of a batch (see write_events)
    ANALYZE_AFTER = 50_000  # rows written before the first automatic ANALYZE

    _analyzed_rows = 0
    _rows_since_analyze = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql = Statements(f'"{self.datastore.schema}".', sqlite=False)
        self.sql_create_statements.extend(SQL(stmt).format() for stmt in self.sql.create)
        self._walks = {self.sql.read["RECIPIENTS"]}

    def _write_rows(self, curs: Any, statement: str, rows: list[dict[str, Any]]) -> None:
        curs.execute(statement, {"rows": json.dumps(rows, ensure_ascii=False)})

    def write(self, rows: Rows, tracking: Tracking) -> None:
        self._write_parts([rows], tracking)

    def write_events(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> int:
        """As on every store, but the rows are built and sent in parts of ``PART`` events
        within the one transaction: the server inserts a part while the next is built."""
        parts = (build_rows(events[start:start + self.PART])
                 for start in range(0, len(events), self.PART))
        return self._write_parts(parts, tracking)

    def _write_parts(self, parts: Iterable[Rows], tracking: Tracking) -> int:
        """The rows and the position in one transaction, the row statements in one pipeline
        (the server inserts while this process builds and encodes what follows); the facts
        skipped. Then, when the tables have grown a lot since the last statistics (first after
        50,000 rows, then each time they have doubled), ANALYZE them: without statistics the
        planner scans whole tables instead of following the lot indexes, which is what a
        freshly rebuilt model would meet before autovacuum comes by."""
        skipped = 0
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)  # first: a redelivery fails before writing
            with curs.connection.pipeline():
                for rows in parts:
                    for name, batch in rows.batches().items():
                        if batch:
                            self._write_rows(curs, self.sql.write[name], batch)
                    self._rows_since_analyze += rows.count()
                    skipped += rows.skipped
        if self._rows_since_analyze >= max(self.ANALYZE_AFTER, self._analyzed_rows):
            self.analyze()
        return skipped

    def analyze(self) -> None:
        """Refresh the planner's statistics of the trace tables (after a rebuild, say)."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.sql.analyze:
                curs.execute(statement)
        self._analyzed_rows += self._rows_since_analyze
        self._rows_since_analyze = 0

    def _plan_levels(self, curs: Any) -> None:
        """A walk's level statement is planned once per connection: planning it costs more
        than running it (about 2 ms against well under one for a small level), and its plan,
        index scans from the listed lots, suits every level from one lot to thousands."""
        curs.execute("SET LOCAL plan_cache_mode = force_generic_plan")

    def _execute(self, curs: Any, statement: str, params: dict[str, Any]) -> None:
        """Prepared once per connection. A walk is planned for its own parameters, though:
        the generic plan PostgreSQL settles on after a few small lots joins the reached lots
        by nested loops, quadratic in their number (a hub page: 13 s instead of 0.5 s);
        planning anew costs a small lot about 1.5 ms."""
        if statement in self._walks:
            curs.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        curs.execute(statement, params, prepare=True)
