"""The result of a supervisory inspection (监督检查结果) from its checklist items.

Any nonconforming key item (重点项) → nonconforming (不符合). Otherwise the nonconforming
general items (一般项) decide: none → conforming (符合); up to the threshold → basically
conforming (基本符合); more → nonconforming. The threshold is rule data
(``inspection_result.v1.json``), chosen by the local date of the inspection. A validation run
may use other rules with
``context={"inspection_result_rules": <InspectionResultRules>}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final, Literal, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from contracts.rules import Confidence

DEFAULT_PATH: Final = Path(__file__).parent / "inspection_result.v1.json"
CONTEXT_KEY: Final = "inspection_result_rules"


class InspectionResult(StrEnum):
    """The result category of an inspection (符合 / 基本符合 / 不符合)."""

    CONFORMING = "conforming"
    BASICALLY_CONFORMING = "basically_conforming"
    NONCONFORMING = "nonconforming"


class ChecklistItem(Protocol):
    """What the rule reads of a checklist item."""

    @property
    def key(self) -> bool: ...

    @property
    def conforming(self) -> bool: ...


class ResultRuleSet(BaseModel):
    """The thresholds in force from one date on, with where they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    effective_from: date
    general_nonconforming_max_for_basically_conforming: int = Field(ge=0)
    source: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""

    def classify(self, items: Iterable[ChecklistItem]) -> InspectionResult:
        """The result these items call for under this rule set."""
        listed = list(items)
        if any(item.key and not item.conforming for item in listed):
            return InspectionResult.NONCONFORMING
        general = sum(1 for item in listed if not item.key and not item.conforming)
        if general == 0:
            return InspectionResult.CONFORMING
        if general <= self.general_nonconforming_max_for_basically_conforming:
            return InspectionResult.BASICALLY_CONFORMING
        return InspectionResult.NONCONFORMING


class InspectionResultRules(BaseModel):
    """Every rule set of the inspection result rule, by the date it takes effect."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["inspection_result"]
    format_version: Literal[1]
    description: str = ""
    sets: tuple[ResultRuleSet, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_are_distinct(self) -> Self:
        dates = [rule_set.effective_from for rule_set in self.sets]
        if len(dates) != len(set(dates)):
            raise ValueError("two rule sets take effect on the same date")
        return self

    def in_force(self, on: date) -> ResultRuleSet:
        """The rule set in force on ``on``; LookupError before the first one."""
        candidates = [s for s in self.sets if s.effective_from <= on]
        if not candidates:
            raise LookupError(f"no inspection result rule is in force on {on.isoformat()}")
        return max(candidates, key=lambda s: s.effective_from)

    def classify(self, items: Iterable[ChecklistItem], on: date) -> InspectionResult:
        """The result the items call for on the date of the inspection."""
        return self.in_force(on).classify(items)


def load_inspection_result_rules(path: Path | str | None = None) -> InspectionResultRules:
    """The rule sets in ``path`` (default: the file shipped with the contracts)."""
    if path is None:
        return default_inspection_result_rules()
    return InspectionResultRules.model_validate(
        json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def default_inspection_result_rules() -> InspectionResultRules:
    """The rule sets shipped with the contracts, read once."""
    return InspectionResultRules.model_validate(
        json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))


def rules_in(info: ValidationInfo | None) -> InspectionResultRules:
    """The rules a validation run uses: ``context["inspection_result_rules"]`` or the default."""
    context = info.context if info is not None else None
    chosen = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
    return chosen if isinstance(chosen, InspectionResultRules) else \
        default_inspection_result_rules()
