"""Workflow behaviour on the real stores: an SQLite file and PostgreSQL."""

import asyncio
from collections.abc import Sequence

import pytest
from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex, CaseQuery
from services.workflow.followers import index_step
from services.workflow.leader import FileLeaderLock
from services.workflow.relay import POSITION_NAME, OutboxRelay
from services.workflow.translate import commands_for, message_id
from tests.suites.workflow import NOW, WorkflowSuite, fact
from tests.unit.contracts.examples import CATERING_USCC

pytestmark = pytest.mark.integration


class TestWorkflowOnStores(WorkflowSuite):
    @pytest.fixture
    def env(self, store_env: dict[str, str]) -> dict[str, str]:
        return store_env


def test_the_case_index_rewrites_the_rows_and_timers_of_touched_cases(store_env):
    app = Workflow(env=store_env)
    index = CaseIndex(app.recorder.datastore, app.recorder,  # type: ignore[attr-defined]
                      postgres="POSTGRES_DBNAME" in store_env)
    step = index_step(app, index)
    facts = [fact("foodsafety.complaint.received", complaint_id="IDX-1"),
             fact("foodsafety.sampling.reported", sample_id="IDX-2")]
    app.handle([(message_id(f), commands_for(f)) for f in facts], Tracking("kafka:s:0", 1))

    indexed = step()
    due_before = set(index.due_timers(NOW))
    fired = [app.fire_timer("CP-IDX-1", "acceptance", kind, NOW) for kind in ("warn", "overdue")]
    reindexed = step()

    rows = {r["case_id"]: r for r in index.search(CaseQuery(limit=10))}
    assert indexed >= 2
    assert fired == [True, True]
    assert reindexed == 2  # the two timer events
    assert step() == 0
    assert set(rows) == {"CP-IDX-1", "SD-IDX-2"}
    assert rows["CP-IDX-1"]["overdue"] == 1
    assert rows["SD-IDX-2"]["overdue"] == 0
    assert {("CP-IDX-1", "acceptance", "warn"), ("CP-IDX-1", "acceptance", "overdue")} <= \
        due_before
    assert not any(t[0] == "CP-IDX-1" and t[1] == "acceptance" for t in index.due_timers(NOW))
    assert any(t[0] == "SD-IDX-2" for t in index.due_timers(NOW))
    assert index.position() == app.recorder.max_notification_id()
    by_lead = index.counts_by_lead()
    leads = {rows["CP-IDX-1"]["lead"], rows["SD-IDX-2"]["lead"]}
    assert set(by_lead) == {str(lead or "") for lead in leads}
    assert sum(o for o, _ in by_lead.values()) == 2  # both open
    assert by_lead[str(rows["CP-IDX-1"]["lead"] or "")][1] >= 1  # the complaint is overdue
    assert index.counts() == {"open": 2, "overdue": 1}
    assert index.due_count(NOW) == len(index.due_timers(NOW)) > 0  # the SD's, not yet fired
    app.close()


def test_the_relay_publishes_case_events_in_order_and_records_its_position(store_env, tmp_path):
    app = Workflow(env=store_env)
    published: list[CaseEvent] = []

    async def publish(events: Sequence[CaseEvent]) -> None:
        published.extend(events)

    relay = OutboxRelay(app, publish, FileLeaderLock(tmp_path / "lock"), batch_size=3)
    facts = [fact("foodsafety.entity.registered", entity_id=CATERING_USCC, kind="catering",
                  township="北郊乡"),
             fact("foodsafety.complaint.received", complaint_id="RLY-1"),
             fact("foodsafety.sampling.reported", sample_id="RLY-2")]
    app.handle([(message_id(f), commands_for(f)) for f in facts], Tracking("kafka:s:0", 1))
    app.fire_timer("CP-RLY-1", "acceptance", "warn", NOW)

    while asyncio.run(relay.relay_once()):
        pass

    assert [(e.case_id, e.type) for e in published] == [
        ("CP-RLY-1", "case.opened"), ("SD-RLY-2", "case.opened"),
        ("CP-RLY-1", "deadline.warned")]
    assert relay.position == app.recorder.max_notification_id()
    assert app.recorder.max_tracking_id(POSITION_NAME) == relay.position
    app.close()


def test_a_relay_that_lost_the_lock_reports_no_lag_of_its_own(store_env, tmp_path):
    """Found by the full fault run: the relay lost its lock to another instance (a database
    crash ended its session) while behind, and its lag gauge kept its last figure for ever:
    the lag summed over instances stayed at 1, and `OutboxRelayBehind` would have fired."""
    app = Workflow(env=store_env)

    async def publish(events: Sequence[CaseEvent]) -> None:
        pass

    lags: dict[str, list[int]] = {"first": [], "second": []}
    caught_up = asyncio.Event()

    def first_progress(position: int, head: int) -> None:
        lags["first"].append(head - position)
        if head == position:
            caught_up.set()

    first = OutboxRelay(app, publish, FileLeaderLock(tmp_path / "lock"), batch_size=1,
                        on_progress=first_progress)
    second = OutboxRelay(app, publish, FileLeaderLock(tmp_path / "lock"), batch_size=1,
                         on_progress=lambda pos, head: lags["second"].append(head - pos))
    facts = [fact("foodsafety.complaint.received", complaint_id=f"LAG-{n}") for n in range(3)]
    app.handle([(message_id(f), commands_for(f)) for f in facts], Tracking("kafka:s:0", 1))
    assert first.lock.acquire()
    asyncio.run(first.relay_once())
    assert lags["first"][-1] > 0  # behind when it loses the lock
    first.lock.release()
    assert second.lock.acquire()

    async def stand_by() -> None:  # the first instance's loop, until it has reported once
        task = asyncio.create_task(first.run())
        async with asyncio.timeout(10):
            await caught_up.wait()
        first.stop()
        await task

    asyncio.run(stand_by())
    while asyncio.run(second.relay_once()):
        pass
    assert lags["first"][-1] == 0
    assert lags["second"][-1] == 0
    app.close()
