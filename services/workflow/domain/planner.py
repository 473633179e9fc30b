"""The deadline planner (时限计算): a case's rule set and the working-day calendar together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.workflow.domain.calendar import WorkingCalendar, end_of_day, local_date
from services.workflow.domain.deadlines import Budget, Pause, compute_due
from services.workflow.domain.rulesets import RuleSet

DueSpec = dict[str, Any]


class CasePlanner:
    """Implements the case's ``DeadlinePlanner`` port for one case and one rule set."""

    def __init__(self, rules: RuleSet, calendar: WorkingCalendar, *, warn_fraction: float,
                 aliases: Mapping[str, str] | None = None,
                 fixed: Mapping[str, datetime] | None = None) -> None:
        self.rules = rules
        self.calendar = calendar
        self.warn_fraction = warn_fraction
        self.aliases = dict(aliases or {})
        self.fixed = dict(fixed or {})

    def due(self, name: str, start: datetime, *, pauses: list[list[Any]] | None = None,
            extensions: int = 0) -> DueSpec | None:
        """The deadline ``name`` started at ``start``; None when the rule set has no such limit."""
        rule_name = self.aliases.get(name, name)
        if name in self.fixed or rule_name in self.rules.dates:
            due_at = self.fixed.get(name) or end_of_day(
                self.rules.annual_date(rule_name, local_date(start).year))
            warn_at = start + (due_at - start) * self.warn_fraction
            return _spec(start, due_at, warn_at, provisional=False, budget=None,
                         rule=self.rules.id)
        if rule_name not in self.rules.deadlines:
            return None
        rule = self.rules.deadline_rule(rule_name)
        counted = rule.counted_pauses(Pause(p[0], p[1], p[2] if len(p) > 2 else "")
                                      for p in pauses or [])
        due = compute_due(self.calendar, start, rule.budget, pauses=counted,
                          extensions=rule.extensions(extensions),
                          warn_fraction=self.warn_fraction)
        return _spec(start, due.at, due.warn_at, provisional=due.provisional,
                     budget=rule.budget, rule=self.rules.id)

    def allowed(self, list_name: str) -> frozenset[str]:
        return self.rules.codes(list_name) if list_name in self.rules.lists else frozenset()


def _spec(start: datetime, due_at: datetime | None, warn_at: datetime | None, *,
          provisional: bool, budget: Budget | None, rule: str) -> DueSpec:
    return {"started_at": start, "due_at": due_at, "warn_at": warn_at, "provisional": provisional,
            "budget": {"amount": budget.amount, "unit": budget.unit} if budget else None,
            "rule_set": rule}
