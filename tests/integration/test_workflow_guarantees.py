"""Workflow guarantees on the real stores: encryption at rest, timers fired once by many."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import IntegrityError, Tracking

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


class _RecordsAfterBarrier(Workflow):
    """Decides, then waits for the other instance before its first write (a forced race)."""

    barrier: threading.Barrier

    def _record(self, processing):  # type: ignore[no-untyped-def]
        if getattr(self, "waiting", True):
            self.waiting = False
            self.barrier.wait(30)
        return super()._record(processing)


def _race(env: dict[str, str], message: tuple[str, list]) -> tuple[list[str], Workflow]:  # type: ignore[type-arg]
    barrier = threading.Barrier(2)
    apps = [_RecordsAfterBarrier(env=env) for _ in range(2)]
    for app in apps:
        app.barrier = barrier
    outcomes: list[str] = []

    def handle(app: Workflow, partition: int) -> None:
        decisions = app.handle([message], Tracking(f"kafka:s:{partition}", 1))
        outcomes.extend(d.outcome.value for d in decisions)

    threads = [threading.Thread(target=handle, args=(app, n)) for n, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    apps[1].close()
    return sorted(outcomes), apps[0]


def test_one_message_recorded_by_two_instances_at_once_is_applied_once(store_env):
    summary = fact("foodsafety.summary.submitted")  # action 9, 2023

    outcomes, app = _race(store_env, (message_id(summary), commands_for(summary)))

    assert outcomes == ["applied", "duplicate_message"]
    history = [type(e).__name__ for e in app.case_history("AS-2023-9")]
    assert history.count("Advanced") == 1
    app.close()


def test_the_inbox_alone_stops_a_second_instance_recording_the_same_message(store_env):
    qualified = fact("foodsafety.sampling.reported", verdict="qualified", items=[
        {"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "limit": "≤0.02",
         "qualified": True}])  # changes no case: only the inbox entry is written

    outcomes, app = _race(store_env, (message_id(qualified), commands_for(qualified)))

    assert outcomes == ["duplicate_message", "unchanged"]
    assert app.recorder.select_inbox([message_id(qualified)]) == {message_id(qualified)}  # type: ignore[attr-defined]
    app.close()


def test_two_instances_opening_the_annual_summaries_at_once_open_each_case_once(store_env):
    barrier = threading.Barrier(2)
    apps = [_RecordsAfterBarrier(env=store_env) for _ in range(2)]
    opened: list[list[str]] = []
    for app in apps:
        app.barrier = barrier
    threads = [threading.Thread(target=lambda a=app: opened.append(a.open_annual_summaries(NOW)))
               for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    first, second = apps

    assert sorted(len(o) for o in opened) == [0, 39]
    assert first.open_annual_summaries(NOW) == second.open_annual_summaries(NOW) == []
    for year in (2022, 2023, 2024):
        for action in range(1, 14):
            history = [type(e).__name__ for e in first.case_history(f"AS-{year}-{action}")]
            assert history == ["Opened"], (year, action)
    late = fact("foodsafety.summary.submitted", year=2024, action=9,
                submitted_at="2025-01-06T10:00:00+08:00")
    second.handle([(message_id(late), commands_for(late))], Tracking("kafka:s:0", 1))
    case = first.get_case("AS-2024-9")
    assert case.is_closed
    assert case.deadlines["summary_due"]["met_at"] > case.deadlines["summary_due"]["due_at"]
    for app in apps:
        app.close()


def test_an_inbox_entry_and_the_position_are_recorded_together_or_not_at_all(store_env):
    app = Workflow(env=store_env)
    app.recorder.insert_events([], tracking=Tracking("kafka:s:0", 1), inbox=["m-1"])

    with pytest.raises(IntegrityError):
        app.recorder.insert_events([], tracking=Tracking("kafka:s:1", 1), inbox=["m-2", "m-1"])

    assert app.recorder.select_inbox(["m-1", "m-2"]) == {"m-1"}  # type: ignore[attr-defined]
    assert app.recorder.max_tracking_id("kafka:s:1") is None
    app.close()


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
