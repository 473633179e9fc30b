"""The workflow application: the only writer of case state (load, decide, save)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking
from eventsourcing.popo import POPOFactory
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import Environment

from services.workflow.decisions import CaseNotFoundError, Decision, Outcome, decide, reads
from services.workflow.domain.calendar import SHANGHAI, YearCalendar
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import AdvanceCase, WorkflowCommand
from services.workflow.domain.kinds import case_uuid
from services.workflow.domain.stored_years import StoredYear
from services.workflow.domain.yearfiles import parse_year_file
from services.workflow.errors import ConcurrencyConflictError
from services.workflow.inbox import InboxRecorder, POPOInboxRecorder, recorder_topic
from services.workflow.policy import CasePolicy
from services.workflow.session import Session
from services.workflow.translate import annual_summaries_message, annual_summary_case

Message = tuple[str, list[WorkflowCommand]]  # (message id, what it asks)
T = TypeVar("T")


class Workflow(EventSourcedProjection[UUID]):
    """Turns facts and commands into case events; records them with their Kafka position."""

    name = "workflow"
    max_attempts = 5

    def __init__(self, env: dict[str, str] | None = None, *,
                 policy: CasePolicy | None = None) -> None:
        super().__init__(env)
        self.case_policy = policy or CasePolicy.default()
        for year in self.stored_years():
            self.case_policy.load_year(year)

    def construct_env(self, name: str, env: Any = None) -> Environment:
        """The recorder of the chosen store with the workflow's inbox table (``inbox.py``)."""
        environment = super().construct_env(name, env)
        topic = recorder_topic(environment.get("PERSISTENCE_MODULE") or "")
        if topic is not None:
            environment["PROCESS_RECORDER_TOPIC"] = topic
        return environment

    def construct_recorder(self) -> ProcessRecorder:
        if isinstance(self.factory, POPOFactory):
            return POPOInboxRecorder()
        return super().construct_recorder()

    # Kafka: one transaction per batch of consecutive records of one partition ---------------

    def handle(self, messages: Sequence[Message], tracking: Tracking) -> list[Decision]:
        """Decide every message; record the events, inbox entries and position atomically."""
        for _ in range(self.max_attempts):
            session = self._session()
            session.load((mid for mid, _ in messages),  # the inbox and every aggregate that
                         (i for _, cs in messages for c in cs for i in reads(c)))  # it may touch
            decisions = [self._decide_message(mid, commands, session)
                         for mid, commands in messages]
            try:
                self._commit(session, tracking)
            except IntegrityError:
                if self.recorder.has_tracking_id(tracking.application_name,
                                                 tracking.notification_id):
                    return [Decision(Outcome.DUPLICATE_POSITION)] * len(messages)
                continue  # another writer changed one of these cases: decide again
            return decisions
        raise ConcurrencyConflictError(f"{len(messages)} messages at {tracking}")

    def _decide_message(self, message_id: str, commands: list[WorkflowCommand],
                        session: Session) -> Decision:
        if session.seen(message_id):
            return Decision(Outcome.DUPLICATE_MESSAGE)
        decisions = [decide(command, session, self.case_policy) for command in commands]
        session.receive(message_id)
        for outcome in (Outcome.REFUSED, Outcome.APPLIED):  # a refusal first, then a change
            found = next((d for d in decisions if d.outcome is outcome), None)
            if found is not None:
                return found
        return decisions[0] if decisions else Decision(Outcome.UNCHANGED)

    def _session(self) -> Session:
        return Session(self.repository, cast("InboxRecorder", self.recorder))

    def _commit(self, session: Session, tracking: Tracking | None = None) -> None:
        """Record a session's new events, its inbox entries and the position, atomically."""
        processing = ProcessingEvent[UUID](tracking=tracking)
        for aggregate in session.touched():  # (collect_events() checks protocols per object)
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs["inbox"] = session.received
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)

    # people over HTTP ------------------------------------------------------------------------

    def act(self, command: AdvanceCase) -> Decision:
        """A unit acts on a case; a repeat of an applied message id changes nothing.

        A refusal records nothing, not even the message id: the same request sent again is
        decided again (refused again, or applied once the case allows it), never answered as
        a duplicate of something that did not happen. If other writers changed the case
        before each of its ``max_attempts`` saves, the refusal is ``concurrent_update``.
        """
        def decide_once(session: Session) -> Decision:
            mid = command.message_id
            if session.seen(mid):
                return Decision(Outcome.DUPLICATE_MESSAGE, command.case_id)
            decision = decide(command, session, self.case_policy)
            if decision.outcome is not Outcome.REFUSED:
                session.receive(mid)
            elif cast("InboxRecorder", self.recorder).select_inbox([mid]):
                # read after the case: the same request, sent twice, changed it meanwhile
                return Decision(Outcome.DUPLICATE_MESSAGE, command.case_id)
            return decision

        try:
            return self._save_with_retries(decide_once)
        except ConcurrencyConflictError:
            return Decision(Outcome.REFUSED, command.case_id, ConcurrencyConflictError.code,
                            f"case {command.case_id} changed under {self.max_attempts} attempts "
                            "to record the command; nothing was recorded, send it again")

    def fire_timer(self, case_id: str, deadline: str, kind: str, now: datetime) -> bool:
        """Fire one warning or overdue timer; exactly once however many instances try."""
        def fire(session: Session) -> Decision:
            case: Case | None = session.get(case_uuid(case_id))
            if case is None or not case.fire(deadline, kind, now=now,
                                             escalate_to=self.case_policy.escalation_target(now)):
                return Decision(Outcome.UNCHANGED, case_id)
            return Decision(Outcome.APPLIED, case_id)

        return self._save_with_retries(fire).outcome is Outcome.APPLIED

    def open_annual_summaries(self, now: datetime) -> list[str]:
        """Open the annual summary case (AS) of every action for each plan year begun by ``now``.

        One command per plan year with a deterministic message id, so a repeat (a restart, a
        second instance, the next poll) is a no-op found in the inbox; the case ids are
        deterministic too, so a summary fact that came first leaves its case as it is. Returns
        the ids of the cases this call opened.
        """
        plan = self.case_policy.router.plan
        years = [y for y in range(plan.period[0], plan.period[1] + 1)
                 if datetime(y, 1, 1, tzinfo=SHANGHAI) <= now]

        def open_cases(session: Session) -> list[str]:
            messages = {annual_summaries_message(plan.id, year): year for year in years}
            session.check_inbox(messages)
            due = {mid: [annual_summary_case(mid, year, action.number)
                         for action in plan.actions]
                   for mid, year in messages.items() if not session.seen(mid)}
            session.prefetch(case_uuid(c.case_id) for cs in due.values() for c in cs)
            opened = []
            for mid, commands in due.items():
                opened += [d.case_id for c in commands if (d := decide(
                    c, session, self.case_policy)).outcome is Outcome.APPLIED and d.case_id]
                session.receive(mid)
            return opened

        return self._save_with_retries(open_cases)

    def load_year(self, text: str, case_ids: Sequence[str]) -> int:
        """Store a year file (a command), then recompute the provisional deadlines it settles.

        Raises ``CalendarDataError`` for a file that does not parse; nothing is stored then.
        """
        year = parse_year_file(text)
        self._save_with_retries(lambda session: _store_year(session, year.year, text))
        self.case_policy.load_year(year)
        return sum(self._recompute(case_id) for case_id in case_ids)

    def _recompute(self, case_id: str) -> int:
        def recompute(session: Session) -> Decision:
            case: Case | None = session.get(case_uuid(case_id))
            if case is None:
                return Decision(Outcome.UNCHANGED)
            planner = self.case_policy.planner_for(case)
            changed = [n for n in list(case.deadlines) if case.recompute(n, planner=planner)]
            return Decision(Outcome.APPLIED if changed else Outcome.UNCHANGED, case_id)

        return int(self._save_with_retries(recompute).outcome is Outcome.APPLIED)

    def _save_with_retries(self, unit_of_work: Callable[[Session], T]) -> T:
        for _ in range(self.max_attempts):
            session = self._session()
            decision = unit_of_work(session)
            if not session.received and not session.touched():
                return decision  # nothing to record
            try:
                self._commit(session)
            except IntegrityError:
                continue  # a concurrent writer (a timer, another unit): reload and decide again
            return decision
        raise ConcurrencyConflictError("retries exhausted")

    # reading ---------------------------------------------------------------------------------

    def get_case(self, case_id: str, version: int | None = None) -> Case:
        try:
            case: Case = self.repository.get(case_uuid(case_id), version=version)
        except AggregateNotFoundError:
            raise CaseNotFoundError(case_id) from None
        return case

    def case_history(self, case_id: str) -> list[Any]:
        self.get_case(case_id)
        return list(self.events.get(case_uuid(case_id)))

    def stored_years(self) -> list[YearCalendar]:
        this_year = datetime.now(UTC).astimezone(SHANGHAI).year
        found = []
        for year in range(2004, this_year + 3):
            stored = _get(self.repository, StoredYear.create_id(year))
            if stored is not None:
                found.append(stored.calendar)
        return found


def _store_year(session: Session, year: int, text: str) -> Decision:
    stored: StoredYear | None = session.get(StoredYear.create_id(year))
    if stored is None:
        session.add(StoredYear(year=year, text=text))
    elif stored.text != text:
        stored.replace(text)
    return Decision(Outcome.APPLIED)


def _get(repository: Any, aggregate_id: UUID) -> Any:
    try:
        return repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
