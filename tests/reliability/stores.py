"""What a stack's stores hold, read from outside the services (SQLite or PostgreSQL alike).

The workflow's cases are read from its event store itself (every case the index lists, loaded
from its events), so a comparison sees the whole case — tracks, deadlines with their met and due
times, and the history of commands — rather than one index row.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from fangxin.local.secrets import ensure_local_secrets
from fangxin.stack import LocalStack
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex, CaseQuery
from services.workflow.domain.cases import Case
from services.workflow.inbox import inbox_table
from services.workflow.settings import WorkflowSettings

TIMER_EVENTS = ("deadline.warned", "deadline.overdue")


def workflow_settings(stack: LocalStack) -> WorkflowSettings:
    key = ensure_local_secrets(stack.state_dir)["FANGXIN_CIPHER_KEY"]
    if stack.postgres is None:
        return WorkflowSettings(persistence="sqlite", sqlite_dir=stack.state_dir / "db",
                                cipher_key=key)
    return WorkflowSettings(persistence="postgres", postgres_host=stack.postgres.host,
                            postgres_port=stack.postgres.port, postgres_user=stack.postgres.user,
                            postgres_dbname=stack.database("workflow"), cipher_key=key)


@contextmanager
def workflow_store(stack: LocalStack) -> Iterator[tuple[Workflow, CaseIndex]]:
    settings = workflow_settings(stack)
    workflow = Workflow(env=settings.eventsourcing_env("workflow.sqlite"))
    try:
        index = CaseIndex(workflow.recorder.datastore,  # type: ignore[attr-defined]
                          workflow.recorder, postgres=settings.persistence == "postgres")
        yield workflow, index
    finally:
        workflow.close()


def wait_index_caught_up(workflow: Workflow, index: CaseIndex, within: float = 120) -> None:
    """The case index follows the event store; wait until it has indexed every event."""
    deadline = time.monotonic() + within
    while index.position() < (workflow.recorder.max_notification_id() or 0):
        if time.monotonic() > deadline:
            raise AssertionError("the workflow's case index did not catch up")
        time.sleep(0.2)


def fingerprint(case: Case) -> tuple[Any, ...]:
    """What a case is, independent of when its timers happened to fire.

    A deadline met after it fell due is late whether or not its overdue timer fired before the
    meeting fact arrived (decision 9); a deadline still running at the end has fired (every
    moment here is years in the past).
    """
    deadlines = []
    for name, d in sorted(case.deadlines.items()):
        met, due = d["met_at"], d["due_at"]
        running = d["status"] == "running"
        deadlines.append((name, d["status"], str(due), str(met),
                          met is not None and due is not None and met > due,
                          (d["warned"], d["overdue"], d["escalated_to"]) if running else None,
                          d["extensions"]))
    history = tuple((h["command"], str(h["at"]), h["by"], h["from"], h["to"], h["reason"])
                    for h in case.history)
    return (case.kind.value, case.state, case.is_closed, str(case.opened_at),
            str(case.closed_at), case.entity_id,
            json.dumps(case.assignment, sort_keys=True, ensure_ascii=False, default=str),
            case.rule_set, tuple(deadlines), history)


def cases(stack: LocalStack) -> dict[str, tuple[Any, ...]]:
    """Every case of the workflow: its id and :func:`fingerprint`."""
    with workflow_store(stack) as (workflow, index):
        wait_index_caught_up(workflow, index)
        ids = [row["case_id"] for row in index.search(CaseQuery(limit=10**7))]
        return {case_id: fingerprint(workflow.get_case(case_id)) for case_id in ids}


def inbox(stack: LocalStack) -> list[str]:
    """Every message id in the workflow's inbox (a repeat would be a second row)."""
    with workflow_store(stack) as (workflow, _):
        recorder: Any = workflow.recorder
        table = inbox_table(recorder.events_table_name)
        schema = f'"{recorder.datastore.schema}".' if stack.postgres is not None else ""
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT message_id FROM {schema}{table}")
            return [row["message_id"] for row in curs.fetchall()]


def projections_rows(stack: LocalStack, sql: str) -> list[dict[str, Any]]:
    """Rows of a query on the projections' own store, generation 0 (before any rebuild)."""
    if stack.postgres is None:
        with sqlite3.connect(stack.state_dir / "db" / "projections.sqlite") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql)]
    with psycopg.connect(stack.postgres.dsn(stack.database("projections")),
                         row_factory=dict_row) as db:
        return list(db.execute(sql.replace("?", "%s")).fetchall())


def timers_fired(stack: LocalStack) -> list[tuple[str, str, str, int]]:
    """(case, timer event, deadline, times) for every deadline timer the read model saw."""
    rows = projections_rows(stack, "SELECT case_id, type, data FROM case_timeline WHERE type IN"
                            f" {TIMER_EVENTS!r}")
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        key = (row["case_id"], row["type"], json.loads(row["data"])["name"])
        counts[key] = counts.get(key, 0) + 1
    return [(*key, n) for key, n in sorted(counts.items())]


def read_model_cases(stack: LocalStack) -> dict[str, str]:
    """case id -> state, as the projections' case summary shows them."""
    return {row["case_id"]: row["state"]
            for row in projections_rows(stack, "SELECT case_id, state FROM case_summary")}
