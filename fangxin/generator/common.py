"""What every part of the generator shares: the clock, the scale and the fact record."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final

CHINA: Final = timezone(timedelta(hours=8), "CST")  # 北京时间, how Longting's systems stamp time
YEARS: Final = (2022, 2023, 2024)  # the work plan's period (龙政办〔2022〕11号, 2022-2024)
PERIOD_START: Final = datetime(YEARS[0], 1, 1, tzinfo=CHINA)
PERIOD_END: Final = datetime(YEARS[-1], 12, 31, 23, 59, 59, tzinfo=CHINA)
WORKDAY_START: Final = time(8, 30)  # office hours of the district's units
WORKDAY_HOURS: Final = 9
SATURDAY: Final = 5
SCHOOL_HOLIDAY_MONTHS: Final = (2, 7, 8)  # 寒暑假: school canteens are closed
WORKDAY_DRAWS: Final = 8  # redraws before a weekend day is kept (a very short range)

DEFAULT_SEED: Final = 20240101
SIZES: Final = {"smoke": 1_500, "default": 40_000, "large": 1_000_000}
"""Approximate message counts of the named sizes (see the generator's package docstring)."""
MESSAGES_AT_SCALE_ONE: Final = 49_300
"""Messages the default world gives at scale 1 (measured; calibrates an int ``size``)."""


@dataclass(frozen=True)
class Scale:
    """How much bigger or smaller than the default district-year set to generate."""

    factor: float

    @classmethod
    def of(cls, size: str | int) -> Scale:
        target = SIZES[size] if isinstance(size, str) else int(size)
        if target <= 0:
            raise ValueError("a size is a positive number of messages")
        return cls(target / MESSAGES_AT_SCALE_ONE)

    def count(self, base: float, minimum: int = 1) -> int:
        """``base`` (the count at scale 1) at this scale, at least ``minimum``."""
        return max(minimum, round(base * self.factor))


@dataclass(order=True)
class Fact:
    """A CloudEvent about to be published; ``seq`` keeps equal times in creation order."""

    time: datetime
    seq: int
    source: str = field(compare=False)
    id: str = field(compare=False)
    type: str = field(compare=False)
    data: dict[str, Any] = field(compare=False)
    key: str = field(compare=False)

    def envelope(self) -> dict[str, Any]:
        return {"specversion": "1.0", "id": self.id, "source": self.source, "type": self.type,
                "time": stamp(self.time), "datacontenttype": "application/json",
                "data": self.data}


class FactLog:
    """Collects facts in creation order; the sequence breaks ties between equal times."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def add(self, at: datetime, source: str, fact_id: str, fact_type: str,  # noqa: PLR0917
            data: dict[str, Any], key: str) -> Fact:  # the CloudEvent's parts, in order
        fact = Fact(at, len(self.facts), source, fact_id, fact_type, data, key)
        self.facts.append(fact)
        return fact


def stamp(moment: datetime) -> str:
    """RFC 3339 with the +08:00 offset, to the second."""
    return moment.isoformat(timespec="seconds")


def day_in(rng: random.Random, start: date, end: date) -> date:
    """A day between ``start`` and ``end`` inclusive."""
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def working_day(rng: random.Random, start: date, end: date) -> date:
    """A Monday-Friday between ``start`` and ``end`` (holidays are not modelled here)."""
    day = day_in(rng, start, end)
    for _ in range(WORKDAY_DRAWS):
        if day.weekday() < SATURDAY:
            break
        day = day_in(rng, start, end)
    return day


def office_time(rng: random.Random, day: date) -> datetime:
    """A moment within office hours of ``day`` in China."""
    start = datetime.combine(day, WORKDAY_START, tzinfo=CHINA)
    return start + timedelta(minutes=rng.randrange(WORKDAY_HOURS * 60))


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)
