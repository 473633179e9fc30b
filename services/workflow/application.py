"""The workflow application: the only writer of case state (load, decide, save)."""

from __future__ import annotations

from enum import StrEnum
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import EventSourcedProjection

from services.workflow.domain.cases import Case, CaseKind, InboxEntry, case_uuid
from services.workflow.domain.commands import NoAction, OpenSamplingDisposal, WorkflowCommand
from services.workflow.errors import CaseNotFoundError, ConcurrencyConflictError


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE_POSITION = "duplicate_position"
    DUPLICATE_MESSAGE = "duplicate_message"


class Workflow(EventSourcedProjection[UUID]):
    """Turns facts into cases; records new events, inbox entry and Kafka position atomically."""

    name = "workflow"
    max_attempts = 5

    def handle(self, command: WorkflowCommand, tracking: Tracking) -> Outcome:
        """Apply a command once; a redelivered or repeated message changes nothing."""
        for _ in range(self.max_attempts):
            try:
                self.process_event(command, tracking)  # type: ignore[arg-type]
            except IntegrityError:
                if self.recorder.has_tracking_id(tracking.application_name,
                                                 tracking.notification_id):
                    return Outcome.DUPLICATE_POSITION
                if InboxEntry.create_id(command.message_id) in self.repository:
                    return Outcome.DUPLICATE_MESSAGE
                continue  # a concurrent writer won the race: reload and decide again
            return Outcome.APPLIED
        raise ConcurrencyConflictError(command.message_id)

    @singledispatchmethod
    def policy(self, command: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Commands without a rule record only their position."""

    @policy.register
    def _no_action(self, command: NoAction, processing_event: ProcessingEvent[UUID]) -> None:
        """Nothing to open or change."""

    @policy.register
    def _open_sampling_disposal(
        self, command: OpenSamplingDisposal, processing_event: ProcessingEvent[UUID]
    ) -> None:
        if case_uuid(command.case_id) in self.repository:
            return  # the case is open already: a re-report of the same sample
        case = Case(
            case_id=command.case_id,
            kind=CaseKind.SAMPLING_DISPOSAL,
            entity_id=command.entity_id,
            opened_at=command.reported_at,
            fact_id=command.message_id,
            details={
                "sample_id": command.sample_id,
                "lot_code": command.lot_code,
                "product": command.product,
                "program": command.program,
                "sampled_at": command.sampled_at.isoformat(),
            },
        )
        processing_event.collect_events(case, InboxEntry(message_id=command.message_id))

    def get_case(self, case_id: str) -> Case:
        try:
            case: Case = self.repository.get(case_uuid(case_id))
        except AggregateNotFoundError:
            raise CaseNotFoundError(case_id) from None
        return case

    def case_history(self, case_id: str) -> list[Any]:
        self.get_case(case_id)
        return list(self.events.get(case_uuid(case_id)))
