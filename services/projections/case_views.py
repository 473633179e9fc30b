"""The case summary read model: one row per case plus its timeline, on SQLite or PostgreSQL.

Rows and the Kafka position are written in one transaction. Rows are idempotent: the timeline's
key is ``(case_id, version)`` and the summary only moves forward in version, so a re-sent event
changes nothing and a rebuild from offset zero gives the same view.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from services.platform.sqlviews import PostgresView, SQLiteView, dialect
from services.projections.digests import TableDigest

_CREATE = (
    "CREATE TABLE IF NOT EXISTS {s}case_summary ("
    " case_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
    " version INTEGER NOT NULL, entity_id TEXT, opened_at TEXT, last_event TEXT NOT NULL,"
    " updated_at TEXT NOT NULL, details TEXT NOT NULL, owners TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS {s}case_timeline ("
    " case_id TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,"
    " occurred_at TEXT NOT NULL, fact_id TEXT, data TEXT NOT NULL,"
    " PRIMARY KEY (case_id, version))",
)
_UPSERT_SUMMARY = (
    "INSERT INTO {s}case_summary (case_id, kind, state, version, entity_id, opened_at,"
    " last_event, updated_at, details, owners)"
    " VALUES (%(case_id)s, %(kind)s, COALESCE(%(state)s, 'open'), %(version)s, %(entity_id)s,"
    " %(opened_at)s, %(type)s, %(occurred_at)s, %(details)s, %(owners)s)"
    " ON CONFLICT (case_id) DO UPDATE SET"
    " state = CASE WHEN %(state)s IS NULL THEN {s}case_summary.state ELSE excluded.state END,"
    " version = excluded.version,"
    " last_event = excluded.last_event, updated_at = excluded.updated_at"
    " WHERE {s}case_summary.version < excluded.version"
)
_INSERT_TIMELINE = (
    "INSERT INTO {s}case_timeline (case_id, version, type, occurred_at, fact_id, data)"
    " VALUES (%(case_id)s, %(version)s, %(type)s, %(occurred_at)s, %(fact_id)s, %(data)s)"
    " ON CONFLICT (case_id, version) DO NOTHING"
)
_SELECT_SUMMARY = "SELECT * FROM {s}case_summary WHERE case_id = %(case_id)s"
_SELECT_TIMELINE = ("SELECT * FROM {s}case_timeline WHERE case_id = %(case_id)s"
                    " ORDER BY version")
# every query of cases takes %(owner)s: None for every case, else a unit's LIKE pattern
# (owner_pattern: its % and _ escaped with !)
_LIST = ("SELECT * FROM {s}case_summary WHERE (CAST(%(kind)s AS TEXT) IS NULL OR kind = %(kind)s)"
         " AND (CAST(%(owner)s AS TEXT) IS NULL"
         " OR {s}case_summary.owners LIKE %(owner)s ESCAPE '!')"
         " ORDER BY case_id LIMIT %(limit)s")

# Per kind: cases, closed, open with an overdue deadline, escalations (overdue deadlines sent up).
# Whether a closed case met its deadlines is the assessment's business (it compares due and met
# times); here timers fire on the clock, so a replay of old facts sees them fire before the fact
# that closes the case arrives.
_SUMMARY = (
    "SELECT kind, COUNT(*) AS cases,"
    " SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END) AS closed,"
    " SUM(CASE WHEN state <> 'closed' AND o.overdue IS NOT NULL THEN 1 ELSE 0 END) AS overdue,"
    " SUM(COALESCE(o.escalated, 0)) AS escalations"
    " FROM {s}case_summary LEFT JOIN ("
    "  SELECT case_id, COUNT(*) AS overdue,"
    "  SUM(CASE WHEN data LIKE %(escalated)s THEN 1 ELSE 0 END) AS escalated"
    "  FROM {s}case_timeline WHERE type = 'deadline.overdue' GROUP BY case_id"
    " ) o ON o.case_id = {s}case_summary.case_id"
    " WHERE (CAST(%(owner)s AS TEXT) IS NULL"
    " OR {s}case_summary.owners LIKE %(owner)s ESCAPE '!')"
    " GROUP BY kind ORDER BY kind"
)
_STATES = ("SELECT kind, state, COUNT(*) AS cases FROM {s}case_summary"
           " WHERE (CAST(%(owner)s AS TEXT) IS NULL"
           " OR {s}case_summary.owners LIKE %(owner)s ESCAPE '!')"
           " GROUP BY kind, state ORDER BY kind, state")
_ESCALATED = '%"escalated_to": "%'  # data is JSON with sorted keys and default separators


def owners_of(data: dict[str, Any]) -> str:
    """The units a case belongs to (lead, co-units, township), as ``,a,b,`` for LIKE."""
    assignment = data.get("assignment") or {}
    found = {assignment.get("lead"), *(assignment.get("co_units") or ()),
             assignment.get("township_unit")}
    units = sorted(unit for unit in found if unit)
    return f",{','.join(units)}," if units else ""


def owner_pattern(unit: str | None) -> str | None:
    """The LIKE pattern of one unit's cases; None for every case.

    ``%`` and ``_`` in the unit id match only themselves: they and the escape character ``!``
    (the queries' ``ESCAPE '!'``, the same on SQLite and PostgreSQL) are escaped.
    """
    if unit is None:
        return None
    literal = unit.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%,{literal},%"


def _row_params(event: CaseEvent) -> dict[str, Any]:
    details = event.data.get("details", {})
    return {
        "owners": owners_of(event.data),
        "case_id": event.case_id, "kind": event.kind, "version": event.version,
        "state": event.data.get("state"), "type": event.type,
        "entity_id": event.data.get("entity_id"), "opened_at": event.data.get("opened_at"),
        "occurred_at": event.occurred_at.isoformat(), "fact_id": event.fact_id,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
        "data": json.dumps(event.data, ensure_ascii=False, sort_keys=True),
    }


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if "owners" in out:
        out["owners"] = [unit for unit in out["owners"].split(",") if unit]
    for key in ("details", "data"):
        if key in out:
            out[key] = json.loads(out[key])
    return out


class CaseView(Protocol):
    """What the projection and the HTTP API need from the case read model."""

    def apply(self, events: Sequence[CaseEvent], tracking: Tracking) -> None: ...
    def case(self, case_id: str) -> dict[str, Any] | None: ...
    def cases(self, kind: str | None, limit: int, unit: str | None = None
              ) -> list[dict[str, Any]]: ...
    def summary(self, unit: str | None = None) -> dict[str, list[dict[str, Any]]]: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...
    def digest(self) -> str: ...


class _Statements:
    """SQL written once in PostgreSQL's paramstyle; SQLite's is derived from it."""

    def __init__(self, schema_prefix: str, *, sqlite: bool) -> None:
        def fmt(sql: str) -> str:
            return dialect(sql, schema_prefix=schema_prefix, sqlite=sqlite)

        self.create = [fmt(sql) for sql in _CREATE]
        self.upsert_summary = fmt(_UPSERT_SUMMARY)
        self.insert_timeline = fmt(_INSERT_TIMELINE)
        self.select_summary = fmt(_SELECT_SUMMARY)
        self.select_timeline = fmt(_SELECT_TIMELINE)
        self.list = fmt(_LIST)
        self.summary = fmt(_SUMMARY)
        self.states = fmt(_STATES)


class _CaseQueries(TableDigest):
    """Writes and reads shared by both stores (their cursors speak the same DB-API)."""

    sql: _Statements
    datastore: Any
    _insert_tracking: Any

    def apply(self, events: Sequence[CaseEvent], tracking: Tracking) -> None:
        """Write the rows of every event and the position in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            for event in events:
                params = _row_params(event)
                curs.execute(self.sql.insert_timeline, params)
                curs.execute(self.sql.upsert_summary, params)
            self._insert_tracking(curs, tracking)

    def case(self, case_id: str) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql.select_summary, {"case_id": case_id})
            row = curs.fetchone()
            if row is None:
                return None
            curs.execute(self.sql.select_timeline, {"case_id": case_id})
            timeline = [_decode(dict(r)) for r in curs.fetchall()]
        return {**_decode(dict(row)), "timeline": timeline}

    def cases(self, kind: str | None, limit: int, unit: str | None = None
              ) -> list[dict[str, Any]]:
        """Cases of one kind (or all), only ``unit``'s when given."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql.list, {"kind": kind, "limit": limit,
                                         "owner": owner_pattern(unit)})
            return [_decode(dict(r)) for r in curs.fetchall()]

    def summary(self, unit: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Cases per kind (closed, overdue while open, escalations) and per state.

        Every overdue deadline is escalated (its event names where it went); a case counts as
        overdue while it is open and one of its deadlines has passed.
        """
        with self.datastore.transaction(commit=False) as curs:
            owner = owner_pattern(unit)
            curs.execute(self.sql.summary, {"escalated": _ESCALATED, "owner": owner})
            kinds = [{k: (int(v) if k != "kind" else v) for k, v in dict(r).items()}
                     for r in curs.fetchall()]
            curs.execute(self.sql.states, {"owner": owner})
            states = [dict(r) for r in curs.fetchall()]
        for row in kinds:
            row["open"] = row["cases"] - row["closed"]
        return {"by_kind": kinds, "by_state": states}


class SQLiteCaseView(_CaseQueries, SQLiteView):
    """The case read model in the embedded SQLite file."""

    statements = _Statements


class PostgresCaseView(_CaseQueries, PostgresView):
    """The case read model in PostgreSQL."""

    statements = _Statements
