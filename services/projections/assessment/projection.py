"""The assessment projection: facts and case events in, the assessment read model out."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from eventsourcing.persistence import IntegrityError, Tracking

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.assessment.rows import FactRows, fact_rows

log = logging.getLogger("fangxin.projections.assessment")


class AssessmentStore(Protocol):
    """What the projection needs from a store (``SQLiteAssessmentView`` and the like)."""

    def write(self, facts: FactRows, events: Sequence[CaseEvent], tracking: Tracking) -> None: ...
    def position(self, application_name: str) -> int: ...


class AssessmentProjection:
    """Applies a batch of facts and case events with its position in one transaction, once.

    ``tracking.application_name`` is the caller's, e.g. ``assessment:kafka:<topic>:<partition>``
    and ``tracking.notification_id`` the next offset to read. A batch at or below the recorded
    position is a redelivery and changes nothing. ``applied`` counts what was applied, by type
    (fact type, ``case:<event type>``, ``ignored:<type>``, ``invalid:<type>``), for metrics.
    """

    def __init__(self, view: AssessmentStore) -> None:
        self.view = view
        self.applied: Counter[str] = Counter()

    def position(self, application_name: str) -> int:
        return self.view.position(application_name)

    def apply(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> None:
        if self.view.position(tracking.application_name) >= tracking.notification_id:
            return  # a redelivery after a crash or a rebalance
        facts = fact_rows(e for e in events if isinstance(e, CloudEvent))
        cases = [e for e in events if isinstance(e, CaseEvent)]
        try:
            self.view.write(facts, cases, tracking)
        except IntegrityError:
            if self.view.position(tracking.application_name) >= tracking.notification_id:
                return  # another writer recorded this position first
            raise
        self._count(facts, cases)

    def _count(self, facts: FactRows, cases: Sequence[CaseEvent]) -> None:
        self.applied.update({"foodsafety.entity.registered": len(facts.entities),
                             "foodsafety.sampling.reported": len(facts.samples),
                             "foodsafety.inspection.recorded": len(facts.inspections)})
        self.applied.update(f"case:{e.type}" for e in cases)
        self.applied.update(f"ignored:{t}" for t in facts.ignored)
        self.applied.update(f"invalid:{t}" for t in facts.invalid)
        if facts.invalid:
            log.warning("assessment: %d facts failed validation and were skipped: %s",
                        len(facts.invalid), sorted(set(facts.invalid)))
        self.applied += Counter()  # drop zero counts
