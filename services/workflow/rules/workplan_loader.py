"""Loads the packaged work plan (工作方案) and routing rules (分派规则) shipped in this package."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from services.workflow.domain.routing import Router, WorkPlan, parse_routing, parse_workplan

PACKAGE = "services.workflow.rules"
WORKPLAN_FILE = "workplan.json"
ROUTING_FILE = "routing.json"


def read_packaged(name: str) -> str:
    """The text of a data file shipped in ``services.workflow.rules``."""
    return files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


@cache
def load_default_plan() -> WorkPlan:
    """The Longting work plan, 龙政办〔2022〕11号, read and validated once."""
    return parse_workplan(read_packaged(WORKPLAN_FILE))


@cache
def load_default_router() -> Router:
    """The router of the packaged routing rules over the packaged work plan, built once."""
    return parse_routing(read_packaged(ROUTING_FILE), load_default_plan())
