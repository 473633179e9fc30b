"""``foodsafety.sampling.reported``: a lab sampling result (抽检结果)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts import topics
from contracts.registry import FactType

TYPE = "foodsafety.sampling.reported"


class Program(StrEnum):
    """Which sampling programme took the sample (监督抽检 / 风险监测 / 评价性抽检)."""

    SUPERVISORY = "supervisory"
    RISK_MONITORING = "risk_monitoring"
    EVALUATION = "evaluation"


class Verdict(StrEnum):
    """The lab's conclusion on the sample (合格 / 不合格)."""

    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"


class SampleItem(BaseModel):
    """One tested analyte (检验项目)."""

    model_config = ConfigDict(frozen=True)

    analyte: str = Field(min_length=1, max_length=200)
    value: Decimal | None = None
    unit: str | None = Field(default=None, max_length=40)
    limit: str | None = Field(default=None, max_length=100)
    qualified: bool


class SamplingReported(BaseModel):
    """A lab reported the result of a sample taken at a business."""

    model_config = ConfigDict(frozen=True)

    sample_id: str = Field(min_length=1, max_length=100)
    entity_id: str = Field(min_length=1, max_length=100)
    lot_code: str = Field(min_length=1, max_length=300)
    product: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)
    program: Program
    sampled_at: AwareDatetime
    reported_at: AwareDatetime
    lab: str = Field(min_length=1, max_length=200)
    items: list[SampleItem] = Field(min_length=1)
    verdict: Verdict

    @model_validator(mode="after")
    def verdict_agrees_with_items(self) -> Self:
        failed = any(not item.qualified for item in self.items)
        expected = Verdict.UNQUALIFIED if failed else Verdict.QUALIFIED
        if self.verdict != expected:
            msg = f"verdict {self.verdict.value!r} disagrees with the items (expected {expected})"
            raise ValueError(msg)
        return self


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=SamplingReported, topic=topics.SUPERVISION,
             key=lambda fact: fact.entity_id),
)
