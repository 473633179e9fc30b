"""Year files (节假日安排): one year's holidays and 调休 working days, parsed from JSON.

Format (``services/workflow/rules/calendar/<year>.json``, UTF-8)::

    {
      "format_version": 1,
      "year": 2026,
      "notice": "国办发明电〔2025〕7号",              # notice number, "" if not known
      "source": "https://...",                       # where the notice text was read
      "published": "2025-11-04",                     # optional
      "holidays": [                                  # days off (放假), weekends inside included
        {"name": "元旦", "from": "2026-01-01", "to": "2026-01-03"},
        {"name": "清明节", "date": "2026-04-05"}
      ],
      "adjusted_workdays": ["2026-01-04"]            # weekend days worked (调休上班)
    }

Dates may fall in the year or in the December before it (a notice can move 元旦 into it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, NoReturn

__all__ = ["CalendarDataError", "Holiday", "YearCalendar", "parse_year_file"]

FORMAT_VERSION: Final = 1
_SATURDAY: Final = 5
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class CalendarDataError(ValueError):
    """A year file that cannot be used: malformed, or contradicting itself."""


@dataclass(frozen=True)
class Holiday:
    """A holiday period (放假调休) of the yearly notice, first to last day inclusive."""

    name: str
    first: date
    last: date

    def days(self) -> Iterator[date]:
        """Every day of the period."""
        for offset in range((self.last - self.first).days + 1):
            yield self.first + timedelta(days=offset)


@dataclass(frozen=True)
class YearCalendar:
    """One year's holiday arrangement as the State Council's notice (国务院办公厅通知) gives it."""

    year: int
    source: str
    notice: str
    holidays: tuple[Holiday, ...]
    adjusted_workdays: tuple[date, ...]
    published: date | None = None

    def __post_init__(self) -> None:
        earliest, latest = date(self.year - 1, 12, 1), date(self.year, 12, 31)
        for holiday in self.holidays:
            if holiday.last < holiday.first:
                _fail(f"{self.year}: holiday {holiday.name} ends before it starts")
        days = [d for h in self.holidays for d in h.days()] + list(self.adjusted_workdays)
        for day in days:
            if not earliest <= day <= latest:
                _fail(f"{self.year}: {day} is outside {earliest}..{latest}")
        for day in self.adjusted_workdays:
            if day.weekday() < _SATURDAY:
                _fail(f"{self.year}: adjusted workday {day} is not a weekend day")
            if day in self.rest_days():
                _fail(f"{self.year}: {day} is both a holiday and a working day")

    def rest_days(self) -> frozenset[date]:
        """Every day off the notice names."""
        return frozenset(day for holiday in self.holidays for day in holiday.days())


FIRST_YEAR, LAST_YEAR = 1949, 2199  # a calendar year of the People's Republic, with room


def parse_year_file(text: str) -> YearCalendar:
    """Read a year file's JSON text (the caller reads the file)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalendarDataError(f"year file is not JSON: {error}") from None
    raw = _mapping(data, "year file")
    if raw.get("format_version") != FORMAT_VERSION:
        _fail(f"year file: format_version must be {FORMAT_VERSION}")
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        _fail("year file: 'year' must be an integer")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        _fail(f"year file: 'year' must be from {FIRST_YEAR} to {LAST_YEAR}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        _fail(f"{year}: 'source' (the notice's address) is required")
    published = raw.get("published")
    return YearCalendar(
        year=year,
        source=source,
        notice=str(raw.get("notice", "")),
        holidays=tuple(_holiday(item, year) for item in _list(raw, "holidays", year)),
        adjusted_workdays=tuple(
            _date(item, year) for item in _list(raw, "adjusted_workdays", year)
        ),
        published=None if published is None else _date(published, year),
    )


def _holiday(item: object, year: int) -> Holiday:
    raw = _mapping(item, f"{year}: holiday")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        _fail(f"{year}: every holiday needs a name")
    if "date" in raw:
        day = _date(raw["date"], year)
        return Holiday(name, day, day)
    if "from" in raw and "to" in raw:
        return Holiday(name, _date(raw["from"], year), _date(raw["to"], year))
    raise CalendarDataError(f"{year}: holiday {name} needs 'date' or 'from' and 'to'")


def _list(raw: Mapping[str, Any], key: str, year: int) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        _fail(f"{year}: '{key}' must be a list")
    return value


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        _fail(f"{where} must be a JSON object")
    return value


def _date(value: object, year: int) -> date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarDataError(f"{year}: not a date (YYYY-MM-DD): {value!r}")


def _fail(message: str) -> NoReturn:
    raise CalendarDataError(message)
