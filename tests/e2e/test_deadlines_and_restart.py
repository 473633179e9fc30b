"""Facts reported late are late on arrival; a restarted workflow loses and repeats no timer.

The annual summaries of the plan years (2022-2024) are open from the start of each year, so the
ones whose summary never came are overdue and escalated; a restart opens none of them again.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Pipeline
from tests.e2e.test_skeleton_path import eventually, publish
from tests.fixtures.producers import TEST_MARKET
from tests.unit.contracts.examples import example

pytestmark = pytest.mark.e2e
OFFICE = "district-food-safety-office"


def event(fact_type: str, event_id: str, **changes: Any) -> bytes:
    return json.dumps({"specversion": "1.0", "id": event_id, "source": TEST_MARKET,
                       "type": fact_type, "time": datetime.now(UTC).isoformat(),
                       "data": example(fact_type, **changes)}, ensure_ascii=False).encode()


def case(pipeline: Pipeline, case_id: str) -> dict[str, Any] | None:
    status, body = pipeline.workflow.get_json(f"/cases/{case_id}", pipeline.office_token)
    return body if status == 200 else None  # type: ignore[return-value]


def deadline_fired(pipeline: Pipeline, case_id: str, name: str, flag: str) -> dict | None:
    found = case(pipeline, case_id)
    return found if found and found["deadlines"][name][flag] else None


def history_types(pipeline: Pipeline, case_id: str) -> list[str]:
    found = case(pipeline, case_id)
    assert found is not None
    return [f"{h['type']}:{h['deadline']}" for h in found["history"]]


def test_late_facts_escalate_on_arrival_and_a_restart_repeats_nothing(pipeline: Pipeline):
    now = datetime.now(UTC)
    late_complaint = event("foodsafety.complaint.received", "late-1", complaint_id="LATE-1",
                           received_at=(now - timedelta(days=20)).isoformat())
    # risk control runs 24 h; its warning (at 80 %) comes 20 s from now
    soon = now - timedelta(hours=24 * 0.8) + timedelta(seconds=20)
    fresh_sample = event("foodsafety.sampling.reported", "soon-1", sample_id="SOON-1",
                         sampled_at=(soon - timedelta(days=3)).isoformat(),
                         reported_at=soon.isoformat())

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, late_complaint))
    escalated = eventually(lambda: deadline_fired(pipeline, "CP-LATE-1", "acceptance",
                                                  "overdue"), what="complaint escalated")
    assert escalated["deadlines"]["acceptance"]["escalated_to"] == OFFICE
    assert escalated["deadlines"]["acceptance"]["warned"] is True

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, fresh_sample))
    opened = eventually(lambda: case(pipeline, "SD-SOON-1"), what="sample case opened")
    assert opened["deadlines"]["risk_control"]["warned"] is False
    before = history_types(pipeline, "CP-LATE-1")
    summary = eventually(lambda: deadline_fired(pipeline, "AS-2024-13", "summary_due",
                                                "overdue"), what="a summary that never came")
    assert summary["deadlines"]["summary_due"]["escalated_to"] == OFFICE
    summary_before = history_types(pipeline, "AS-2024-13")
    pipeline.workflow.stop()  # the warning falls due while the workflow is down

    pipeline.workflow.start().wait_ready(90)

    eventually(lambda: deadline_fired(pipeline, "SD-SOON-1", "risk_control", "warned"),
               timeout=90, what="the timer that fell due during the restart")
    assert history_types(pipeline, "CP-LATE-1") == before
    assert history_types(pipeline, "AS-2024-13") == summary_before  # opened and fired once
    assert [t.split(":")[0] for t in summary_before].count("case.opened") == 1
    assert before.count("deadline.overdue:acceptance") == 1
    assert history_types(pipeline, "SD-SOON-1").count("deadline.warned:risk_control") == 1
