"""Integration events about cases, published on foodsafety.workflow.events.v1.

These are the public form of the workflow's domain events: translated at the edge, versioned,
and free of personal data.
"""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CaseEvent(BaseModel):
    """Something happened to a case (opened, assigned, deadline set, closed, ...)."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(description="'<case_id>:<version>', unique and stable across re-sends")
    case_id: str = Field(description="deterministic case id, e.g. SD-<sample_id>")
    kind: str = Field(description="case kind code: SD, RV, RC, IV, CP, RP, AS, KA")
    type: str = Field(description="what happened, e.g. case.opened")
    version: int = Field(ge=1, description="the case's version after this event")
    occurred_at: AwareDatetime
    fact_id: str | None = Field(default=None, description="the CloudEvent id that caused it")
    data: dict[str, Any] = Field(default_factory=dict)
