"""``foodsafety.summary.submitted``: a unit's annual work summary of an action (年度工作总结)."""

from __future__ import annotations

from pydantic import Field

from contracts import topics
from contracts.facts.base import FactModel
from contracts.registry import FactType
from contracts.times import Timestamp
from contracts.units import UnitId

TYPE = "foodsafety.summary.submitted"


class SummarySubmitted(FactModel):
    """A unit submitted its annual work summary of one action of the work plan (年度工作总结)."""

    action: int = Field(ge=1, le=13, description="the work plan's action (主要任务) 1-13")
    year: int = Field(ge=2022, le=2100, description="the year summarised")
    unit: UnitId = Field(description="the submitting unit, e.g. market-regulation or "
                                     "township:北郊乡")
    submitted_at: Timestamp = Field(description="when it was submitted (报送时间); due before "
                                                "2 December of the year")
    document_ref: str = Field(min_length=1, max_length=500,
                              description="reference to the summary document (文号 or link)")


def _key(fact: SummarySubmitted) -> str:
    return str(fact.action)


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=SummarySubmitted, topic=topics.SUPERVISION, key=_key),
)
