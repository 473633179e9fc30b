"""What the workflow decides for each domain command, inside one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from services.workflow.domain.businesses import Business, KitchenDay, business_uuid
from services.workflow.domain.calendar import local_date
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import (
    AdvanceCase,
    CountKitchenAlert,
    NoAction,
    OpenCase,
    RegisterBusiness,
    WorkflowCommand,
)
from services.workflow.domain.errors import CaseError
from services.workflow.domain.kinds import CaseKind, case_uuid
from services.workflow.domain.machines import MACHINES
from services.workflow.domain.rulesets import NoRuleSetError
from services.workflow.policy import DISTRICT_OFFICE, CasePolicy
from services.workflow.session import Session

SYSTEM = "system"


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # e.g. the case was open already
    REFUSED = "refused"
    DUPLICATE_POSITION = "duplicate_position"
    DUPLICATE_MESSAGE = "duplicate_message"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    case_id: str | None = None
    code: str | None = None
    message: str | None = None


class NotAuthorizedError(CaseError):
    code = "not_authorized"

    def __init__(self, case_id: str, unit: str) -> None:
        super().__init__(case_id, f"unit {unit!r} does not own case {case_id}")


class CaseNotFoundError(CaseError):
    code = "case_not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id, f"no case {case_id!r}")


def decide(command: WorkflowCommand, session: Session, policy: CasePolicy) -> Decision:
    """Apply one command to the aggregates of the session; a refusal changes nothing."""
    try:
        return _dispatch(command, session, policy)
    except CaseError as refused:
        return Decision(Outcome.REFUSED, refused.case_id, refused.code, str(refused))
    except NoRuleSetError as exc:
        return Decision(Outcome.REFUSED, getattr(command, "case_id", None), "no_rule_set",
                        str(exc))


def reads(command: WorkflowCommand) -> Iterator[UUID]:
    """The aggregates ``decide`` may load for ``command``, to fetch a batch's all at once.

    Only a hint: an aggregate not named here is still loaded when it is needed.
    """
    if isinstance(command, OpenCase):
        yield case_uuid(command.case_id)
        if command.entity_id:
            yield business_uuid(command.entity_id)
    elif isinstance(command, AdvanceCase):
        yield case_uuid(command.case_id)
    elif isinstance(command, RegisterBusiness):
        yield business_uuid(command.entity_id)
    elif isinstance(command, CountKitchenAlert):
        day = local_date(command.observed_at).isoformat()
        yield KitchenDay.create_id(command.entity_id, day)
        yield case_uuid(f"KA-{command.entity_id}-{day}")
        yield business_uuid(command.entity_id)


def _dispatch(command: WorkflowCommand, session: Session, policy: CasePolicy) -> Decision:
    if isinstance(command, OpenCase):
        return open_case(command, session, policy)
    if isinstance(command, AdvanceCase):
        return advance_case(command, session, policy)
    if isinstance(command, RegisterBusiness):
        return register_business(command, session)
    if isinstance(command, CountKitchenAlert):
        return count_kitchen_alert(command, session, policy)
    assert isinstance(command, NoAction)
    return Decision(Outcome.UNCHANGED)


def open_case(command: OpenCase, session: Session, policy: CasePolicy) -> Decision:
    if session.get(case_uuid(command.case_id)) is not None:
        return Decision(Outcome.UNCHANGED, command.case_id)
    business = session.get(business_uuid(command.entity_id)) if command.entity_id else None
    rules = policy.rules_for(command.kind, command.opened_at)
    planner = policy.planner(command.kind, rules, command.opened_at, command.details,
                             command.fixed)
    machine = MACHINES[command.kind]
    deadlines = {name: spec for name in machine.opening_deadlines if name not in command.skip
                 and (spec := planner.due(name, command.opened_at)) is not None}
    session.add(Case(
        case_id=command.case_id, kind=command.kind, opened_at=command.opened_at,
        fact_id=command.message_id, entity_id=command.entity_id,
        assignment=policy.assignment(command, business), rule_set=rules.id,
        tracks={**machine.tracks, **command.tracks}, deadlines=deadlines,
        details=command.details, private=command.private,
    ))
    return Decision(Outcome.APPLIED, command.case_id)


def advance_case(command: AdvanceCase, session: Session, policy: CasePolicy) -> Decision:
    case: Case | None = session.get(case_uuid(command.case_id))
    if case is None:
        raise CaseNotFoundError(command.case_id)
    if command.by not in {SYSTEM, DISTRICT_OFFICE} and command.by not in case.owners():
        raise NotAuthorizedError(command.case_id, command.by)
    planner = policy.planner_for(case)
    name = command.deadline or ""
    if command.command == "extend_deadline":
        case.extend(name, approval_ref=command.approval_ref or "", at=command.at,
                    by=command.by, planner=planner)
    elif command.command == "pause_clock":
        case.pause_clock(name, at=command.at, by=command.by, reason=command.reason or "")
    elif command.command == "resume_clock":
        case.resume_clock(name, at=command.at, by=command.by, planner=planner)
    else:
        case.advance(command.command, at=command.at, by=command.by, planner=planner,
                     reason=command.reason, args=command.args)
    return Decision(Outcome.APPLIED, command.case_id)


def register_business(command: RegisterBusiness, session: Session) -> Decision:
    business: Business | None = session.get(business_uuid(command.entity_id))
    if business is None:
        session.add(Business(command.entity_id, command.name, command.kind, command.township,
                             command.risk_grade))
    else:
        business.update(command.name, command.kind, command.township, command.risk_grade)
    return Decision(Outcome.APPLIED)


def count_kitchen_alert(command: CountKitchenAlert, session: Session,
                        policy: CasePolicy) -> Decision:
    day = local_date(command.observed_at).isoformat()
    tally: KitchenDay | None = session.get(KitchenDay.create_id(command.entity_id, day))
    if tally is None:
        tally = KitchenDay(entity_id=command.entity_id, day=day)
        session.add(tally)
    tally.count(command.alert)
    if len(tally.alerts) != policy.kitchen_threshold(command.observed_at):
        return Decision(Outcome.APPLIED)
    return open_case(OpenCase(
        command.message_id, tally.case_id, CaseKind.KITCHEN_ALERTS, command.observed_at,
        "kitchen_alert", command.entity_id, details={"day": day,
                                                     "alerts": list(tally.alerts)}),
        session, policy)
