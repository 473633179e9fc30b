"""Case policy: the work plan's routing, the rule sets and the calendar, as one collaborator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.workflow.domain.businesses import Business
from services.workflow.domain.calendar import WorkingCalendar, YearCalendar
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import OpenCase
from services.workflow.domain.kinds import CaseKind
from services.workflow.domain.machines import MACHINES
from services.workflow.domain.planner import CasePlanner
from services.workflow.domain.routing import Router, RoutingFacts
from services.workflow.domain.rulesets import RuleBook, RuleSet
from services.workflow.rules.rulebook_loader import load_default_calendar, load_default_rulebook
from services.workflow.rules.workplan_loader import load_default_router

DISTRICT_OFFICE = "district-food-safety-office"


@dataclass
class CasePolicy:
    """What decides who owns a case and when its deadlines fall."""

    rulebook: RuleBook
    calendar: WorkingCalendar
    router: Router

    @classmethod
    def default(cls) -> CasePolicy:
        return cls(load_default_rulebook(), load_default_calendar(), load_default_router())

    def rules_for(self, kind: CaseKind, on: datetime) -> RuleSet:
        return self.rulebook.for_(MACHINES[kind].rule_topic, on)

    def planner(self, kind: CaseKind, rules: RuleSet, opened_at: datetime,
                details: dict[str, Any], fixed: dict[str, datetime] | None = None
                ) -> CasePlanner:
        escalation = self.rulebook.for_("escalation", opened_at)
        aliases = {}
        if kind is CaseKind.RECALL_VERIFICATION:
            level = int(details.get("recall_level") or 2)
            aliases = {"recall_start": f"recall_start_level_{level}",
                       "recall_completion": f"recall_completion_level_{level}"}
        return CasePlanner(rules, self.calendar,
                           warn_fraction=float(escalation.number("warn_fraction")),
                           aliases=aliases, fixed=fixed)

    def planner_for(self, case: Case) -> CasePlanner:
        return self.planner(case.kind, self.rulebook.by_id(case.rule_set), case.opened_at,
                            case.details)

    def escalation_target(self, on: datetime) -> str:
        codes = self.rulebook.for_("escalation", on).code_list("overdue_escalation")
        return codes.codes[0].code if codes.codes else DISTRICT_OFFICE

    def kitchen_threshold(self, on: datetime) -> int:
        return int(self.rulebook.for_("kitchen", on).number("alerts_per_day_threshold"))

    def assignment(self, command: OpenCase, business: Business | None) -> dict[str, Any]:
        """The action and units the work plan makes responsible (牵头 / 配合 / 属地)."""
        facts = RoutingFacts(
            fact_type=command.fact_type,
            entity_kind=business.kind if business else None,
            category=command.category, program=command.program, channel=command.channel,
            township=command.township or (business.township if business else None),
            imported=command.imported)
        routed = self.router.route(facts)
        if command.action is not None and command.action != routed.action:
            action = self.router.plan.action(command.action)
            return {"action": action.number, "lead": action.lead,
                    "co_units": list(action.co_units), "township_unit": None,
                    "rule": "named-by-fact"}
        return {"action": routed.action, "lead": routed.lead, "co_units": list(routed.co_units),
                "township_unit": routed.township_unit, "rule": routed.rule_id}

    def load_year(self, year: YearCalendar) -> None:
        self.calendar.load_year(year)
