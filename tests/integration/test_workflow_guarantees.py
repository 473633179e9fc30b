"""Workflow guarantees on the real stores: encryption at rest, timers fired once by many."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Tracking

from fangxin.local.postgres import PostgresServer
from services.workflow.application import Workflow
from services.workflow.leader import FileLeaderLock, PostgresLeaderLock
from services.workflow.translate import commands_for, message_id
from tests.suites.workflow import fact

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def encrypted(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": AESCipher.create_key(32)}


def stored_bytes(env: dict[str, str], postgres: PostgresServer | None) -> bytes:
    if env["PERSISTENCE_MODULE"].endswith("sqlite"):
        with sqlite3.connect(env["SQLITE_DBNAME"]) as db:
            rows = db.execute("SELECT state FROM stored_events").fetchall()
    else:
        assert postgres is not None
        with psycopg.connect(postgres.dsn(env["POSTGRES_DBNAME"])) as db:
            rows = db.execute("SELECT state FROM workflow_events").fetchall()
    return b"".join(bytes(r[0]) for r in rows)


def test_complainant_details_are_unreadable_in_the_stored_bytes(store_env, request):
    env = encrypted(store_env)
    app = Workflow(env=env)
    complaint = fact("foodsafety.complaint.received", complaint_id="C-SECRET")
    app.handle([(message_id(complaint), commands_for(complaint))], Tracking("kafka:s:0", 1))

    raw = stored_bytes(env, request.getfixturevalue("postgres")
                       if "POSTGRES_DBNAME" in env else None)

    assert app.get_case("CP-C-SECRET").private["complainant"]["phone"] == "13937800000"
    assert raw, "events were stored"
    for secret in (b"13937800000", "王某".encode(), b"C-SECRET"):
        assert secret not in raw
    app.close()


def test_two_instances_racing_on_one_timer_fire_it_once(postgres, pg_env):
    first, second = Workflow(env=pg_env), Workflow(env=pg_env)
    complaint = fact("foodsafety.complaint.received", complaint_id="C-RACE")
    first.handle([(message_id(complaint), commands_for(complaint))], Tracking("kafka:s:0", 1))
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def fire(app: Workflow) -> None:
        barrier.wait()
        results.append(app.fire_timer("CP-C-RACE", "acceptance", "overdue", NOW))

    threads = [threading.Thread(target=fire, args=(app,)) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    history = [type(e).__name__ for e in first.case_history("CP-C-RACE")]
    assert sorted(results) == [False, True]
    assert history.count("DeadlineOverdue") == 1
    first.close()
    second.close()


def test_only_one_relay_holds_the_leader_lock_at_a_time(postgres, pg_database, tmp_path):
    for make in (lambda: PostgresLeaderLock(postgres.dsn(pg_database), "relay"),
                 lambda: FileLeaderLock(tmp_path / "relay.lock")):
        first, second = make(), make()

        assert first.acquire() is True
        assert first.acquire() is True  # holding it is idempotent
        assert second.acquire() is False
        first.release()
        assert second.acquire() is True
        second.release()
