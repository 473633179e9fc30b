"""Assessment snapshots to foodsafety.reporting.v1: when figures change (debounced) and when a
period closes (final)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.assessment.periods import periods_closed_between
from services.projections.assessment.snapshots import (
    AssessmentSnapshot,
    Debouncer,
    changed_snapshots,
    snapshots_from_table,
)

BY = ("unit", "township", "action")


class SnapshotReporter:
    """Collects the years that changed; ``step`` publishes what the debouncer lets through."""

    def __init__(self, view: Any, *, interval: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.view = view
        self.clock = clock
        self.debouncer = Debouncer(interval)
        self.published: dict[str, AssessmentSnapshot] = {}
        self._lock = threading.Lock()
        self._last_step = clock()

    def changed(self, events: Iterable[CloudEvent | CaseEvent]) -> None:
        """Note the periods the applied events touch (their years)."""
        years = {str((e.time if isinstance(e, CloudEvent) else e.occurred_at).year)
                 for e in events}
        now = self.clock()
        with self._lock:  # the feeder and the publishing loop run in different threads
            for year in years:
                self.debouncer.changed(year, now)

    def due(self) -> list[AssessmentSnapshot]:
        """The changed snapshots the debouncer lets through now, and finals of closed periods.

        Call ``confirm`` with them once they are published.
        """
        now = self.clock()
        closed = periods_closed_between(self._last_step, now)
        self._last_step = now
        with self._lock:
            due = self.debouncer.due(now)
        snapshots = [s for year in due for s in self._snapshots(year, now, final=False)]
        fresh = changed_snapshots(self.published, snapshots)
        finals = [s for p in closed for s in self._snapshots(p.text, now, final=True)]
        return [*fresh, *finals]

    def confirm(self, published: Sequence[AssessmentSnapshot]) -> None:
        self.published.update({s.scope.id: s for s in published})

    def _snapshots(self, period: str, now: datetime, *, final: bool
                   ) -> list[AssessmentSnapshot]:
        rows = [row for by in BY for row in self.view.table(period, by, now=now)]
        return snapshots_from_table(rows, now, final=final)
