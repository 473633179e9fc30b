"""Assessment snapshots for ``foodsafety.reporting.v1`` and when to publish them (pure code).

A snapshot is the figures of one scope (a unit, township or action, or the district) for one
period. The ``Debouncer`` decides, from timestamps it is given, when a changed scope is
published: at once if it was not published in the last ``interval``, else when the interval
since its last publication has passed (changes in between are folded into one snapshot); and
always when its period closes. Publication itself is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.projections.assessment.figures import COUNT_COLUMNS, RATES
from services.projections.assessment.periods import Period, periods_closed_between

__all__ = ["AssessmentSnapshot", "Debouncer", "SnapshotScope", "changed_snapshots",
           "closing_scopes", "periods_closed_between", "snapshots_from_table"]

FIGURES = (*COUNT_COLUMNS, *RATES, "score")


class SnapshotScope(BaseModel):
    """Whose figures, for which period."""

    model_config = ConfigDict(frozen=True)

    by: Literal["unit", "township", "action", "district"]
    key: str | int | None = Field(description="unit id, township name, action number; None "
                                              "for records without one")
    period: str = Field(description="2024, 2024-Q2 or 2024-05")

    @property
    def id(self) -> str:
        """A stable text id of the scope, e.g. ``2024-Q2|unit|market-regulation``."""
        return f"{self.period}|{self.by}|{'' if self.key is None else self.key}"


class AssessmentSnapshot(BaseModel):
    """The figures of one scope at one moment."""

    model_config = ConfigDict(frozen=True)

    scope: SnapshotScope
    figures: dict[str, int | float | None]
    generated_at: AwareDatetime
    final: bool = Field(default=False, description="true once the period has closed")


def snapshots_from_table(rows: Iterable[Mapping[str, object]], generated_at: datetime, *,
                         final: bool = False) -> list[AssessmentSnapshot]:
    """One snapshot per row of ``table`` (or ``totals``)."""
    out = []
    for row in rows:
        figures = {name: row.get(name) for name in FIGURES}
        key = row.get("key")
        out.append(AssessmentSnapshot(
            scope=SnapshotScope(by=row["by"], key=key if isinstance(key, str | int) else None,
                                period=str(row["period"])),
            figures={k: v for k, v in figures.items() if isinstance(v, int | float | None)},
            generated_at=generated_at, final=final))
    return out


def changed_snapshots(previous: Mapping[str, AssessmentSnapshot],
                      current: Iterable[AssessmentSnapshot]) -> list[AssessmentSnapshot]:
    """The snapshots whose figures differ from the last published ones (or are new)."""
    return [s for s in current
            if (before := previous.get(s.scope.id)) is None or before.figures != s.figures]


class Debouncer:
    """At most one publication per scope per ``interval``; always one when a period closes."""

    def __init__(self, interval: timedelta) -> None:
        if interval < timedelta(0):
            raise ValueError("the interval cannot be negative")
        self.interval = interval
        self._published: dict[str, datetime] = {}
        self._pending: dict[str, datetime] = {}  # scope -> first unpublished change

    def changed(self, scope: str, at: datetime) -> None:
        """Note that the figures of ``scope`` changed at ``at``."""
        self._pending.setdefault(scope, at)

    def ready_at(self, scope: str) -> datetime | None:
        """When ``scope``'s pending change may be published (None if nothing is pending)."""
        first = self._pending.get(scope)
        if first is None:
            return None
        last = self._published.get(scope)
        return first if last is None else max(first, last + self.interval)

    def due(self, now: datetime) -> list[str]:
        """The scopes to publish at ``now``; they count as published at ``now``."""
        ready = sorted(s for s in self._pending if (at := self.ready_at(s)) and at <= now)
        for scope in ready:
            self._mark(scope, now)
        return ready

    def next_due(self) -> datetime | None:
        """The earliest moment a pending scope becomes due (for the caller's timer)."""
        moments = [at for s in self._pending if (at := self.ready_at(s)) is not None]
        return min(moments, default=None)

    def period_closed(self, scopes: Iterable[str], now: datetime) -> list[str]:
        """A period closed: its scopes are published now, whatever the interval."""
        closing = sorted(set(scopes))
        for scope in closing:
            self._mark(scope, now)
        return closing

    def _mark(self, scope: str, now: datetime) -> None:
        self._published[scope] = now
        self._pending.pop(scope, None)


def closing_scopes(scopes: Iterable[SnapshotScope], closed: Iterable[Period]
                   ) -> list[SnapshotScope]:
    """The scopes whose period is among ``closed`` (e.g. from ``periods_closed_between``)."""
    texts = {p.text for p in closed}
    return [s for s in scopes if s.period in texts]
