"""Deadlines (时限): when a time budget that starts at a moment runs out, and when to warn.

Conventions (rules.md §5 and §11; the numbers themselves are rule data):

- **Working days**: the start day is not counted; the deadline is the end (23:59:59.999999
  +08:00) of the Nth working day after the start day.
- **Calendar days**: the end of the Nth day after the start day. If the budget says
  ``roll_to_working_day`` (民法典 Art. 203 principle, set per rule), a deadline on a rest day
  moves to the end of the next working day.
- **Hours**: exact, ``start + N hours``.
- **Extensions** (延长) add their amounts to the budget; they must be in the budget's unit.
- **Pauses** (中止, time not counted such as testing in mediation): overlapping pauses are merged
  and cut to start at ``start``. A closed pause that begins on or before the running deadline
  pushes it back by what it covered: working days after its start day up to and including its end
  day (working-day budgets), calendar days the same way (calendar-day budgets), or its exact length
  (hours). So the clock resumes as if restarted on the end day with the budget that was left. A
  pause that begins after the deadline changes nothing (the time had already run out). An open
  pause that begins on or before the deadline suspends it: ``Due.suspended`` and no instants.
- **Warning** (预警): when ``warn_fraction`` of the budget (extensions included) has run: for day
  budgets the end of day ``ceil(warn_fraction × N)`` counted like the deadline, never rolled over;
  for hours ``start + warn_fraction × N hours``; pauses move it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Final, Literal, get_args

from services.workflow.domain.calendar import (
    SHANGHAI,
    DayEnd,
    WorkingCalendar,
    end_of_day,
    local_date,
)

__all__ = ["UNITS", "Budget", "Due", "Pause", "Unit", "compute_due"]

Unit = Literal["working_days", "calendar_days", "hours"]
UNITS: Final[frozenset[str]] = frozenset(get_args(Unit))

_Stop = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Budget:
    """A time budget (期限): so many working days (工作日), calendar days (日) or hours (小时)."""

    amount: int
    unit: Unit
    roll_to_working_day: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            msg = f"unknown unit {self.unit!r}; expected one of {sorted(UNITS)}"
            raise ValueError(msg)
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            msg = f"a budget is a whole number of at least 0, not {self.amount!r}"
            raise ValueError(msg)
        if self.roll_to_working_day and self.unit != "calendar_days":
            msg = f"only calendar-day budgets roll over to a working day, not {self.unit}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Pause:
    """Time the clock does not count (中止 / 不计入期限); still running while ``end`` is None."""

    start: datetime
    end: datetime | None = None
    kind: str = ""

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment is not None:
                local_date(moment)  # refuses a naive time
        if self.end is not None and self.end < self.start:
            msg = f"a pause cannot end ({self.end}) before it starts ({self.start})"
            raise ValueError(msg)


@dataclass(frozen=True)
class Due:
    """When a deadline falls due (期限届满) and when to warn; no instants while it is suspended."""

    at: datetime | None
    provisional: bool
    warn_at: datetime | None
    suspended: bool = False

    def is_overdue(self, now: datetime) -> bool:
        """Whether the deadline has passed (超期) at ``now``."""
        return self.at is not None and now > self.at

    def is_warning(self, now: datetime) -> bool:
        """Whether the warning time (预警) has come at ``now``."""
        return self.warn_at is not None and now >= self.warn_at


SUSPENDED: Final = Due(at=None, provisional=False, warn_at=None, suspended=True)


def compute_due(
    calendar: WorkingCalendar,
    start: datetime,
    budget: Budget,
    *,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Budget] = (),
    warn_fraction: float,
) -> Due:
    """The deadline of a budget started at ``start``, with its pauses, extensions and warning."""
    first = local_date(start)
    if not 0 <= warn_fraction <= 1:
        msg = f"warn_fraction must be between 0 and 1, not {warn_fraction}"
        raise ValueError(msg)
    for extension in extensions:
        if extension.unit != budget.unit:
            msg = f"an extension in {extension.unit} cannot extend a budget in {budget.unit}"
            raise ValueError(msg)
    total = budget.amount + sum(extension.amount for extension in extensions)
    stops = _merged(pauses, start)
    if budget.unit == "hours":
        return _hours_due(start, timedelta(hours=total), stops, warn_fraction)
    warn_count = _warn_count(warn_fraction, total)
    if not stops:  # counted in days from the start day alone: the same for the whole day
        key = (first, budget.unit, total, warn_count, budget.roll_to_working_day)
        return calendar.remember(key, lambda: _days_due(
            calendar, start, budget, total=total, warn_count=warn_count, stops=stops))
    return _days_due(calendar, start, budget, total=total, warn_count=warn_count, stops=stops)


def _days_due(calendar: WorkingCalendar, start: datetime, budget: Budget, *, total: int,
              warn_count: int, stops: list[_Stop]) -> Due:
    end = _days_end(calendar, start, total, stops, budget.unit)
    warn = _days_end(calendar, start, warn_count, stops, budget.unit)
    if end is None or warn is None:
        return SUSPENDED
    if budget.roll_to_working_day:
        end = _rolled(calendar, end)
    return Due(at=end.at, provisional=end.provisional, warn_at=warn.at)


@lru_cache(maxsize=1024)
def _warn_count(fraction: float, total: int) -> int:
    """The counted days after which to warn: ``fraction`` of ``total``, rounded up."""
    return math.ceil(Fraction(str(fraction)) * total)


def _hours_due(start: datetime, span: timedelta, stops: list[_Stop], fraction: float) -> Due:
    at = _after_pauses(start, span, stops)
    warn_at = _after_pauses(start, span * fraction, stops)
    if at is None or warn_at is None:
        return SUSPENDED
    return Due(at=at, provisional=False, warn_at=warn_at)


def _after_pauses(start: datetime, span: timedelta, stops: list[_Stop]) -> datetime | None:
    at = start.astimezone(UTC) + span
    for pause_start, pause_end in stops:
        if pause_start > at:
            break
        if pause_end is None:
            return None
        at += pause_end - pause_start
    return at.astimezone(SHANGHAI)


def _days_end(
    calendar: WorkingCalendar, start: datetime, count: int, stops: list[_Stop], unit: Unit
) -> DayEnd | None:
    advance, covered = _day_counting(calendar, start, unit)
    extra = 0
    end = advance(count)
    for pause_start, pause_end in stops:
        if pause_start > end.at:
            break
        if pause_end is None:
            return None
        extra += covered(pause_start, pause_end)
        end = advance(count + extra)
    return end


def _day_counting(
    calendar: WorkingCalendar, start: datetime, unit: Unit
) -> tuple[Callable[[int], DayEnd], Callable[[datetime, datetime], int]]:
    if unit == "working_days":
        return (
            lambda n: calendar.add_working_days(start, n),
            lambda a, b: calendar.working_days_between(local_date(a), local_date(b)),
        )
    first = local_date(start)
    return (
        lambda n: DayEnd(end_of_day(first + timedelta(days=n)), provisional=False),
        lambda a, b: (local_date(b) - local_date(a)).days,
    )


def _rolled(calendar: WorkingCalendar, end: DayEnd) -> DayEnd:
    day = local_date(end.at)
    rolled = calendar.next_working_day(day)
    unsure = calendar.provisional_between(day - timedelta(days=1), rolled)
    return DayEnd(end_of_day(rolled), end.provisional or unsure)


def _merged(pauses: Sequence[Pause], start: datetime) -> list[_Stop]:
    stops: list[_Stop] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        begin = max(pause.start, start)
        if pause.end is not None and pause.end <= begin:
            continue
        if stops and (stops[-1][1] is None or begin <= stops[-1][1]):
            last_start, last_end = stops[-1]
            ends = None if last_end is None or pause.end is None else max(last_end, pause.end)
            stops[-1] = (last_start, ends)
        else:
            stops.append((begin, pause.end))
    return stops
