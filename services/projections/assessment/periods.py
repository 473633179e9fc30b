"""Periods of the assessment (year, quarter, month) in China's local time.

A period is written ``2024``, ``2024-Q2`` or ``2024-05``. Every figure buckets by the local date
(Asia/Shanghai) of the moment that places it, so a case opened at 23:30 on 31 March belongs to Q1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
_FORMS: Final = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")
_QUARTERS_ZH: Final = ("一", "二", "三", "四")

PeriodKind = Literal["year", "quarter", "month"]


class InvalidPeriodError(ValueError):
    """The text is not a period: expected 2024, 2024-Q2 or 2024-05."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar year, quarter or month, with its first and last local date."""

    first: date
    last: date
    kind: PeriodKind
    text: str

    @property
    def year(self) -> int:
        return self.first.year

    @property
    def is_year(self) -> bool:
        return self.kind == "year"

    @property
    def label_zh(self) -> str:
        """E.g. 2024年, 2024年第二季度, 2024年5月."""
        if self.kind == "year":
            return f"{self.year}年"
        if self.kind == "quarter":
            return f"{self.year}年第{_QUARTERS_ZH[(self.first.month - 1) // 3]}季度"
        return f"{self.year}年{self.first.month}月"

    @property
    def ends_at(self) -> datetime:
        """The instant the period closes: local midnight after its last day."""
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def parse_period(text: str) -> Period:
    """The period ``text`` names, or ``InvalidPeriodError``."""
    found = _FORMS.match(text.strip())
    if found is None:
        raise InvalidPeriodError(f"{text!r} is not a period: use 2024, 2024-Q2 or 2024-05")
    year = int(found["year"])
    if found["quarter"]:
        quarter = int(found["quarter"])
        return _span(year, 3 * quarter - 2, 3, "quarter", f"{year}-Q{quarter}")
    if found["month"]:
        month = int(found["month"])
        return _span(year, month, 1, "month", f"{year}-{month:02d}")
    return _span(year, 1, 12, "year", str(year))


def year_period(year: int) -> Period:
    return parse_period(f"{year:04d}")


def _span(year: int, month: int, months: int, kind: PeriodKind, text: str) -> Period:
    first = date(year, month, 1)
    end_month = month + months
    after = date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
    return Period(first, after - timedelta(days=1), kind, text)


def local_day(moment: datetime) -> date:
    """The date in China of an aware instant."""
    return moment.astimezone(SHANGHAI).date()


def utc_text(moment: datetime) -> str:
    """An aware instant as fixed-width UTC text, so text order is time order in both stores."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 instant with its offset, or None."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def periods_closed_between(after: datetime, until: datetime) -> list[Period]:
    """Every year, quarter and month whose end falls in ``(after, until]``, oldest first."""
    found: list[Period] = []
    day = local_day(after).replace(day=1)
    while True:
        month = parse_period(f"{day.year}-{day.month:02d}")
        if month.ends_at > until:
            break
        candidates = [month]
        if month.last.month % 3 == 0:
            candidates.append(parse_period(f"{day.year}-Q{month.last.month // 3}"))
        if month.last.month == 12:
            candidates.append(year_period(day.year))
        found.extend(p for p in candidates if after < p.ends_at <= until)
        day = month.last + timedelta(days=1)
    return found
