"""Working calendar (工作日历): working days with 调休, from chinese-calendar and year files.

A day is a working day (工作日) when it is Monday to Friday and not a holiday (放假), or when it
is a weekend day the State Council's yearly notice declares a working day (调休上班). Sources, by
precedence: a loaded year file (:class:`YearCalendar`, which also covers dates it names in the
previous December), then the ``chinese-calendar`` package for the years it knows, then Monday to
Friday only; a result that relied on the last is *provisional*.

Counting (rules.md §5): the start day is not counted; "within N working days" ends at the end of the
Nth working day after the start day, 23:59:59.999999 Asia/Shanghai (+08:00, no DST).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from services.workflow.domain.yearfiles import (
    CalendarDataError,
    Holiday,
    YearCalendar,
    parse_year_file,
)

__all__ = [
    "SHANGHAI",
    "CalendarDataError",
    "DayEnd",
    "Holiday",
    "WorkingCalendar",
    "YearCalendar",
    "end_of_day",
    "local_date",
    "parse_year_file",
]


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # no tz database: China has kept +08:00 without DST since 1991
        return timezone(timedelta(hours=8), "CST")


SHANGHAI: Final = _shanghai()
T = TypeVar("T")
_WEEKEND: Final = 5  # date.weekday(): Saturday is 5, Sunday 6


def local_date(moment: datetime) -> date:
    """The date in China (北京时间) of an aware moment."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"a time without an offset is ambiguous: {moment.isoformat()}"
        raise ValueError(msg)
    return moment.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """The last instant of a day in China: 23:59:59.999999 +08:00."""
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class DayEnd:
    """The end of a counted day (期限届满); provisional if it relied on a year without data."""

    at: datetime
    provisional: bool


@cache
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """The working-day calendar (工作日历) that statutory deadlines run on."""

    def __init__(self, years: Iterable[YearCalendar] = (), *, library: bool = True) -> None:
        self._library = library
        self._years: dict[int, YearCalendar] = {}
        self._overrides: dict[date, bool] = {}
        self._memo: dict[date, bool] = {}  # chinese-calendar rescans its table on every call
        self._ends: dict[tuple[date, int], DayEnd] = {}  # add_working_days, by start day and n
        self._remembered: dict[Hashable, Any] = {}  # results derived from the days (remember)
        for year in years:
            self.load_year(year)

    def load_year(self, year: YearCalendar) -> None:
        """Load (or replace) one year's notice; it wins over chinese-calendar for that year."""
        self._years[year.year] = year
        self._memo = {}
        self._ends = {}
        self._remembered = {}
        self._overrides = {}
        for known in sorted(self._years.values(), key=lambda y: y.year):
            self._overrides.update(dict.fromkeys(known.rest_days(), False))
            self._overrides.update(dict.fromkeys(known.adjusted_workdays, True))

    def knows(self, year: int) -> bool:
        """Whether the holidays of a year are known (a year file or chinese-calendar)."""
        return year in self._years or (self._library and _library_knows(year))

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on this day (工作日), Monday to Friday for an unknown year."""
        if isinstance(day, datetime):
            day = local_date(day)
        known = self._memo.get(day)
        if known is None:
            known = self._memo[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if day.year not in self._years and self._library and _library_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < _WEEKEND

    def add_working_days(self, start: datetime, n: int) -> DayEnd:
        """The end of the Nth working day after the start day (the start day is not counted)."""
        if n < 0:
            msg = f"cannot count back {n} working days"
            raise ValueError(msg)
        first = local_date(start)
        found = self._ends.get((first, n))
        if found is None:
            day = first
            for _ in range(n):
                day = self.next_working_day(day + timedelta(days=1))
            found = self._ends[first, n] = DayEnd(end_of_day(day),
                                                  self.provisional_between(first, day))
        return found

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per ``key`` until a year is loaded (it may change the answer)."""
        if key not in self._remembered:
            if len(self._remembered) >= 100_000:
                self._remembered.clear()
            self._remembered[key] = compute()
        found: T = self._remembered[key]
        return found

    def next_working_day(self, day: date) -> date:
        """The day itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b`` (negative if ``b`` is earlier)."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def provisional_between(self, a: date, b: date) -> bool:
        """Whether a day after ``a`` up to ``b`` falls in a year whose holidays are unknown."""
        if b <= a:
            return False
        return not all(self.knows(year) for year in range((a + timedelta(days=1)).year, b.year + 1))


def _as_date(value: date) -> date:
    return local_date(value) if isinstance(value, datetime) else value
