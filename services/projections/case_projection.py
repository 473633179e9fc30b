"""The case projection: case events in, the case read model out (one class per read model)."""

from __future__ import annotations

from enum import StrEnum

from eventsourcing.persistence import IntegrityError, Tracking

from contracts.cases import CaseEvent
from services.projections.case_views import CaseView


class Applied(StrEnum):
    APPLIED = "applied"
    DUPLICATE_POSITION = "duplicate_position"


class CaseProjection:
    """Applies each case event with its Kafka position in one transaction, exactly once."""

    def __init__(self, view: CaseView) -> None:
        self.view = view

    def process_event(self, event: CaseEvent, tracking: Tracking) -> Applied:
        try:
            self.view.apply(event, tracking)
        except IntegrityError:
            recorded = self.view.max_tracking_id(tracking.application_name) or 0
            if recorded >= tracking.notification_id:
                return Applied.DUPLICATE_POSITION  # a redelivery after a crash or rebalance
            raise
        return Applied.APPLIED
