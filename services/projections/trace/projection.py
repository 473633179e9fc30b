"""The trace projection: facts and case events in, the trace read model out.

``apply`` writes a batch and its Kafka position in one transaction. The position is the
caller's: ``tracking.application_name`` names the stream (e.g.
``trace:kafka:<topic>:<partition>``) and ``tracking.notification_id`` is the next offset to
read. A batch whose position is not beyond the one recorded (a redelivery after a crash or a
rebalance) is **ignored**: nothing is written and ``apply`` returns normally (the view's own
``write`` raises eventsourcing's ``IntegrityError`` for it). Before applying, the caller asks
:meth:`gap` whether the batch's first offset follows the recorded position, and reports a gap.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError, Tracking

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.trace.interface import TraceView


class TraceProjection:
    """Applies batches of trace, supervision and case events to a :class:`TraceView`."""

    def __init__(self, view: TraceView) -> None:
        self.view = view
        self.skipped = 0  # malformed facts skipped (logged), over the projection's life

    def apply(self, events: Sequence[CloudEvent | CaseEvent], tracking: Tracking) -> None:
        """Write every row of the batch and the position in one transaction; ignore a
        redelivered position (see the module docstring); other facts types are ignored."""
        try:
            skipped = self.view.write_events(events, tracking)
        except IntegrityError:
            if self.position(tracking.application_name) >= tracking.notification_id:
                return  # already applied: a redelivery
            raise
        self.skipped += skipped

    def position(self, application_name: str) -> int:
        """The recorded position of a stream (the next offset to read); 0 if none."""
        return self.view.max_tracking_id(application_name) or 0

    def gap(self, application_name: str, first_offset: int) -> tuple[int, int] | None:
        """``(expected, got)`` when a batch would start after the next offset recorded, i.e.
        offsets were skipped (compacted, expired or lost); None when it follows on. The caller
        reports a gap (log and metric); it never passes unnoticed."""
        expected = self.position(application_name)
        return (expected, first_offset) if first_offset > expected else None
