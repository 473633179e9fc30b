"""Loads the packaged rule sets (规则集) and year files (节假日安排) shipped in this package.

Infrastructure: the domain parsers get the texts from here. Rule sets are in ``rulesets/*.json``,
year files in ``calendar/<year>.json``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from services.workflow.domain.calendar import WorkingCalendar, YearCalendar, parse_year_file
from services.workflow.domain.ruledata import load_rulebook
from services.workflow.domain.rulesets import RuleBook

PACKAGE = "services.workflow.rules"
RULESETS_DIR = "rulesets"
CALENDAR_DIR = "calendar"


def packaged_texts(folder: str) -> dict[str, str]:
    """File name → text of every JSON file in a data folder of this package."""
    directory = files(PACKAGE).joinpath(folder)
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in directory.iterdir()
        if entry.name.endswith(".json")
    }


@cache
def load_default_rulebook() -> RuleBook:
    """The packaged rule sets, read and checked once."""
    return load_rulebook(packaged_texts(RULESETS_DIR))


def load_year_files() -> list[YearCalendar]:
    """The packaged year files, oldest first."""
    years = [parse_year_file(text) for text in packaged_texts(CALENDAR_DIR).values()]
    return sorted(years, key=lambda year: year.year)


def load_default_calendar() -> WorkingCalendar:
    """A new working calendar: chinese-calendar plus the packaged year files (they win)."""
    return WorkingCalendar(load_year_files())
