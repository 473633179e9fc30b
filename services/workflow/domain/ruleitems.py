"""Rule items (规则条目): the time limits, code lists, numbers and dates of a rule set.

Every item carries its :class:`Provenance`: the law and article (or the policy) it comes from and
a confidence: ``V`` checked against the full text, ``S`` secondary source, ``R`` recalled or
chosen. Anything not ``V`` is policy and may change without a change in the law.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.workflow.domain.deadlines import Budget, Pause

__all__ = [
    "AnnualDate",
    "Code",
    "CodeList",
    "Confidence",
    "DeadlineRule",
    "NumberRule",
    "Provenance",
    "RuleDataError",
]


class RuleDataError(ValueError):
    """Rule data that cannot be used: malformed, unsourced, or with versions that clash."""


class Confidence(StrEnum):
    """How sure we are of a rule: V checked in the full text, S secondary source, R recalled."""

    VERIFIED = "V"
    SECONDARY = "S"
    RECALLED = "R"


@dataclass(frozen=True)
class Provenance:
    """Where a rule comes from (出处) and how sure we are; anything not verified is policy."""

    source: str
    confidence: Confidence
    note: str = ""

    @property
    def is_policy(self) -> bool:
        """Whether the rule is a configurable policy rather than verified law."""
        return self.confidence is not Confidence.VERIFIED


class NoExtensionError(ValueError):
    """An extension asked of a time limit whose rule grants none."""


@dataclass(frozen=True)
class DeadlineRule:
    """A time limit (时限): its budget, what starts it, its standard extension, uncounted pauses."""

    name: str
    budget: Budget
    starts: str
    provenance: Provenance
    extension: Budget | None = None
    excludes: frozenset[str] = frozenset()  # pause kinds the clock does not count

    def extensions(self, times: int) -> tuple[Budget, ...]:
        """The standard extension (延长) granted ``times`` times."""
        if times < 0:
            msg = f"cannot grant {times} extensions"
            raise ValueError(msg)
        if times and self.extension is None:
            msg = f"the time limit {self.name!r} has no extension"
            raise NoExtensionError(msg)
        return (self.extension,) * times if self.extension else ()

    def counted_pauses(self, pauses: Iterable[Pause]) -> tuple[Pause, ...]:
        """The pauses this limit does not count, by their kind (e.g. testing in mediation)."""
        return tuple(pause for pause in pauses if pause.kind in self.excludes)


@dataclass(frozen=True)
class Code:
    """One entry of a code list: a stable code and its Chinese label."""

    code: str
    label: str


@dataclass(frozen=True)
class CodeList:
    """A named list of codes, e.g. the reasons for 不予受理."""

    name: str
    codes: tuple[Code, ...]
    provenance: Provenance


@dataclass(frozen=True)
class NumberRule:
    """A named number, e.g. a threshold or a fraction."""

    name: str
    value: int | float
    provenance: Provenance


@dataclass(frozen=True)
class AnnualDate:
    """A date that recurs each year (e.g. the summary due 12-02), not counted from an event."""

    name: str
    month: int
    day: int
    provenance: Provenance

    def in_year(self, year: int) -> date:
        """The date in a given year."""
        return date(year, self.month, self.day)
