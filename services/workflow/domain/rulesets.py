"""Rule sets (规则集): versioned, sourced rule data chosen by the date of the fact.

A topic (``complaints``, ``reports``, ``sampling``, ``recall``, ``inspection``,
``annual_summary``, ``kitchen``, ``escalation``) has versions that follow each other without gap
or overlap; :meth:`RuleBook.for_` picks the version in force on a date (China local date). Each
version names its time limits, code lists, numbers and yearly dates, each with its source.

The rule files and their parser are in :mod:`services.workflow.domain.ruledata`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TypeVar

from services.workflow.domain.calendar import local_date
from services.workflow.domain.deadlines import Budget
from services.workflow.domain.ruleitems import (
    AnnualDate,
    CodeList,
    Confidence,
    DeadlineRule,
    NumberRule,
    Provenance,
    RuleDataError,
)

__all__ = ["NoRuleSetError", "RuleBook", "RuleSet", "UnknownRuleError", "load_rulebook"]

_T = TypeVar("_T")


class NoRuleSetError(LookupError):
    """No rule set of a topic is in force on the date asked for."""


class UnknownRuleError(LookupError):
    """A rule set has no item of that name."""


@dataclass(frozen=True)
class RuleSet:
    """The rules of one topic in force from ``effective_from`` to ``effective_until`` inclusive."""

    topic: str
    id: str
    effective_from: date
    effective_until: date | None
    provenance: Provenance
    deadlines: Mapping[str, DeadlineRule] = field(default_factory=dict)
    lists: Mapping[str, CodeList] = field(default_factory=dict)
    numbers: Mapping[str, NumberRule] = field(default_factory=dict)
    dates: Mapping[str, AnnualDate] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The law (and articles) or policy the set comes from."""
        return self.provenance.source

    @property
    def confidence(self) -> Confidence:
        """How sure we are that this set is in force as stated."""
        return self.provenance.confidence

    def in_force(self, on: date) -> bool:
        """Whether the set applies on a date."""
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )

    def deadline(self, name: str) -> Budget:
        """The budget of a named time limit."""
        return self.deadline_rule(name).budget

    def deadline_rule(self, name: str) -> DeadlineRule:
        """A named time limit with its start, extension, uncounted pauses and source."""
        return _named(self.deadlines, name, self.id, "time limit")

    def codes(self, name: str) -> frozenset[str]:
        """The codes of a named list (e.g. the 不予受理 reasons)."""
        return frozenset(code.code for code in self.code_list(name).codes)

    def code_list(self, name: str) -> CodeList:
        """A named code list with its labels and source."""
        return _named(self.lists, name, self.id, "list")

    def number(self, name: str) -> int | float:
        """A named number (a threshold, a fraction)."""
        return _named(self.numbers, name, self.id, "number").value

    def annual_date(self, name: str, year: int) -> date:
        """A named yearly date in a given year."""
        return _named(self.dates, name, self.id, "date").in_year(year)

    def provenances(self) -> dict[str, Provenance]:
        """The provenance of every item, keyed ``<kind>.<name>``, the set itself as ``set``."""
        found = {"set": self.provenance}
        for kind, items in (
            ("deadlines", self.deadlines),
            ("lists", self.lists),
            ("numbers", self.numbers),
            ("dates", self.dates),
        ):
            found.update({f"{kind}.{name}": item.provenance for name, item in items.items()})
        return found


class RuleBook:
    """All rule sets, by topic, each topic's versions in date order without gaps or overlaps."""

    def __init__(self, sets: Iterable[RuleSet]) -> None:
        by_topic: dict[str, list[RuleSet]] = {}
        for rule_set in sets:
            by_topic.setdefault(rule_set.topic, []).append(rule_set)
        self._topics = {
            t: tuple(sorted(v, key=lambda s: s.effective_from)) for t, v in by_topic.items()
        }
        self._by_id: dict[str, RuleSet] = {}
        for topic, versions in self._topics.items():
            _check_chain(topic, versions)
            for version in versions:
                if version.id in self._by_id:
                    raise RuleDataError(f"rule set id {version.id!r} is used twice")
                self._by_id[version.id] = version

    def topics(self) -> tuple[str, ...]:
        """The topics the book has rules for."""
        return tuple(sorted(self._topics))

    def versions(self, topic: str) -> tuple[RuleSet, ...]:
        """Every version of a topic, oldest first."""
        return self._topics.get(topic, ())

    def by_id(self, rule_set_id: str) -> RuleSet:
        """The rule set a case recorded when it opened."""
        try:
            return self._by_id[rule_set_id]
        except KeyError:
            raise NoRuleSetError(f"no rule set {rule_set_id!r}") from None

    def for_(self, topic: str, on: date) -> RuleSet:
        """The version of a topic in force on a date (an aware time counts by its China date)."""
        day = local_date(on) if isinstance(on, datetime) else on
        if topic not in self._topics:
            raise NoRuleSetError(f"no rules for topic {topic!r}; known: {list(self.topics())}")
        for version in self._topics[topic]:
            if version.in_force(day):
                return version
        raise NoRuleSetError(f"no {topic} rule set is in force on {day}")


def load_rulebook(texts: Mapping[str, str]) -> RuleBook:
    """Parse rule files (file name → JSON text) into a checked book; see ``ruledata``."""
    from services.workflow.domain.ruledata import load_rulebook as parse  # noqa: PLC0415 - cycle

    return parse(texts)


def _check_chain(topic: str, versions: tuple[RuleSet, ...]) -> None:
    for version in versions:
        if version.effective_until is not None and version.effective_until < version.effective_from:
            raise RuleDataError(f"{version.id}: effective_until is before effective_from")
    for earlier, later in pairwise(versions):
        if earlier.effective_until is None or earlier.effective_until >= later.effective_from:
            raise RuleDataError(f"{topic}: {earlier.id} overlaps {later.id}")
        if earlier.effective_until + timedelta(days=1) != later.effective_from:
            raise RuleDataError(
                f"{topic}: gap between {earlier.id} (until {earlier.effective_until}) "
                f"and {later.id} (from {later.effective_from})"
            )


def _named(items: Mapping[str, _T], name: str, set_id: str, kind: str) -> _T:
    try:
        return items[name]
    except KeyError:
        msg = f"{set_id} has no {kind} {name!r}; it has {sorted(items)}"
        raise UnknownRuleError(msg) from None
