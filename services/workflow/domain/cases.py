"""Cases (案件): the units of supervision work that facts turn into.

A case follows the state machine of its kind (``machines``). Commands are checked against it
first and refused with a named error that changes nothing; only then is an event recorded. The
deadlines a move starts are computed by a ``DeadlinePlanner`` (calendar and rule set in force)
and stored in the event, so replaying a case never consults today's calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.workflow.domain.errors import (
    CaseClosedError,
    CommandNotAllowedError,
    DeadlineNotRunningError,
    InvalidReasonError,
    MissingArgumentError,
    NotExtendableError,
    NotPausableError,
    UnknownCommandError,
)
from services.workflow.domain.kinds import CaseKind, case_uuid
from services.workflow.domain.machines import MACHINES, Machine, Transition
from services.workflow.domain.ruleitems import NoExtensionError

DueSpec = dict[str, Any]  # due_at, warn_at, provisional, budget, started_at (all JSON-able)


class DeadlinePlanner(Protocol):
    """Computes deadlines from the rule set in force and the working-day calendar."""

    def due(self, name: str, start: datetime, *, pauses: list[list[Any]] | None = None,
            extensions: int = 0) -> DueSpec | None: ...
    def allowed(self, list_name: str) -> frozenset[str]: ...


class Case(Aggregate):
    """A supervision case owned by the units the work plan names."""

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return case_uuid(case_id)

    @event("Opened")
    def __init__(  # noqa: PLR0917 - keyword defaults need positional-or-keyword parameters here
        self, case_id: str, kind: CaseKind, opened_at: datetime, fact_id: str,
        entity_id: str | None, assignment: dict[str, Any], rule_set: str,
        tracks: dict[str, str], deadlines: dict[str, DueSpec], details: dict[str, Any],
        private: dict[str, Any] | None = None,
    ) -> None:
        self.case_id = case_id
        self.kind = CaseKind(kind)
        self.opened_at = opened_at
        self.fact_id = fact_id
        self.entity_id = entity_id
        self.assignment = dict(assignment)
        self.rule_set = rule_set
        self.tracks = dict(tracks)
        self.deadlines = {name: _running(spec) for name, spec in deadlines.items()}
        self.details = dict(details)
        self.private = dict(private or {})  # personal data: encrypted at rest, never published
        self.closed_at: datetime | None = None
        self.history: list[dict[str, Any]] = []

    @property
    def machine(self) -> Machine:
        return MACHINES[self.kind]

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def state(self) -> str:
        """One word for people: 'closed', or the states of the tracks joined by '+'."""
        return "closed" if self.is_closed else "+".join(self.tracks.values())

    def owners(self) -> set[str]:
        found = {self.assignment.get("lead"), *self.assignment.get("co_units", ()),
                 self.assignment.get("township_unit")}
        return {unit for unit in found if unit}

    # commands -------------------------------------------------------------------------------

    def advance(self, command: str, *, at: datetime, by: str, planner: DeadlinePlanner,
                reason: str | None = None, args: dict[str, Any] | None = None) -> None:
        """Apply a command of the case's state machine, or refuse it and change nothing."""
        args = dict(args or {})
        move = self._check_move(command, reason, args, planner)
        stops = [n for n in move.stops if self._is_running(n)]
        started = {n: spec for n in move.starts if (spec := planner.due(n, at)) is not None}
        tracks = {**self.tracks, move.track: move.target}
        running = {n for n, d in self.deadlines.items() if d["status"] == "running"}
        open_after = (running - set(stops)) | set(started)
        finished = all(state in self.machine.finals[t] for t, state in tracks.items())
        closes = move.closes or (finished and not open_after)
        self._advanced(command=command, track=move.track, source=self.tracks[move.track],
                       target=move.target, at=at, by=by, reason=reason, args=args,
                       stopped=stops, started=started, closes=closes, tracks=tracks)

    def fire(self, name: str, kind: str, *, now: datetime, escalate_to: str) -> bool:
        """Fire a deadline's warning or overdue timer once; False if there is nothing to do."""
        deadline = self.deadlines.get(name)
        if self.is_closed or deadline is None or deadline["status"] != "running":
            return False
        moment = deadline["warn_at"] if kind == "warn" else deadline["due_at"]
        already = deadline["warned"] if kind == "warn" else deadline["overdue"]
        if already or moment is None or moment > now:
            return False
        if kind == "warn":
            self._warned(name=name, at=moment)
        else:
            self._overdue(name=name, at=moment, escalated_to=escalate_to)
        return True

    def extend(self, name: str, *, approval_ref: str, at: datetime, by: str,
               planner: DeadlinePlanner) -> None:
        """Lengthen a deadline by the extension its rule allows (延期), with an approval."""
        self._check_open()
        if name not in self.machine.extendable:
            raise NotExtendableError(self.case_id, name)
        deadline = self._running_deadline(name)
        try:
            spec = planner.due(name, deadline["started_at"], pauses=deadline["pauses"],
                               extensions=deadline["extensions"] + 1)
        except NoExtensionError:  # the case's rule set grants this limit no extension
            raise NotExtendableError(self.case_id, name) from None
        if spec is None or not approval_ref.strip():
            raise MissingArgumentError(self.case_id, "approval_ref")
        self._extended(name=name, approval_ref=approval_ref, at=at, by=by, spec=spec)

    def pause_clock(self, name: str, *, at: datetime, by: str, reason: str) -> None:
        """Stop a deadline's clock (e.g. testing time excluded from mediation, 中止)."""
        self._check_open()
        if name not in self.machine.pausable:
            raise NotPausableError(self.case_id, name)
        if self._running_deadline(name)["paused_since"] is not None:
            raise CommandNotAllowedError(self.case_id, "pause_clock", "paused")
        self._paused(name=name, at=at, by=by, reason=reason)

    def resume_clock(self, name: str, *, at: datetime, by: str, planner: DeadlinePlanner) -> None:
        self._check_open()
        deadline = self._running_deadline(name)
        if deadline["paused_since"] is None:
            raise CommandNotAllowedError(self.case_id, "resume_clock", "running")
        pauses = [*deadline["pauses"], [deadline["paused_since"], at, deadline["paused_kind"]]]
        spec = planner.due(name, deadline["started_at"], pauses=pauses,
                           extensions=deadline["extensions"])
        self._resumed(name=name, at=at, by=by, spec=spec or {})

    def recompute(self, name: str, *, planner: DeadlinePlanner) -> bool:
        """Recompute a provisional deadline once its year's calendar is known."""
        deadline = self.deadlines.get(name)
        if deadline is None or not deadline["provisional"] or deadline["status"] != "running":
            return False
        spec = planner.due(name, deadline["started_at"], pauses=deadline["pauses"],
                           extensions=deadline["extensions"])
        if spec is None or spec["provisional"]:
            return False
        self._recomputed(name=name, spec=spec)
        return True

    # checks ---------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.is_closed:
            raise CaseClosedError(self.case_id)

    def _check_move(self, command: str, reason: str | None, args: dict[str, Any],
                    planner: DeadlinePlanner) -> Transition:
        self._check_open()
        move = self.machine.transition(command)
        if move is None:
            raise UnknownCommandError(self.case_id, command)
        if self.tracks.get(move.track) not in move.sources:
            raise CommandNotAllowedError(self.case_id, command, self.state)
        if move.reasons is not None and reason not in planner.allowed(move.reasons):
            raise InvalidReasonError(self.case_id, command, reason,
                                     sorted(planner.allowed(move.reasons)))
        missing = [name for name in move.needs if not args.get(name)]
        if missing:
            raise MissingArgumentError(self.case_id, missing[0])
        return move

    def _is_running(self, name: str) -> bool:
        deadline = self.deadlines.get(name)
        return deadline is not None and deadline["status"] == "running"

    def _running_deadline(self, name: str) -> dict[str, Any]:
        if not self._is_running(name):
            raise DeadlineNotRunningError(self.case_id, name)
        return self.deadlines[name]

    # mutators (they also run on replay: no checks, no clocks) --------------------------------

    @event("Advanced")
    def _advanced(
        self, *, command: str, track: str, source: str, target: str, at: datetime, by: str,
        reason: str | None, args: dict[str, Any], stopped: list[str],
        started: dict[str, DueSpec], closes: bool, tracks: dict[str, str],
    ) -> None:
        self.tracks = dict(tracks)
        for name in stopped:
            self.deadlines[name].update(status="met", met_at=at)
        for name, spec in started.items():
            self.deadlines[name] = _running(spec)
        if closes:
            self.closed_at = at
            for deadline in self.deadlines.values():
                if deadline["status"] == "running":
                    deadline.update(status="cleared", met_at=at)
        self.history.append({"command": command, "at": at, "by": by, "from": source,
                             "to": target, "reason": reason})

    @event("DeadlineWarned")
    def _warned(self, *, name: str, at: datetime) -> None:
        self.deadlines[name]["warned"] = True

    @event("DeadlineOverdue")
    def _overdue(self, *, name: str, at: datetime, escalated_to: str) -> None:
        self.deadlines[name].update(overdue=True, escalated_to=escalated_to)

    @event("DeadlineExtended")
    def _extended(self, *, name: str, approval_ref: str, at: datetime, by: str,
                  spec: DueSpec) -> None:
        deadline = self.deadlines[name]
        deadline.update(due_at=spec["due_at"], warn_at=spec["warn_at"],
                        provisional=spec["provisional"], extensions=deadline["extensions"] + 1,
                        overdue=False, warned=False)

    @event("ClockPaused")
    def _paused(self, *, name: str, at: datetime, by: str, reason: str) -> None:
        self.deadlines[name].update(paused_since=at, paused_kind=reason)

    @event("ClockResumed")
    def _resumed(self, *, name: str, at: datetime, by: str, spec: DueSpec) -> None:
        deadline = self.deadlines[name]
        deadline["pauses"] = [*deadline["pauses"],
                              [deadline["paused_since"], at, deadline["paused_kind"]]]
        deadline.update(paused_since=None, paused_kind=None)
        if spec:
            deadline.update(due_at=spec["due_at"], warn_at=spec["warn_at"],
                            provisional=spec["provisional"])

    @event("DeadlineRecomputed")
    def _recomputed(self, *, name: str, spec: DueSpec) -> None:
        self.deadlines[name].update(due_at=spec["due_at"], warn_at=spec["warn_at"],
                                    provisional=spec["provisional"])


def _running(spec: DueSpec) -> dict[str, Any]:
    return {**spec, "status": "running", "warned": False, "overdue": False, "met_at": None,
            "escalated_to": None, "paused_since": None, "paused_kind": None, "pauses": [],
            "extensions": 0}


class InboxEntry(Aggregate):
    """A message acted on, as stores written before the inbox table recorded it (收件登记).

    No longer written: the inbox is a table beside the event store (``services.workflow.inbox``).
    Kept so that the notifications of older stores still decode.
    """

    @staticmethod
    def create_id(message_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"fangxin:inbox:{message_id}")

    @event("Received")
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
