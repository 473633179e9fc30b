"""Recall scope in motion (召回范围): open sampling disposals watch their lots' downstream.

When an ``SD-`` case opens, every downstream business of its lot gets a command to open an
``RV-<sample_id>-<entity_id>`` case; while the SD case stays open, later downstream movements of
the lot reach new businesses and open further RV cases. Watches, issued commands and the Kafka
position are written in one transaction; the commands wait in an outbox table until Kafka has
acknowledged them, so none is lost and a repeat is harmless (the workflow acts on each command
id once and RV case ids are deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder

from contracts.cases import CaseEvent
from contracts.commands import OPEN_RECALL_VERIFICATION, CaseCommand
from contracts.envelope import CloudEvent
from services.platform.sqlviews import dialect

RECALLER = "recall-scope"  # the by_unit of the commands this module issues
_DDL = (
    "CREATE TABLE IF NOT EXISTS {s}recall_watch (case_id TEXT PRIMARY KEY, sample_id TEXT"
    " NOT NULL, lot_code TEXT NOT NULL, product TEXT, entity_id TEXT, opened_at TEXT,"
    " open INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {s}recall_outbox (command_id TEXT PRIMARY KEY,"
    " payload TEXT NOT NULL, sent INTEGER NOT NULL)",
)
_SQL = {
    "watch": "INSERT INTO {s}recall_watch (case_id, sample_id, lot_code, product, entity_id,"
             " opened_at, open) VALUES (%(case_id)s, %(sample_id)s, %(lot_code)s, %(product)s,"
             " %(entity_id)s, %(opened_at)s, 1) ON CONFLICT (case_id) DO NOTHING",
    "close": "UPDATE {s}recall_watch SET open = 0 WHERE case_id = %(case_id)s",
    "open_watches": "SELECT * FROM {s}recall_watch WHERE open = 1",
    "issue": "INSERT INTO {s}recall_outbox VALUES (%(command_id)s, %(payload)s, 0)"
             " ON CONFLICT (command_id) DO NOTHING",
    "unsent": "SELECT command_id, payload FROM {s}recall_outbox WHERE sent = 0"
              " ORDER BY command_id LIMIT 500",
    "sent": "UPDATE {s}recall_outbox SET sent = 1 WHERE command_id = %(command_id)s",
}


class _RecallStore:
    """Shared by the SQLite and PostgreSQL stores."""

    sql: dict[str, str]
    datastore: Any
    _insert_tracking: Any
    max_tracking_id: Any

    def _prepare(self, prefix: str, *, sqlite: bool) -> list[str]:
        def fmt(text: str) -> str:
            return dialect(text, schema_prefix=prefix, sqlite=sqlite)

        self.sql = {name: fmt(text) for name, text in _SQL.items()}
        return [fmt(text) for text in _DDL]

    def write(self, opened: list[dict[str, Any]], closed: list[str],
              commands: list[CaseCommand], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for watch in opened:
                curs.execute(self.sql["watch"], watch)
            for case_id in closed:
                curs.execute(self.sql["close"], {"case_id": case_id})
            for command in commands:
                curs.execute(self.sql["issue"], {"command_id": command.command_id,
                                                 "payload": command.model_dump_json()})
            self._insert_tracking(curs, tracking)

    def open_watches(self) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["open_watches"])
            return [dict(row) for row in curs.fetchall()]

    def unsent(self) -> list[CaseCommand]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.sql["unsent"])
            return [CaseCommand.model_validate_json(r["payload"]) for r in curs.fetchall()]

    def mark_sent(self, commands: Sequence[CaseCommand]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for command in commands:
                curs.execute(self.sql["sent"], {"command_id": command.command_id})


class SQLiteRecallStore(_RecallStore, SQLiteTrackingRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ddl = self._prepare("", sqlite=True)
        super().__init__(*args, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._ddl]


class PostgresRecallStore(_RecallStore, PostgresTrackingRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from psycopg.sql import SQL  # noqa: PLC0415

        ddl = self._prepare(f'"{self.datastore.schema}".', sqlite=False)
        self.sql_create_statements.extend(SQL(text).format() for text in ddl)


class RecallScope:
    """The read model "recall": watches SD cases, issues RV commands through its outbox."""

    name = "recall"

    def __init__(self, store: Any, trace: Any) -> None:
        self.store = store
        self.trace = trace

    def position(self, application_name: str) -> int:
        return int(self.store.max_tracking_id(application_name) or 0)

    def apply(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> None:
        opened = [_watch(e) for e in events if isinstance(e, CaseEvent) and e.kind == "SD"
                  and e.type == "case.opened" and e.data.get("details", {}).get("lot_code")]
        closed = [e.case_id for e in events if isinstance(e, CaseEvent) and e.kind == "SD"
                  and e.type == "case.closed"]
        moved = any(isinstance(e, CloudEvent) and e.type.startswith("foodsafety.trace.")
                    for e in events)
        watches = opened + ([w for w in self.store.open_watches() if w["case_id"] not in closed]
                            if moved else [])
        commands = [c for watch in watches for c in self._commands(watch)]
        self.store.write(opened, closed, commands, tracking)

    def _commands(self, watch: dict[str, Any]) -> list[CaseCommand]:
        """One command per downstream business, dated by the facts, never by the clock.

        An RV case starts when both its reasons exist: the SD case opened and the lot reached
        the business. So a replay of history dates it as it happened, and a rebuild issues the
        very same commands.
        """
        opened = _instant(watch.get("opened_at"))
        commands = []
        for business in self.trace.recall_scope(watch["lot_code"]):
            entity = business["entity_id"]
            if entity == watch.get("entity_id"):
                continue  # the sampled business itself is the SD case's own work
            case_id = f"RV-{watch['sample_id']}-{entity}"
            reached = _instant(business.get("first_at"))
            at = max((t for t in (opened, reached) if t is not None),
                     default=datetime.now(UTC))
            commands.append(CaseCommand(
                command_id=f"recall:{case_id}", case_id=case_id,
                command=OPEN_RECALL_VERIFICATION, by_unit=RECALLER, at=at,
                args={"sd_case_id": watch["case_id"], "sample_id": watch["sample_id"],
                      "entity_id": entity, "lot_code": business["lot_code"],
                      "quantity": business["quantity"], "unit": business["unit"],
                      "township": business["township"], "product": watch.get("product")}))
        return commands


def _watch(event: CaseEvent) -> dict[str, Any]:
    details = event.data.get("details", {})
    return {"case_id": event.case_id, "sample_id": details.get("sample_id"),
            "lot_code": details["lot_code"], "product": details.get("product"),
            "entity_id": event.data.get("entity_id"),
            "opened_at": event.occurred_at.astimezone(UTC).isoformat()}


def _instant(value: object) -> datetime | None:
    """An aware time from the read models (ISO text or a datetime); None when unknown."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
