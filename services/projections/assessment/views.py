"""The assessment read model's tables on SQLite or PostgreSQL, and its batch write.

A batch's rows and its Kafka position are written in one transaction. Fact rows are keyed by the
fact's own number and keep the latest fact (by CloudEvent time, then fact id) whatever the order
of arrival; case events are keyed by ``(case_id, version)``; a touched case's row is refolded
from all its stored events in the same transaction. Re-applying anything changes nothing.

Tables (dates are China local dates, instants fixed-width UTC text):

- ``assessment_entities`` (entity_id): kind, township, risk_grade, registered_on
- ``assessment_samples`` (sample_id): entity_id, category, program, verdict, sampled_on
- ``assessment_inspections`` (inspection_id): entity_id, result, reinspection_of, inspected_on
- ``assessment_case_events`` (case_id, version): type, kind, occurred_at, data (JSON)
- ``assessment_cases`` (case_id): the fold: kind, version, action, lead, units (JSON), township
  unit, entity_id, opened_on, closed_at, closed_by, state, on_time, overdue,
  acceptance_on_time, details and deadlines (JSON: due_at, met_at, overdue_seen, met_in_time)

The three fact tables also keep ``fact_id`` and ``fact_at`` (which fact is in force).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from services.platform.sqlviews import PostgresView, SQLiteView, dialect
from services.projections.assessment.config import AssessmentConfig, default_config
from services.projections.assessment.figures import Dataset
from services.projections.assessment.periods import Period
from services.projections.assessment.queries import AssessmentQueries
from services.projections.assessment.rows import FactRows, Row, case_row, event_row
from services.projections.digests import TableDigest

_FACT_TABLES = {  # table -> (key, other columns)
    "assessment_entities": ("entity_id", ("kind", "township", "risk_grade", "registered_on")),
    "assessment_samples": ("sample_id", ("entity_id", "category", "program", "verdict",
                                         "sampled_on")),
    "assessment_inspections": ("inspection_id", ("entity_id", "result", "reinspection_of",
                                                 "inspected_on")),
}
_CASE_COLUMNS = ("kind", "version", "action", "lead", "units", "township_unit", "entity_id",
                 "opened_on", "closed_at", "closed_by", "state", "on_time", "overdue",
                 "acceptance_on_time", "details", "deadlines")
_INTEGER = {"version", "action", "on_time", "overdue", "acceptance_on_time"}
_CREATE = (
    *(f"CREATE TABLE IF NOT EXISTS {{s}}{table} ({key} TEXT PRIMARY KEY, "
      + "".join(f"{c} TEXT, " for c in cols) + "fact_id TEXT NOT NULL, fact_at TEXT NOT NULL)"
      for table, (key, cols) in _FACT_TABLES.items()),
    "CREATE INDEX IF NOT EXISTS assessment_samples_on ON {s}assessment_samples (sampled_on)",
    "CREATE INDEX IF NOT EXISTS assessment_inspections_on"
    " ON {s}assessment_inspections (inspected_on)",
    "CREATE TABLE IF NOT EXISTS {s}assessment_case_events (case_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, type TEXT NOT NULL, kind TEXT NOT NULL,"
    " occurred_at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (case_id, version))",
    "CREATE TABLE IF NOT EXISTS {s}assessment_cases (case_id TEXT PRIMARY KEY, "
    + ", ".join(f"{c} {'INTEGER' if c in _INTEGER else 'TEXT'}" for c in _CASE_COLUMNS) + ")",
    "CREATE INDEX IF NOT EXISTS assessment_cases_opened ON {s}assessment_cases (opened_on)",
)


def _upsert_fact(table: str, key: str, cols: tuple[str, ...]) -> str:
    every = (key, *cols, "fact_id", "fact_at")
    return (f"INSERT INTO {{s}}{table} ({', '.join(every)})"  # noqa: S608 - names are constants
            f" VALUES ({', '.join(f'%({c})s' for c in every)})"
            f" ON CONFLICT ({key}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in every[1:])
            + f" WHERE (excluded.fact_at, excluded.fact_id)"
              f" > ({{s}}{table}.fact_at, {{s}}{table}.fact_id)")


_INSERT_EVENT = ("INSERT INTO {s}assessment_case_events"
                 " (case_id, version, type, kind, occurred_at, data)"
                 " VALUES (%(case_id)s, %(version)s, %(type)s, %(kind)s, %(occurred_at)s,"
                 " %(data)s) ON CONFLICT (case_id, version) DO NOTHING")
_SELECT_EVENTS = ("SELECT version, type, data FROM {s}assessment_case_events"
                  " WHERE case_id = %(case_id)s ORDER BY version")
_UPSERT_CASE = ("INSERT INTO {s}assessment_cases (case_id, "  # noqa: S608 - constant names
                + ", ".join(_CASE_COLUMNS)
                + ") VALUES (%(case_id)s, " + ", ".join(f"%({c})s" for c in _CASE_COLUMNS)
                + ") ON CONFLICT (case_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _CASE_COLUMNS))
_SELECT = {
    "entities": "SELECT entity_id, kind, township, risk_grade, registered_on"
                " FROM {s}assessment_entities",
    "samples": "SELECT * FROM {s}assessment_samples"
               " WHERE sampled_on >= %(first)s AND sampled_on <= %(last)s",
    "inspections": "SELECT * FROM {s}assessment_inspections"
                   " WHERE inspected_on >= %(first)s AND inspected_on <= %(last)s",
    "cases": "SELECT * FROM {s}assessment_cases"
             " WHERE opened_on >= %(first)s AND opened_on <= %(last)s",
    "case": "SELECT * FROM {s}assessment_cases WHERE case_id = %(case_id)s",
}


class _Statements:
    """SQL written once in PostgreSQL's paramstyle; SQLite's is derived from it."""

    def __init__(self, schema_prefix: str, *, sqlite: bool) -> None:
        def fmt(sql: str) -> str:
            return dialect(sql, schema_prefix=schema_prefix, sqlite=sqlite)

        self.create = [fmt(sql) for sql in _CREATE]
        self.upsert_fact = {table: fmt(_upsert_fact(table, key, cols))
                            for table, (key, cols) in _FACT_TABLES.items()}
        self.insert_event = fmt(_INSERT_EVENT)
        self.select_events = fmt(_SELECT_EVENTS)
        self.upsert_case = fmt(_UPSERT_CASE)
        self.select = {name: fmt(sql) for name, sql in _SELECT.items()}


class _AssessmentStore(AssessmentQueries, TableDigest):
    """Writes and reads shared by both stores (their cursors speak the same DB-API)."""

    sql: _Statements
    datastore: Any
    _insert_tracking: Any
    max_tracking_id: Callable[[str], int | None]  # from the tracking recorder
    _config: AssessmentConfig | None = None

    @property
    def config(self) -> AssessmentConfig:
        return self._config or default_config()

    def configure(self, config: AssessmentConfig) -> None:
        """Use other targets, weights or routing for the queries (rows stay as they are)."""
        self._config = config

    def position(self, application_name: str) -> int:
        """The last tracked position of ``application_name`` (0 before the first)."""
        return self.max_tracking_id(application_name) or 0

    def write(self, facts: FactRows, events: Sequence[CaseEvent], tracking: Tracking) -> None:
        """Write a batch's rows and its position in one transaction."""
        acceptance = self.config.targets.complaint_decision_deadline.deadline
        touched = {e.case_id: e.kind for e in events}
        with self.datastore.transaction(commit=True) as curs:
            for table, rows in (("assessment_entities", facts.entities),
                                ("assessment_samples", facts.samples),
                                ("assessment_inspections", facts.inspections)):
                if rows:
                    curs.executemany(self.sql.upsert_fact[table], rows)
            if events:
                curs.executemany(self.sql.insert_event, [event_row(e) for e in events])
            for case_id, kind in sorted(touched.items()):
                curs.execute(self.sql.select_events, {"case_id": case_id})
                stored = [dict(r) for r in curs.fetchall()]
                curs.execute(self.sql.upsert_case,
                             case_row(case_id, kind, stored, acceptance=acceptance))
            self._insert_tracking(curs, tracking)

    def _fetch(self, name: str, **params: Any) -> list[Row]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql.select[name], params)
            return [dict(r) for r in curs.fetchall()]

    def dataset(self, period: Period, *, samples_until: str | None = None) -> Dataset:
        """The rows of ``period`` (registrations and inspections only for a whole year)."""
        span = {"first": period.first.isoformat(), "last": period.last.isoformat()}
        samples = {**span, "last": min(span["last"], samples_until or span["last"])}
        entities = {r["entity_id"]: r for r in self._fetch("entities")}
        return Dataset(period, entities, self._fetch("cases", **span),
                       self._fetch("samples", **samples),
                       self._fetch("inspections", **span) if period.is_year else [])

    def case(self, case_id: str) -> Row | None:
        """A case's folded row (deadlines and details decoded), for inspection and tests."""
        found = self._fetch("case", case_id=case_id)
        return self.decoded_case(found[0]) if found else None


class SQLiteAssessmentView(_AssessmentStore, SQLiteView):
    """The assessment read model in the embedded SQLite file."""

    statements = _Statements


class PostgresAssessmentView(_AssessmentStore, PostgresView):
    """The assessment read model in PostgreSQL."""

    statements = _Statements
