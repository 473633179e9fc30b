"""A workflow instance starts while another writes the case index (found by the fault run).

A starting instance makes sure the index's tables and indexes exist; ``CREATE INDEX IF NOT
EXISTS`` locks its table even when the index is there. It used to lock the timers before the
cases while the running instance's index writer locks the cases, then the timers: PostgreSQL
found a deadlock and the starting instance exited. Both now lock in one order.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from fangxin.local.postgres import PostgresServer
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex

pytestmark = pytest.mark.integration


def test_an_instance_starting_beside_a_writing_one_waits_instead_of_deadlocking(
        pg_env: dict[str, str], postgres: PostgresServer):
    workflow = Workflow(env=pg_env)
    datastore: Any = workflow.recorder.datastore  # type: ignore[attr-defined]
    CaseIndex(datastore, workflow.recorder, postgres=True)  # the running instance's tables
    errors: list[BaseException] = []

    def start_another_instance() -> None:
        try:
            CaseIndex(datastore, workflow.recorder, postgres=True)
        except BaseException as exc:  # re-raised by the assertion below
            errors.append(exc)

    with psycopg.connect(postgres.dsn(pg_env["POSTGRES_DBNAME"])) as writer:
        # the running instance's index writer, in the middle of its transaction: cases first
        writer.execute("INSERT INTO wf_cases VALUES ('SD-1', 'SD', 1, 'u', ',u,', NULL, NULL,"
                       " 'open', 0, '2024', NULL, 1, 0, NULL, 0)")
        starting = threading.Thread(target=start_another_instance)
        starting.start()
        waiting_for_lock(postgres, pg_env["POSTGRES_DBNAME"])
        try:  # ... then the timers
            writer.execute("INSERT INTO wf_timers VALUES ('SD-1', 'dispose', 'warn', '2024', 0)")
            writer.commit()
        except psycopg.errors.DeadlockDetected as exc:
            errors.append(exc)
        starting.join(30)

    assert not starting.is_alive()
    assert errors == []
    workflow.close()


def waiting_for_lock(postgres: PostgresServer, database: str, within: float = 30) -> None:
    """Until a session of ``database`` waits for a lock (the starting instance's DDL)."""
    deadline = time.monotonic() + within
    with psycopg.connect(postgres.dsn(database), autocommit=True) as probe:
        while not probe.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s"
                                " AND wait_event_type = 'Lock'", (database,)).fetchall():
            assert time.monotonic() < deadline, "the starting instance never waited"
            time.sleep(0.05)
