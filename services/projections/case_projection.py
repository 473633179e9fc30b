"""The case projection: case events in, the case read model out (one class per read model)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from eventsourcing.persistence import IntegrityError, Tracking

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.case_views import CaseView


class Applied(StrEnum):
    APPLIED = "applied"
    DUPLICATE_POSITION = "duplicate_position"


class CaseProjection:
    """Applies case events with their Kafka position in one transaction, exactly once."""

    name = "cases"

    def __init__(self, view: CaseView) -> None:
        self.view = view

    def position(self, application_name: str) -> int:
        return self.view.max_tracking_id(application_name) or 0

    def apply(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> Applied:
        """Apply a batch (facts are not this read model's business and are skipped)."""
        cases = [e for e in events if isinstance(e, CaseEvent)]
        try:
            self.view.apply(cases, tracking)
        except IntegrityError:
            if self.position(tracking.application_name) >= tracking.notification_id:
                return Applied.DUPLICATE_POSITION  # a redelivery after a crash or rebalance
            raise
        return Applied.APPLIED

    def process_event(self, event: CaseEvent, tracking: Tracking) -> Applied:
        return self.apply([event], tracking)
