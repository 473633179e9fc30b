"""The workflow carries a fact's W3C trace into its case events and its log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from contracts import tracecontext
from contracts.cases import CaseEvent
from services.workflow.consumer import journal
from services.workflow.decisions import Decision, Outcome
from services.workflow.public_events import traceparent_of


def case_event(fact_id: str | None) -> CaseEvent:
    return CaseEvent(event_id="SD-1:2", case_id="SD-1", kind="SD", type="deadline.overdue",
                     version=2, occurred_at=datetime(2024, 5, 20, tzinfo=UTC), fact_id=fact_id)


def test_a_case_event_travels_in_the_trace_of_the_fact_that_caused_it():
    parsed = tracecontext.parse(traceparent_of(case_event("urn:lab#evt-1")))

    assert parsed is not None
    assert parsed[0] == tracecontext.trace_id("urn:lab#evt-1")


def test_a_timer_event_travels_in_the_trace_of_its_case():
    parsed = tracecontext.parse(traceparent_of(case_event(None)))

    assert parsed is not None
    assert parsed[0] == tracecontext.trace_id("case#SD-1")


def test_a_refusal_is_logged_under_the_trace_and_an_applied_message_only_at_debug(
        caplog: pytest.LogCaptureFixture):
    messages = [("urn:lab#evt-1", []), ("http#k-2", [])]
    decisions = [Decision(Outcome.APPLIED, "SD-1"),
                 Decision(Outcome.REFUSED, "SD-1", "transition_not_allowed", "no")]

    with caplog.at_level(logging.INFO, logger="fangxin.workflow.journey"):
        journal(messages, decisions)

    assert [(r.levelname, r.trace_id) for r in caplog.records] == [  # type: ignore[attr-defined]
        ("INFO", tracecontext.trace_id("http#k-2"))]
