"""Routing (分派): a fact goes to one action (主要任务) of the work plan and to its units."""

from __future__ import annotations

import dataclasses
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
from services.workflow.domain.workplan import (
    ACTION_NUMBERS,
    Action,
    Unit,
    WorkPlan,
    WorkPlanError,
    parse_workplan,
)

__all__ = [
    "Action", "Assignment", "Router", "RoutingFacts", "RoutingRules", "RoutingRulesError", "Rule",
    "Unit", "WorkPlan", "WorkPlanError", "parse_routing", "parse_workplan",
]

FORMAT = "fangxin.routing/1"
TEXT_FIELDS = ("fact_type", "entity_kind", "category", "program", "channel")
FLAG_FIELDS = ("imported", "rural")  # rural: the business is in a 乡, not in a 街道


class RoutingRulesError(ValueError):
    """The routing rules (分派规则) are not valid."""


@dataclass(frozen=True)
class RoutingFacts:
    """What routing needs to know of a fact (事实) and of the business (主体) it concerns."""

    fact_type: str
    entity_kind: str | None
    category: str | None  # 食品类别; for a complaint or inspection the matter, e.g. 假冒伪劣
    program: str | None
    channel: str | None
    township: str | None  # canonical name of the 乡 / 街道, e.g. 北郊乡
    imported: bool = False


@dataclass(frozen=True)
class Assignment:
    """The action of a fact, its lead unit, department co-units and the local 乡 / 街道 unit."""

    action: int
    lead: str
    co_units: tuple[str, ...]
    township_unit: str | None
    rule_id: str


@dataclass(frozen=True)
class Rule:
    """A routing rule: every condition holds (a text field equals one of its values)."""

    id: str
    action: int
    when: tuple[tuple[str, frozenset[str] | bool], ...] = ()

    def matches(self, facts: RoutingFacts, division: Unit | None) -> bool:
        """Whether the facts meet every condition; ``rural`` is unknown without a 乡 / 街道."""
        for field, wanted in self.when:
            if field == "rural":
                value: object = None if division is None else division.kind == "township"
            else:
                value = getattr(facts, field)
            if isinstance(wanted, bool):
                if value is not wanted:
                    return False
            elif value not in wanted:
                return False
        return True


@dataclass(frozen=True)
class RoutingRules:
    """A versioned rule set (规则版本): ordered rules, the first match wins, else the default."""

    id: str
    version: int
    effective_from: date
    source: str
    rules: tuple[Rule, ...]
    default: Rule


@dataclass(frozen=True)
class Router:
    """Routes facts to actions by the rules and names the units from the plan."""

    plan: WorkPlan
    rules: RoutingRules
    _routed: dict[RoutingFacts, Assignment] = dataclasses.field(  # route() is pure: memo
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        numbers = {action.number for action in self.plan.actions}
        for rule in (*self.rules.rules, self.rules.default):
            expect(rule.action in numbers, RoutingRulesError,
                   f"rule {rule.id!r}: the work plan has no action {rule.action}")

    def route(self, facts: RoutingFacts) -> Assignment:
        """The assignment of a fact; its 乡 / 街道 joins only where the action names it."""
        found = self._routed.get(facts)
        if found is None:
            if len(self._routed) >= 10_000:
                self._routed.clear()
            found = self._routed[facts] = self._route(facts)
        return found

    def _route(self, facts: RoutingFacts) -> Assignment:
        division = None if facts.township is None else self.plan.division(facts.township)
        rule = next((r for r in self.rules.rules if r.matches(facts, division)),
                    self.rules.default)
        action: Action = self.plan.action(rule.action)
        co_units = tuple(u for u in action.co_units if not self.plan.unit(u).is_division)
        local = division.id if division is not None and division.id in action.co_units else None
        return Assignment(action.number, action.lead, co_units, local, rule.id)


def parse_routing(text: str, plan: WorkPlan) -> Router:
    """The router for ``plan`` from the routing rules' JSON text, validated."""
    err = RoutingRulesError
    doc = as_object(parse_json(text, err), "routing rules", err, {
        "format", "id", "version", "effective_from", "plan", "source", "vocabulary", "rules",
        "default"})
    expect(doc.get("format") == FORMAT, err, f"format must be {FORMAT!r}")
    expect(doc.get("plan") == plan.id, err,
           f"the rules are for plan {doc.get('plan')!r}, not for {plan.id!r}")
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise err(f"version must be a whole number >= 1, got {version!r}")
    vocabulary = as_object(doc.get("vocabulary", {}), "vocabulary", err, set(TEXT_FIELDS))
    vocab = {field: as_strings(v, f"vocabulary.{field}", err) for field, v in vocabulary.items()}
    rules = tuple(_rule(raw, vocab) for raw in as_list(doc.get("rules"), "rules", err))
    raw_default = as_object(doc.get("default"), "default", err, {"id", "action", "why"})
    default = Rule(text_field(raw_default, "id", "default", err),
                   _action_number(raw_default.get("action"), "default"))
    ids = [rule.id for rule in (*rules, default)]
    repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    expect(not repeated, err, f"rule ids repeat: {repeated}")
    return Router(plan, RoutingRules(
        text_field(doc, "id", "routing rules", err), version,
        iso_date(doc.get("effective_from"), "effective_from", err),
        text_field(doc, "source", "routing rules", err), rules, default))


def _rule(raw: object, vocab: dict[str, tuple[str, ...]]) -> Rule:
    err = RoutingRulesError
    obj = as_object(raw, "rule", err, {"id", "when", "action", "why"})
    where = f"rule {text_field(obj, 'id', 'rule', err)!r}"
    when = as_object(obj.get("when"), f"{where}: when", err, {*TEXT_FIELDS, *FLAG_FIELDS})
    expect(bool(when), err, f"{where}: no conditions (the default takes what no rule matches)")
    conditions: list[tuple[str, frozenset[str] | bool]] = []
    for field, value in when.items():
        if field in FLAG_FIELDS:
            expect(isinstance(value, bool), err, f"{where}: {field} must be true or false")
            conditions.append((field, bool(value)))
            continue
        values = as_strings(value, f"{where}: {field}", err)
        expect(bool(values), err, f"{where}: {field} lists no values")
        unknown = sorted(set(values) - set(vocab.get(field, values)))
        expect(not unknown, err, f"{where}: {field} values {unknown} are not in the vocabulary")
        conditions.append((field, frozenset(values)))
    return Rule(obj["id"], _action_number(obj.get("action"), where), tuple(conditions))


def _action_number(value: object, where: str) -> int:
    if type(value) is not int or value not in ACTION_NUMBERS:
        raise RoutingRulesError(f"{where}: action {value!r} is outside 1-13")
    return value
