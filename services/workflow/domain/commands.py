"""Commands the workflow acts on, in domain terms (translated from contracts at the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.workflow.domain.kinds import CaseKind


@dataclass(frozen=True)
class OpenCase:
    """A fact calls for a case (立案受理): open it unless it is open already."""

    message_id: str
    case_id: str
    kind: CaseKind
    opened_at: datetime
    fact_type: str  # routing family: sampling, inspection, complaint, kitchen_alert, ...
    entity_id: str | None
    category: str | None = None
    program: str | None = None
    channel: str | None = None
    township: str | None = None
    imported: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # public: goes into case events
    private: dict[str, Any] = field(default_factory=dict)  # personal data: store only
    tracks: dict[str, str] = field(default_factory=dict)  # initial states that differ
    skip: frozenset[str] = frozenset()  # opening deadlines that do not apply
    fixed: dict[str, datetime] = field(default_factory=dict)  # deadlines set by the fact
    action: int | None = None  # the work plan's action when the fact names it (summaries)


@dataclass(frozen=True)
class AdvanceCase:
    """A unit (or another system) acts on a case."""

    message_id: str
    case_id: str
    command: str
    at: datetime
    by: str
    reason: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    deadline: str | None = None
    approval_ref: str | None = None


@dataclass(frozen=True)
class RegisterBusiness:
    """A business (经营主体) registered: remember its kind and township for routing."""

    message_id: str
    entity_id: str
    name: str
    kind: str
    township: str
    risk_grade: str | None
    at: datetime


@dataclass(frozen=True)
class CountKitchenAlert:
    """A 明厨亮灶 camera alert: count it; enough in one day opens a KA case."""

    message_id: str
    entity_id: str
    alert: str
    observed_at: datetime


@dataclass(frozen=True)
class NoAction:
    """A fact that opens and changes no case; only its position counts."""

    message_id: str


WorkflowCommand = OpenCase | AdvanceCase | RegisterBusiness | CountKitchenAlert | NoAction
