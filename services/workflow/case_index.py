"""The workflow's own index of cases and timers (案件索引 / 计时器), in the event store's database.

A follower of the workflow's notification log: for each batch of new events it reloads the cases
they touch and rewrites their index rows and timers, then records its position, all in one
transaction. Rows are rebuilt from the case, so replaying is harmless. Searches and the timer
scan read these tables; the cases themselves stay the only truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking

from services.platform.sqlviews import dialect
from services.workflow.domain.cases import Case

POSITION_NAME = "index:workflow"

_DDL = (
    "CREATE TABLE IF NOT EXISTS {s}wf_cases (case_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
    " action INTEGER, lead TEXT, owners TEXT NOT NULL, township_unit TEXT, entity_id TEXT,"
    " state TEXT NOT NULL, closed INTEGER NOT NULL, opened_at TEXT NOT NULL, closed_at TEXT,"
    " version INTEGER NOT NULL, overdue INTEGER NOT NULL, next_due TEXT,"
    " provisional INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {s}wf_timers (case_id TEXT NOT NULL, deadline TEXT NOT NULL,"
    " kind TEXT NOT NULL, at TEXT NOT NULL, provisional INTEGER NOT NULL,"
    " PRIMARY KEY (case_id, deadline, kind))",
    # CREATE INDEX locks its table even when the index exists: in the writer's order (cases,
    # then timers), or an instance starting beside a running one deadlocks with its writes
    "CREATE INDEX IF NOT EXISTS wf_cases_lead ON {s}wf_cases (lead, closed)",
    "CREATE INDEX IF NOT EXISTS wf_timers_at ON {s}wf_timers (at)",
)
_UPSERT = (
    "INSERT INTO {s}wf_cases VALUES (%(case_id)s, %(kind)s, %(action)s, %(lead)s, %(owners)s,"
    " %(township_unit)s, %(entity_id)s, %(state)s, %(closed)s, %(opened_at)s, %(closed_at)s,"
    " %(version)s, %(overdue)s, %(next_due)s, %(provisional)s) ON CONFLICT (case_id) DO UPDATE"
    " SET state = excluded.state, closed = excluded.closed, closed_at = excluded.closed_at,"
    " version = excluded.version, overdue = excluded.overdue, next_due = excluded.next_due,"
    " provisional = excluded.provisional WHERE {s}wf_cases.version <= excluded.version"
)
_DELETE_TIMERS = "DELETE FROM {s}wf_timers WHERE case_id = %(case_id)s"
_INSERT_TIMER = ("INSERT INTO {s}wf_timers VALUES (%(case_id)s, %(deadline)s, %(kind)s, %(at)s,"
                 " %(provisional)s)")
_DUE_TIMERS = ("SELECT case_id, deadline, kind FROM {s}wf_timers WHERE at <= %(now)s"
               " ORDER BY at LIMIT %(limit)s")
_PROVISIONAL = ("SELECT DISTINCT case_id FROM {s}wf_timers WHERE provisional = 1"
                " AND at >= %(start)s AND at < %(end)s")
_DUE_COUNT = "SELECT COUNT(*) AS due FROM {s}wf_timers WHERE at <= %(now)s"
_COUNTS = ("SELECT lead, SUM(1 - closed) AS open,"
           " SUM(CASE WHEN overdue > 0 AND closed = 0 THEN 1 ELSE 0 END) AS overdue"
           " FROM {s}wf_cases GROUP BY lead")


def stamp(moment: datetime) -> str:
    """A UTC text form that sorts like time on both SQLite and PostgreSQL."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class CaseQuery:
    """What a clerk filters cases by (案件查询)."""

    unit: str | None = None  # owned or co-owned by this unit
    township_unit: str | None = None
    action: int | None = None
    kind: str | None = None
    state: str | None = None  # 'open', 'closed', or a track state
    overdue: bool | None = None
    due_before: datetime | None = None
    limit: int = 100
    offset: int = 0


class CaseIndex:
    """Index rows and timers for one event store (SQLite or PostgreSQL)."""

    def __init__(self, datastore: Any, recorder: Any, *, postgres: bool) -> None:
        self.datastore = datastore
        self.recorder = recorder
        self.postgres = postgres
        prefix = f'"{datastore.schema}".' if postgres else ""
        self.sql = {name: dialect(text, schema_prefix=prefix, sqlite=not postgres)
                    for name, text in {
            "upsert": _UPSERT, "delete_timers": _DELETE_TIMERS, "insert_timer": _INSERT_TIMER,
            "due": _DUE_TIMERS, "provisional": _PROVISIONAL, "counts": _COUNTS,
            "due_count": _DUE_COUNT}.items()}
        with datastore.transaction(commit=True) as curs:
            for ddl in _DDL:
                curs.execute(dialect(ddl, schema_prefix=prefix, sqlite=not postgres))

    def _dialect(self, sql: str) -> str:
        return dialect(sql.replace("{", "{{").replace("}", "}}"), sqlite=not self.postgres)

    def position(self) -> int:
        return int(self.recorder.max_tracking_id(POSITION_NAME) or 0)

    def write(self, cases: Iterable[Case], position: int) -> None:
        """Rewrite the rows of ``cases`` and record ``position``, in one transaction.

        One batched statement each for the rows, the old timers and the new timers.
        """
        cases = list(cases)
        timers = [timer for case in cases for timer in _timers(case)]
        with self.datastore.transaction(commit=True) as curs:
            if cases:
                curs.executemany(self.sql["upsert"], [_row(case) for case in cases])
                curs.executemany(self.sql["delete_timers"],
                                 [{"case_id": case.case_id} for case in cases])
            if timers:
                curs.executemany(self.sql["insert_timer"], timers)
            self.recorder._insert_tracking(curs, Tracking(POSITION_NAME, position))

    def due_timers(self, now: datetime, limit: int = 1000) -> list[tuple[str, str, str]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["due"], {"now": stamp(now), "limit": limit})
            return [(r["case_id"], r["deadline"], r["kind"]) for r in curs.fetchall()]

    def provisional_cases(self, start: datetime, end: datetime) -> list[str]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["provisional"], {"start": stamp(start), "end": stamp(end)})
            return [r["case_id"] for r in curs.fetchall()]

    def search(self, query: CaseQuery) -> list[dict[str, Any]]:
        sql, params = self._search_sql(query)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, params)
            rows = [dict(r) for r in curs.fetchall()]
        for row in rows:
            row["owners"] = [u for u in row["owners"].split(",") if u]
            row["closed"] = bool(row["closed"])
            row["provisional"] = bool(row["provisional"])
        return rows

    def counts(self) -> dict[str, int]:
        """Open cases and open cases with an overdue deadline (for the metrics)."""
        by_lead = self.counts_by_lead()
        return {"open": sum(o for o, _ in by_lead.values()),
                "overdue": sum(d for _, d in by_lead.values())}

    def due_count(self, now: datetime) -> int:
        """Timers whose moment has passed and that have not fired yet (0 when the timer loop
        keeps up; a number that stays up means it does not)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["due_count"], {"now": stamp(now)})
            row = curs.fetchone()
        return int(row["due"] or 0)

    def counts_by_lead(self) -> dict[str, tuple[int, int]]:
        """Per lead unit ('' when none): (open cases, open cases with an overdue deadline)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["counts"])
            rows = curs.fetchall()
        return {str(r["lead"] or ""): (int(r["open"] or 0), int(r["overdue"] or 0))
                for r in rows}

    def _search_sql(self, q: CaseQuery) -> tuple[str, dict[str, Any]]:
        prefix = f'"{self.datastore.schema}".' if self.postgres else ""
        where = ["1 = 1"]
        params: dict[str, Any] = {"limit": q.limit, "offset": q.offset}
        filters: Sequence[tuple[object, str, str, object]] = (
            (q.unit, "owners LIKE %(unit)s ESCAPE '!'", "unit", f"%,{like_literal(q.unit)},%"),
            (q.township_unit, "township_unit = %(township)s", "township", q.township_unit),
            (q.action, "action = %(action)s", "action", q.action),
            (q.kind, "kind = %(kind)s", "kind", q.kind),
            (q.due_before, "next_due < %(due)s", "due", q.due_before and stamp(q.due_before)),
        )
        for value, clause, name, param in filters:
            if value is not None:
                where.append(clause)
                params[name] = param
        if q.state == "open":
            where.append("closed = 0")
        elif q.state == "closed":
            where.append("closed = 1")
        elif q.state:
            where.append("state LIKE %(state)s ESCAPE '!'")
            params["state"] = f"%{like_literal(q.state)}%"
        if q.overdue is not None:
            where.append("overdue > 0 AND closed = 0" if q.overdue else "overdue = 0")
        sql = (f"SELECT * FROM {prefix}wf_cases WHERE {' AND '.join(where)}"  # noqa: S608
               " ORDER BY opened_at, case_id LIMIT %(limit)s OFFSET %(offset)s")
        return self._dialect(sql), params


def like_literal(text: str | None) -> str:
    """``text`` inside a LIKE pattern matching only itself: its ``%`` and ``_`` and the escape
    character ``!`` (the queries' ``ESCAPE '!'``, the same on SQLite and PostgreSQL) escaped,
    so that a caller's ``unit=%`` or ``state=_`` finds what a plain unknown value finds."""
    return (text or "").replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _row(case: Case) -> dict[str, Any]:
    running = [d for d in case.deadlines.values() if d["status"] == "running"]
    dues = [d["due_at"] for d in running if d["due_at"] is not None and d["paused_since"] is None]
    assignment = case.assignment
    return {
        "case_id": case.case_id, "kind": case.kind.value, "action": assignment.get("action"),
        "lead": assignment.get("lead"), "owners": f",{','.join(sorted(case.owners()))},",
        "township_unit": assignment.get("township_unit"), "entity_id": case.entity_id,
        "state": case.state, "closed": int(case.is_closed), "opened_at": stamp(case.opened_at),
        "closed_at": stamp(case.closed_at) if case.closed_at else None,
        "version": case.version, "overdue": sum(1 for d in running if d["overdue"]),
        "next_due": stamp(min(dues)) if dues else None,
        "provisional": int(any(d["provisional"] for d in running)),
    }


def _timers(case: Case) -> list[dict[str, Any]]:
    if case.is_closed:
        return []
    found = []
    for name, deadline in case.deadlines.items():
        if deadline["status"] != "running" or deadline["paused_since"] is not None:
            continue
        for kind, at, fired in (("warn", deadline["warn_at"], deadline["warned"]),
                                ("overdue", deadline["due_at"], deadline["overdue"])):
            if at is not None and not fired:
                found.append({"case_id": case.case_id, "deadline": name, "kind": kind,
                              "at": stamp(at), "provisional": int(deadline["provisional"])})
    return found
