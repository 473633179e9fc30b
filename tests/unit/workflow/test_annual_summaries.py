"""Annual summaries (年度工作总结): one AS case per action per plan year, open from 1 January.

Given a workflow (in memory), when the opener runs at some moment, then these cases exist, with
these deadlines; a summary fact closes its case, on time or late.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from contracts.envelope import CloudEvent
from services.workflow.application import Message, Workflow
from services.workflow.decisions import CaseNotFoundError
from services.workflow.domain.calendar import SHANGHAI
from services.workflow.followers import annual_summaries_step
from services.workflow.translate import commands_for, message_id
from tests.unit.contracts.examples import example

OFFICE = "district-food-safety-office"
ACTIONS = range(1, 14)


@pytest.fixture
def workflow() -> Workflow:
    return Workflow(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def summary(workflow: Workflow, year: int, action: int, submitted_at: str) -> Message:
    """The summary fact of an action's year, submitted by the action's lead unit."""
    fact = CloudEvent.model_validate({
        "specversion": "1.0", "id": f"sum-{uuid4().hex[:8]}", "source": "urn:fangxin:test",
        "type": "foodsafety.summary.submitted", "time": submitted_at,
        "data": example("foodsafety.summary.submitted", year=year, action=action,
                        submitted_at=submitted_at,
                        unit=workflow.case_policy.router.plan.action(action).lead)})
    return message_id(fact), commands_for(fact)


def case_ids(workflow: Workflow, year: int) -> list[str]:
    found = []
    for action in ACTIONS:
        with contextlib.suppress(CaseNotFoundError):
            found.append(workflow.get_case(f"AS-{year}-{action}").case_id)
    return found


def test_in_a_plan_year_every_action_has_its_case_due_2_december(workflow):
    opened = workflow.open_annual_summaries(datetime(2023, 3, 1, tzinfo=UTC))

    assert sorted(opened) == sorted(f"AS-{y}-{a}" for y in (2022, 2023) for a in ACTIONS)
    case = workflow.get_case("AS-2023-5")
    deadline = case.deadlines["summary_due"]
    assert case.opened_at == datetime(2023, 1, 1, tzinfo=SHANGHAI)
    assert deadline["due_at"] == datetime(2023, 12, 2, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert deadline["status"] == "running"
    assert case.state == "awaiting"
    assert case.assignment["action"] == 5
    assert case.assignment["lead"]
    assert case_ids(workflow, 2024) == []


def test_a_year_begins_at_midnight_in_china_not_in_utc(workflow):
    before = workflow.open_annual_summaries(datetime(2023, 12, 31, 15, 59, tzinfo=UTC))
    after = workflow.open_annual_summaries(datetime(2023, 12, 31, 16, 0, tzinfo=UTC))

    assert not any(c.startswith("AS-2024-") for c in before)
    assert sorted(after) == sorted(f"AS-2024-{a}" for a in ACTIONS)


def test_before_the_plan_no_case_and_after_it_only_the_plan_years(workflow):
    assert workflow.open_annual_summaries(datetime(2021, 12, 1, tzinfo=UTC)) == []

    opened = workflow.open_annual_summaries(datetime(2026, 11, 29, tzinfo=UTC))

    assert len(opened) == 3 * 13
    assert {c.split("-")[1] for c in opened} == {"2022", "2023", "2024"}


def test_opening_again_is_a_no_op(workflow):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    workflow.open_annual_summaries(now)
    head = workflow.recorder.max_notification_id()

    assert workflow.open_annual_summaries(now) == []
    assert annual_summaries_step(workflow, lambda: now)() == 0
    assert workflow.recorder.max_notification_id() == head


def test_a_summary_that_never_came_goes_overdue_and_is_escalated(workflow):
    now = datetime(2026, 11, 29, tzinfo=UTC)
    workflow.open_annual_summaries(now)

    warned = workflow.fire_timer("AS-2024-13", "summary_due", "warn", now)
    overdue = workflow.fire_timer("AS-2024-13", "summary_due", "overdue", now)
    again = workflow.fire_timer("AS-2024-13", "summary_due", "overdue", now)

    deadline = workflow.get_case("AS-2024-13").deadlines["summary_due"]
    assert (warned, overdue, again) == (True, True, False)
    assert deadline["overdue"] is True
    assert deadline["escalated_to"] == OFFICE


def test_a_late_summary_closes_the_open_case_late(workflow):
    workflow.open_annual_summaries(datetime(2024, 12, 10, tzinfo=UTC))
    workflow.fire_timer("AS-2024-9", "summary_due", "overdue", datetime(2024, 12, 10, tzinfo=UTC))

    decisions = workflow.handle([summary(workflow, 2024, 9, "2024-12-20T10:00:00+08:00")],
                                Tracking("kafka:s:0", 1))

    case = workflow.get_case("AS-2024-9")
    deadline = case.deadlines["summary_due"]
    assert decisions[0].outcome.value == "applied"
    assert case.is_closed
    assert deadline["met_at"] > deadline["due_at"]
    assert deadline["overdue"] is True
    assert [type(e).__name__ for e in workflow.case_history("AS-2024-9")] == [
        "Opened", "DeadlineOverdue", "Advanced"]


def test_a_summary_before_the_opener_ran_opens_the_case_and_the_opener_leaves_it(workflow):
    workflow.handle([summary(workflow, 2023, 9, "2023-11-28T16:00:00+08:00")],
                    Tracking("kafka:s:0", 1))

    opened = workflow.open_annual_summaries(datetime(2023, 12, 1, tzinfo=UTC))

    case = workflow.get_case("AS-2023-9")
    assert "AS-2023-9" not in opened
    assert len(opened) == 2 * 13 - 1
    assert case.is_closed
    assert case.deadlines["summary_due"]["met_at"] <= case.deadlines["summary_due"]["due_at"]
    assert case.version == 2


def test_several_polls_a_day_cost_no_writes_once_the_year_is_open(workflow):
    day = datetime(2024, 6, 1, tzinfo=UTC)
    step = annual_summaries_step(workflow, lambda: day)
    first = step()
    head = workflow.recorder.max_notification_id()

    later = [annual_summaries_step(workflow, lambda h=h: day + timedelta(hours=h))()
             for h in range(1, 5)]

    assert first == 3 * 13
    assert later == [0, 0, 0, 0]
    assert workflow.recorder.max_notification_id() == head
