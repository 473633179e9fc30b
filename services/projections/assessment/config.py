"""The assessment's configurable data: targets and frequencies, appraisal weights.

Both files ship in this package (``targets.json``, ``weights.json``); every number carries its
source. They are read at query time, so changing them needs no rebuild of the read model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.workflow.domain.routing import Router, WorkPlan
from services.workflow.domain.rulesets import RuleBook
from services.workflow.rules.rulebook_loader import load_default_rulebook
from services.workflow.rules.workplan_loader import load_default_router

PACKAGE: Final = "services.projections.assessment"
COMPONENTS: Final = ("cases_on_time", "no_overdue", "complaints_on_time", "disposals_on_time",
                     "canteen_coverage", "inspection_coverage", "summaries_on_time")


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CanteenCoverageTarget(_Data):
    entity_kind: str = "school_canteen"
    target: float = Field(ge=0, le=1, description="the line to reach (plan: 90 %)")
    aim: float = Field(ge=0, le=1, description="what the plan strives for (100 %)")
    source: str
    confidence: str
    note: str = ""


class GradeFrequency(_Data):
    min: int = Field(ge=0, description="inspections per year at least")
    max: int | None = Field(default=None, ge=0, description="at most (informative)")


class InspectionFrequencies(_Data):
    source: str
    confidence: str
    note: str = ""
    count_reinspections: bool = False
    grades: dict[str, GradeFrequency]


class NamedDeadline(_Data):
    case_kind: str
    deadline: str
    source: str
    confidence: str


class Targets(_Data):
    """``targets.json``: the coverage line, the frequencies by risk grade, deadline names."""

    format: str = Field(pattern=r"^fangxin\.assessment-targets/1$")
    id: str
    version: int = Field(ge=1)
    timezone: str = "Asia/Shanghai"
    canteen_sampling_coverage: CanteenCoverageTarget
    inspection_frequencies: InspectionFrequencies
    complaint_decision_deadline: NamedDeadline
    annual_summary: NamedDeadline

    @model_validator(mode="after")
    def _aim_not_below_target(self) -> Targets:
        coverage = self.canteen_sampling_coverage
        if coverage.aim < coverage.target:
            raise ValueError("canteen coverage aim is below its target")
        return self


class Component(_Data):
    weight: float = Field(ge=0)
    label_zh: str
    source: str
    explanation: str


class Weights(_Data):
    """``weights.json``: the weight of each rate in the composite appraisal score."""

    format: str = Field(pattern=r"^fangxin\.assessment-weights/1$")
    id: str
    version: int = Field(ge=1)
    policy: str
    method: str
    components: dict[str, Component]

    @model_validator(mode="after")
    def _known_and_positive(self) -> Weights:
        unknown = sorted(set(self.components) - set(COMPONENTS))
        if unknown:
            raise ValueError(f"unknown components {unknown}; known: {list(COMPONENTS)}")
        if sum(c.weight for c in self.components.values()) <= 0:
            raise ValueError("the weights sum to zero")
        return self

    def weight(self, name: str) -> float:
        component = self.components.get(name)
        return component.weight if component else 0.0


def _packaged(name: str) -> Any:
    return json.loads(files(PACKAGE).joinpath(name).read_text(encoding="utf-8"))


def load_targets(path: Path | str | None = None) -> Targets:
    """``targets.json`` from ``path``, or the packaged one."""
    raw = _packaged("targets.json") if path is None else json.loads(
        Path(path).read_text(encoding="utf-8"))
    return Targets.model_validate(raw)


def load_weights(path: Path | str | None = None) -> Weights:
    """``weights.json`` from ``path``, or the packaged one."""
    raw = _packaged("weights.json") if path is None else json.loads(
        Path(path).read_text(encoding="utf-8"))
    return Weights.model_validate(raw)


@dataclass(frozen=True)
class AssessmentConfig:
    """Everything the figures depend on besides the rows: all data, all replaceable."""

    targets: Targets = field(default_factory=load_targets)
    weights: Weights = field(default_factory=load_weights)
    router: Router = field(default_factory=load_default_router)
    rulebook: RuleBook = field(default_factory=load_default_rulebook)

    @property
    def plan(self) -> WorkPlan:
        return self.router.plan


@cache
def default_config() -> AssessmentConfig:
    """The packaged targets and weights with the workflow's packaged plan, routing and rules."""
    return AssessmentConfig()
