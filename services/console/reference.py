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
_EPOCH = date(2015, 1, 1)  # the oldest rule set starts here
_MAX_DAYS = 40 * 366
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
        self._totals: list[int] = []  # running working-day totals from _EPOCH, by day

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

    def pause_kinds(self, rule_set: str | None, deadline: str) -> tuple[str, ...]:
        """The pauses a deadline's clock does not count (e.g. testing time), by its rule."""
        try:
            rules = self.rulebook.by_id(rule_set or "")
            return tuple(sorted(rules.deadline_rule(deadline).excludes))
        except LookupError:
            return ()

    def working_days_left(self, due: datetime, now: datetime) -> int:
        """Working days from today to the due day (0 on the day, negative once past).

        The same count as ``WorkingCalendar.working_days_between``, read from running totals
        per day so that a page of long-overdue cases does not walk years day by day.
        """
        return self._running_total(local_date(due)) - self._running_total(local_date(now))

    def _running_total(self, day: date) -> int:
        """Working days from ``_EPOCH`` (exclusive) up to ``day`` (inclusive)."""
        index = (day - _EPOCH).days
        if index < 0 or index > _MAX_DAYS:  # far outside any case: count directly
            return self.calendar.working_days_between(_EPOCH, day)
        totals = self._totals
        while len(totals) <= index:
            current = _EPOCH + timedelta(days=len(totals))
            previous = totals[-1] if totals else 0
            totals.append(previous + (1 if current > _EPOCH and
                                      self.calendar.is_working_day(current) else 0))
        return totals[index]

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
