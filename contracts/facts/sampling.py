"""``foodsafety.sampling.reported``: a lab sampling result (抽检结果)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from contracts import topics
from contracts.facts.base import FactModel, FactPart
from contracts.identifiers import EntityRef
from contracts.lots import LotCode
from contracts.registry import FactType
from contracts.times import Timestamp

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


class SampleItem(FactPart):
    """One tested analyte (检验项目) and whether it met its limit."""

    analyte: str = Field(min_length=1, max_length=200,
                         description="what was tested (检验项目), e.g. 腐霉利")
    value: Decimal | None = Field(default=None, allow_inf_nan=False,
                                  description="measured value (检验结果), if numeric")
    unit: str | None = Field(default=None, max_length=40, description="unit of value, e.g. mg/kg")
    limit: str | None = Field(default=None, max_length=100,
                              description="the limit applied (标准指标), e.g. ≤0.2")
    qualified: bool = Field(description="whether this item met its limit (单项判定)")


def verdict_for(items: Iterable[SampleItem]) -> Verdict:
    """Unqualified as soon as one item is unqualified (单项不合格即判定不合格)."""
    return Verdict.UNQUALIFIED if any(not i.qualified for i in items) else Verdict.QUALIFIED


class SamplingReported(FactModel):
    """A lab reported the result of a sample taken at a business (抽检结果)."""

    sample_id: str = Field(min_length=1, max_length=100,
                           description="sample number (抽样单编号), unique per sampling system")
    entity_id: EntityRef = Field(description="the sampled business (被抽样单位), by its entity id")
    lot_code: LotCode = Field(min_length=1, max_length=300,
                          description="lot or batch of the product (批号), e.g. a GS1 Digital Link")
    product: str = Field(min_length=1, max_length=200, description="product name (样品名称)")
    category: str = Field(min_length=1, max_length=100,
                          description="food category (食品大类), e.g. 蔬菜")
    program: Program = Field(description="the programme that took the sample")
    sampled_at: Timestamp = Field(description="when the sample was taken (抽样时间)")
    reported_at: Timestamp = Field(
        description="when the lab reported the result (报告时间), not before sampled_at")
    lab: str = Field(min_length=1, max_length=200, description="the testing lab (检验机构)")
    items: list[SampleItem] = Field(min_length=1, description="the tested items (检验项目)")
    verdict: Verdict = Field(description="overall conclusion (检验结论); must agree with items")

    @field_validator("reported_at")
    @classmethod
    def _reported_after_sampling(cls, reported_at: datetime, info: ValidationInfo) -> datetime:
        sampled_at = info.data.get("sampled_at")
        if isinstance(sampled_at, datetime) and reported_at < sampled_at:
            raise PydanticCustomError("reported_before_sampled",
                                      "reported_at is before sampled_at")
        return reported_at

    @field_validator("verdict")
    @classmethod
    def _verdict_agrees_with_items(cls, verdict: Verdict, info: ValidationInfo) -> Verdict:
        items = info.data.get("items")
        if items is not None and verdict is not (expected := verdict_for(items)):
            raise PydanticCustomError(
                "verdict_disagrees", "verdict '{verdict}' disagrees with the items (expected "
                "'{expected}')", {"verdict": verdict.value, "expected": expected.value})
        return verdict


def _key(fact: SamplingReported) -> str:
    return fact.entity_id


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=SamplingReported, topic=topics.SUPERVISION, key=_key),
)
