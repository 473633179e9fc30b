"""``foodsafety.inspection.recorded``: a supervisory inspection (监督检查) and its result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from contracts import topics
from contracts.facts.base import FactModel, FactPart
from contracts.identifiers import EntityRef
from contracts.registry import FactType
from contracts.rules.inspection_result import InspectionResult, rules_in
from contracts.times import Timestamp

TYPE = "foodsafety.inspection.recorded"

__all__ = ["FACT_TYPES", "TYPE", "InspectionItem", "InspectionRecorded", "InspectionResult"]

Inspector = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class InspectionItem(FactPart):
    """One checklist item (检查项目), key (重点项) or general (一般项), and its finding."""

    code: str = Field(min_length=1, max_length=40,
                      description="item number in the checklist (检查项目序号), e.g. 1.3")
    key: bool = Field(description="true for a key item (重点项), false for a general item (一般项)")
    conforming: bool = Field(description="whether the business met this item (是否符合)")
    note: str | None = Field(default=None, max_length=1000,
                             description="what the inspectors found (问题描述)")


class InspectionRecorded(FactModel):
    """Inspectors recorded an inspection of a business and its result (监督检查结果记录)."""

    inspection_id: str = Field(min_length=1, max_length=100,
                               description="inspection record number (检查记录编号)")
    entity_id: EntityRef = Field(description="the inspected business, by its entity id")
    inspected_at: Timestamp = Field(description="when the inspection took place (检查时间)")
    inspectors: list[Inspector] = Field(
        min_length=2, description="at least two distinct inspectors (检查人员), e.g. by "
                                  "enforcement certificate number (执法证号)")
    items: list[InspectionItem] = Field(min_length=1,
                                        description="checklist items with distinct codes")
    result: InspectionResult = Field(
        description="result (检查结果: 符合 / 基本符合 / 不符合); must agree with the items under "
                    "the inspection result rule in force on the inspection date")
    rectify_by: Timestamp | None = Field(
        default=None, description="deadline for rectification (整改期限), after inspected_at")
    reinspection_of: str | None = Field(
        default=None, min_length=1, max_length=100,
        description="the inspection_id this one re-inspects (复查), if any")

    @field_validator("inspectors")
    @classmethod
    def _inspectors_are_distinct(cls, inspectors: list[str]) -> list[str]:
        if len(set(inspectors)) != len(inspectors):
            raise PydanticCustomError("inspector_repeated", "an inspector is listed twice; an "
                                      "inspection needs at least two distinct inspectors")
        return inspectors

    @field_validator("items")
    @classmethod
    def _item_codes_are_distinct(cls, items: list[InspectionItem]) -> list[InspectionItem]:
        codes = [item.code for item in items]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError("item_repeated", "a checklist item code is listed twice")
        return items

    @field_validator("result")
    @classmethod
    def _result_agrees_with_items(cls, result: InspectionResult,
                                  info: ValidationInfo) -> InspectionResult:
        items, inspected_at = info.data.get("items"), info.data.get("inspected_at")
        if items is None or not isinstance(inspected_at, datetime):
            return result
        try:
            rule_set = rules_in(info).in_force(inspected_at.date())
        except LookupError as exc:
            raise PydanticCustomError("no_rule_in_force", str(exc)) from None
        expected = rule_set.classify(items)
        if result is not expected:
            raise PydanticCustomError(
                "result_disagrees", "result '{result}' disagrees with the items: rule {rule} "
                "gives '{expected}'",
                {"result": result.value, "expected": expected.value, "rule": rule_set.id})
        return result

    @field_validator("rectify_by")
    @classmethod
    def _rectify_after_inspection(cls, rectify_by: datetime | None,
                                  info: ValidationInfo) -> datetime | None:
        inspected_at = info.data.get("inspected_at")
        if rectify_by is not None and isinstance(inspected_at, datetime) \
                and rectify_by <= inspected_at:
            raise PydanticCustomError("rectify_by_not_after_inspection",
                                      "rectify_by must be after inspected_at")
        return rectify_by

    @field_validator("reinspection_of")
    @classmethod
    def _reinspects_another(cls, reinspection_of: str | None,
                            info: ValidationInfo) -> str | None:
        if reinspection_of is not None and reinspection_of == info.data.get("inspection_id"):
            raise PydanticCustomError("reinspection_of_itself",
                                      "an inspection cannot re-inspect itself")
        return reinspection_of


def _key(fact: InspectionRecorded) -> str:
    return fact.entity_id


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=InspectionRecorded, topic=topics.SUPERVISION, key=_key),
)
