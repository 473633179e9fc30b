"""The work plan (工作方案): its responsible units (责任单位) and its 13 actions (主要任务)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.workflow.domain.jsondata import (
    as_list,
    as_object,
    as_strings,
    expect,
    iso_date,
    parse_json,
    text_field,
)

FORMAT = "fangxin.workplan/1"
DIVISION_KINDS = frozenset({"subdistrict", "township"})  # 街道 (the plan's 办事处), 乡
UNIT_KINDS = DIVISION_KINDS | {"department", "collective"}
TOWNSHIP_PREFIX = "township:"
ACTION_NUMBERS = range(1, 14)


class WorkPlanError(ValueError):
    """The work plan data (工作方案) is not valid."""


@dataclass(frozen=True)
class Unit:
    """A responsible unit (责任单位): a department, a collective, or a 乡 / 街道."""

    id: str
    name: str
    kind: str

    @property
    def is_division(self) -> bool:
        """Whether it is a 乡 or a 街道 (办事处)."""
        return self.kind in DIVISION_KINDS


@dataclass(frozen=True)
class Action:
    """One action (主要任务): its lead (牵头单位) and co-responsible units in the plan's order."""

    number: int
    title_zh: str
    title_en: str
    lead: str
    co_units: tuple[str, ...]


@dataclass(frozen=True)
class WorkPlan:
    """The work plan (工作方案): who answers for which action."""

    id: str
    number: str
    date: date
    period: tuple[int, int]
    units: tuple[Unit, ...]
    actions: tuple[Action, ...]

    def action(self, number: int) -> Action:
        """The action numbered ``number`` (1-13)."""
        for action in self.actions:
            if action.number == number:
                return action
        raise LookupError(f"the work plan has no action {number!r}")

    def unit(self, unit_id: str) -> Unit:
        """The unit with the id ``unit_id``."""
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise LookupError(f"the work plan names no unit {unit_id!r}")

    def units_of(self, action: int) -> tuple[Unit, ...]:
        """Every unit of an action: the lead first, then the co-responsible units."""
        found = self.action(action)
        return tuple(self.unit(unit_id) for unit_id in (found.lead, *found.co_units))

    def division(self, name: str) -> Unit:
        """The 乡 / 街道 unit with the canonical name ``name`` (e.g. 北郊乡)."""
        for unit in self.units:
            if unit.is_division and unit.name == name:
                return unit
        raise LookupError(f"the work plan has no 乡 / 街道 named {name!r}")


def parse_workplan(text: str) -> WorkPlan:
    """The work plan from its JSON text, validated."""
    err = WorkPlanError
    doc = as_object(parse_json(text, err), "work plan", err, {"format", "plan", "units",
                                                               "actions"})
    expect(doc.get("format") == FORMAT, err, f"format must be {FORMAT!r}")
    plan = as_object(doc.get("plan"), "plan", err, {"id", "number", "issuer", "title", "date",
                                                   "period", "implements", "notes"})
    period = as_object(plan.get("period"), "plan.period", err, {"from", "to"})
    start, end = period.get("from"), period.get("to")
    if type(start) is not int or type(end) is not int or start > end:
        raise err("plan.period needs whole years with from <= to")
    units = tuple(_unit(raw) for raw in as_list(doc.get("units"), "units", err))
    ids = [unit.id for unit in units]
    expect(len(ids) == len(set(ids)), err, "unit ids repeat")
    departments = {unit.id for unit in units if unit.kind == "department"}
    actions = tuple(_action(raw, set(ids), departments)
                    for raw in as_list(doc.get("actions"), "actions", err))
    numbers = sorted(action.number for action in actions)
    expect(numbers == list(ACTION_NUMBERS), err,
           f"actions must be numbered 1-13, once each; got {numbers}")
    return WorkPlan(text_field(plan, "id", "plan", err), text_field(plan, "number", "plan", err),
                    iso_date(plan.get("date"), "plan.date", err), (start, end), units, actions)


def _unit(raw: object) -> Unit:
    err = WorkPlanError
    obj = as_object(raw, "unit", err, {"id", "name", "kind"})
    unit = Unit(text_field(obj, "id", "unit", err), text_field(obj, "name", "unit", err),
                text_field(obj, "kind", "unit", err))
    expect(unit.kind in UNIT_KINDS, err,
           f"unit {unit.id!r}: kind must be one of {sorted(UNIT_KINDS)}")
    if unit.is_division:
        expect(unit.id == TOWNSHIP_PREFIX + unit.name, err,
               f"unit {unit.id!r}: a 乡 / 街道 has the id {TOWNSHIP_PREFIX}<its name>")
    else:
        expect(not unit.id.startswith(TOWNSHIP_PREFIX), err,
               f"unit {unit.id!r}: only a 乡 / 街道 has an id starting {TOWNSHIP_PREFIX!r}")
    return unit


def _action(raw: object, known: set[str], departments: set[str]) -> Action:
    err = WorkPlanError
    obj = as_object(raw, "action", err, {"number", "title_zh", "title_en", "lead", "co_units"})
    number = obj.get("number")
    if type(number) is not int or number not in ACTION_NUMBERS:
        raise err(f"action number {number!r} is outside 1-13")
    where = f"action {number}"
    lead = text_field(obj, "lead", where, err)
    co_units = as_strings(obj.get("co_units"), f"{where}: co_units", err)
    for unit_id in (lead, *co_units):
        expect(unit_id in known, err, f"{where}: unknown unit id {unit_id!r}")
    expect(lead in departments, err, f"{where}: the lead {lead!r} is not a department")
    expect(len(set(co_units)) == len(co_units) and lead not in co_units, err,
           f"{where}: a unit is listed twice")
    return Action(number, text_field(obj, "title_zh", where, err),
                  text_field(obj, "title_en", where, err), lead, co_units)
