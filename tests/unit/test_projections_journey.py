"""The projections log a fact's journey under its W3C trace id (at DEBUG)."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts import tracecontext
from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.consumer import trace_of_event


def test_a_fact_and_the_case_events_it_caused_share_one_trace():
    fact = CloudEvent.model_validate({
        "specversion": "1.0", "id": "evt-1", "source": "urn:lab", "type": "x.y",
        "time": "2024-05-20T09:00:00+08:00", "data": {}})
    opened = CaseEvent(event_id="SD-1:1", case_id="SD-1", kind="SD", type="case.opened",
                       version=1, occurred_at=datetime(2024, 5, 20, tzinfo=UTC),
                       fact_id="urn:lab#evt-1")
    timer = opened.model_copy(update={"fact_id": None})

    assert trace_of_event(fact) == trace_of_event(opened) == tracecontext.trace_id(
        "urn:lab#evt-1")
    assert trace_of_event(timer) is None  # a timer, not a fact, caused it
