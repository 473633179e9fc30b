"""Case domain events in their public form (contracts.cases.CaseEvent), without personal data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts import tracecontext
from contracts.cases import CaseEvent
from services.workflow.domain.cases import Case

_TYPES = {
    Case.Opened: "case.opened",  # type: ignore[attr-defined]
    Case.Advanced: "case.advanced",  # type: ignore[attr-defined]
    Case.DeadlineWarned: "deadline.warned",  # type: ignore[attr-defined]
    Case.DeadlineOverdue: "deadline.overdue",  # type: ignore[attr-defined]
    Case.DeadlineExtended: "deadline.extended",  # type: ignore[attr-defined]
    Case.ClockPaused: "clock.paused",  # type: ignore[attr-defined]
    Case.ClockResumed: "clock.resumed",  # type: ignore[attr-defined]
    Case.DeadlineRecomputed: "deadline.recomputed",  # type: ignore[attr-defined]
}
_PRIVATE = {"private", "originator_id", "originator_version", "timestamp", "originator_topic"}


def is_case_event(domain_event: Any) -> bool:
    return type(domain_event) in _TYPES


def public_event(domain_event: Any, case_id: str) -> CaseEvent | None:
    """The integration event of a case's domain event; None for other aggregates' events."""
    event_type = _TYPES.get(type(domain_event))
    if event_type is None:
        return None
    state = {k: v for k, v in vars(domain_event).items() if k not in _PRIVATE}
    data: dict[str, Any] = {k: _jsonable(v) for k, v in state.items()}
    if event_type == "case.opened":
        data["state"] = "+".join(state["tracks"].values())
        occurred = state["opened_at"]
    else:
        occurred = state.get("at") or domain_event.timestamp
    if event_type == "case.advanced":
        data["state"] = "closed" if state["closes"] else "+".join(state["tracks"].values())
        if state["closes"]:
            event_type = "case.closed"
    data["recorded_at"] = domain_event.timestamp.isoformat()
    return CaseEvent(
        event_id=f"{case_id}:{domain_event.originator_version}", case_id=case_id,
        kind=case_id.split("-", 1)[0], type=event_type,
        version=domain_event.originator_version, occurred_at=occurred,
        fact_id=state.get("fact_id"), data=data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def trace_id_of(event: CaseEvent) -> str:
    """The W3C trace id of a case event: the fact that caused it (contracts/tracecontext.py);
    an event no fact caused (a timer) joins the trace of its case."""
    return tracecontext.trace_id(event.fact_id or f"case#{event.case_id}")


def traceparent_of(event: CaseEvent) -> str:
    """The ``traceparent`` header of a case event the relay publishes."""
    return tracecontext.traceparent(trace_id_of(event),
                                    tracecontext.span_id("workflow", event.event_id))
