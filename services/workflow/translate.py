"""The anti-corruption layer: public contracts in, domain commands out; domain events out as
public case events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.facts import sampling
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import NoAction, OpenSamplingDisposal, WorkflowCommand
from services.workflow.errors import UnusableFactError


def message_id(fact: CloudEvent) -> str:
    """The identity of a fact across re-sends: its CloudEvent ``(source, id)``."""
    return f"{fact.source}#{fact.id}"


def read_fact(raw: bytes | None) -> CloudEvent:
    """A canonical fact from its Kafka value; intake validated it, so failure is unusual."""
    try:
        return CloudEvent.model_validate_json(raw or b"")
    except ValidationError as exc:
        raise UnusableFactError(f"not a CloudEvent: {exc.error_count()} errors") from exc


def command_for(fact: CloudEvent) -> WorkflowCommand:
    """What the workflow must do about a canonical fact."""
    mid = message_id(fact)
    if fact.type != sampling.TYPE:
        return NoAction(message_id=mid)
    try:
        data = sampling.SamplingReported.model_validate(fact.data)
    except ValidationError as exc:
        raise UnusableFactError(f"{fact.type} {mid}: {exc.error_count()} invalid fields") from exc
    if data.verdict is not sampling.Verdict.UNQUALIFIED:
        return NoAction(message_id=mid)
    return OpenSamplingDisposal(
        message_id=mid,
        sample_id=data.sample_id,
        entity_id=data.entity_id,
        lot_code=data.lot_code,
        product=data.product,
        program=data.program.value,
        sampled_at=data.sampled_at,
        reported_at=data.reported_at,
    )


_EVENT_TYPES = {Case.Opened: "case.opened"}  # type: ignore[attr-defined]


def case_event(domain_event: Any, case: Case | None = None) -> CaseEvent | None:
    """The public form of a case's domain event, or None for internal bookkeeping events."""
    event_type = _EVENT_TYPES.get(type(domain_event))
    if event_type is None:
        return None
    state = dict(vars(domain_event))
    case_id: str = state.pop("case_id", None) or (case.case_id if case else "")
    occurred: datetime = state.pop("timestamp")
    data = {k: _jsonable(v) for k, v in state.items()
            if k not in {"originator_id", "originator_version", "originator_topic"}}
    return CaseEvent(
        event_id=f"{case_id}:{domain_event.originator_version}",
        case_id=case_id,
        kind=case_id.split("-", 1)[0],
        type=event_type,
        version=domain_event.originator_version,
        occurred_at=occurred,
        fact_id=state.get("fact_id"),
        data=data,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
