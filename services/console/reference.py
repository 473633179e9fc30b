"""Reference data the pages name things with, read from the workflow's packaged rule data.

Unit names, actions and townships come from the work plan; the commands a case kind knows, the
arguments they need and the statutory reason lists they choose from come from the state machines
and the rule sets; working days come from the working-day calendar. Nothing here decides what a
unit may do: the APIs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar

from services.workflow.domain.calendar import WorkingCalendar, local_date
from services.workflow.domain.kinds import CaseKind
from services.workflow.domain.machines import MACHINES, Machine
from services.workflow.domain.ruleitems import Code
from services.workflow.domain.rulesets import NoRuleSetError, RuleBook
from services.workflow.domain.workplan import WorkPlan
from services.workflow.rules.rulebook_loader import load_default_calendar, load_default_rulebook
from services.workflow.rules.workplan_loader import load_default_plan

KINDS = tuple(kind.value for kind in CaseKind)
MAX_SKIPPED_SHOWN = 40


@dataclass(frozen=True)
class CommandForm:
    """What a command asks for: a reason from a statutory list, and free-text arguments."""

    command: str
    reasons: tuple[Code, ...]
    reason_list: str | None
    needs: tuple[str, ...]


@dataclass(frozen=True)
class SkippedDay:
    day: date
    holiday: str | None  # the holiday's name when it is one, else a weekend


class Reference:
    """Read once per process; every method is cheap."""

    def __init__(self, plan: WorkPlan, rulebook: RuleBook, calendar: WorkingCalendar) -> None:
        self.plan, self.rulebook, self.calendar = plan, rulebook, calendar
        self._units = {unit.id: unit for unit in plan.units}
        self.townships = tuple(unit for unit in plan.units if unit.is_division)
        self.actions = plan.actions

    def unit_name(self, unit_id: str | None) -> str:
        if not unit_id:
            return ""
        unit = self._units.get(unit_id)
        return unit.name if unit else unit_id

    def action_title(self, number: int | None, lang: str) -> str:
        for action in self.actions:
            if action.number == number:
                return action.title_en if lang == "en" else action.title_zh
        return ""

    def plan_years(self) -> tuple[int, int]:
        return self.plan.period

    def machine(self, kind: str) -> Machine | None:
        try:
            return MACHINES[CaseKind(kind)]
        except ValueError:
            return None

    def command_form(self, kind: str, command: str, rule_set: str | None) -> CommandForm:
        """The reason choices and arguments of ``command`` on a case of ``kind``."""
        machine = self.machine(kind)
        move = machine.transition(command) if machine else None
        if move is None:
            return CommandForm(command, (), None, ())
        return CommandForm(command, self.reasons(rule_set, move.reasons), move.reasons,
                           move.needs)

    def reasons(self, rule_set: str | None, list_name: str | None) -> tuple[Code, ...]:
        if not rule_set or not list_name:
            return ()
        try:
            rules = self.rulebook.by_id(rule_set)
        except NoRuleSetError:
            return ()
        if list_name not in rules.lists:
            return ()
        return rules.code_list(list_name).codes

    def working_days_left(self, due: datetime, now: datetime) -> int:
        """Working days from today to the due day (0 on the day, negative once past)."""
        return self.calendar.working_days_between(local_date(now), local_date(due))

    def skipped_days(self, start: datetime, end: datetime) -> tuple[list[SkippedDay], int]:
        """Rest days (weekends, holidays) between two moments: the first few, and how many."""
        first, last = local_date(start), local_date(end)
        found: list[SkippedDay] = []
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            if not self.calendar.is_working_day(day):
                count += 1
                if len(found) < MAX_SKIPPED_SHOWN:
                    found.append(SkippedDay(day, _holiday_name(day)))
            day += timedelta(days=1)
        return found, count


def _holiday_name(day: date) -> str | None:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the library does not know
        return None
    return str(name) if on_holiday and name else None


@cache
def load_reference() -> Reference:
    return Reference(load_default_plan(), load_default_rulebook(), load_default_calendar())
