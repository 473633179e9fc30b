"""HTTP for people: case search, case detail with its history, commands, the calendar.

No ``from __future__ import annotations`` here: FastAPI must see the real dependency objects
in the signatures, and they are local to the router factories.
"""


import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query
from pydantic import BaseModel, Field

from contracts.times import Timestamp
from services.platform.auth import Caller, Credentials, Role
from services.platform.http import ApiError
from services.platform.responses import LIMITS, errors
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex, CaseQuery
from services.workflow.decisions import (
    CaseNotFoundError,
    Decision,
    NotAuthorizedError,
    Outcome,
)
from services.workflow.domain.calendar import SHANGHAI, CalendarDataError, parse_year_file
from services.workflow.domain.cases import Case
from services.workflow.domain.commands import AdvanceCase
from services.workflow.public_events import public_event

_DAY = {"type": "string", "format": "date", "examples": ["2026-01-01"]}
YEAR_FILE_DOC = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["format_version", "year", "source"],
    "description": "a year file (services/workflow/domain/yearfiles.py)",
    "properties": {
        "format_version": {"const": 1}, "year": {"type": "integer", "examples": [2026]},
        "notice": {"type": "string"}, "source": {"type": "string"}, "published": _DAY,
        "holidays": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                  "properties": {"name": {"type": "string"},
                                                                 "date": _DAY, "from": _DAY,
                                                                 "to": _DAY}}},
        "adjusted_workdays": {"type": "array", "items": _DAY}}}}}}}
_STATUS = {"not_authorized": 403, "case_not_found": 404, "invalid_reason": 422,
           "missing_argument": 422, "unknown_command": 422}


class CommandRequest(BaseModel):
    """A unit acts on a case."""

    command: str = Field(description="a command the case's state allows (see "
                         "available_commands), extend_deadline, pause_clock or resume_clock",
                         examples=["accept_complaint"])
    reason: str | None = Field(None, description="statutory reason code, when needed")
    deadline: str | None = Field(None, description="for extend_deadline / pause / resume")
    approval_ref: str | None = Field(None, description="approval document of an extension")
    args: dict[str, Any] = Field(default_factory=dict, description="e.g. {'lab': ...}")
    at: Timestamp | None = Field(None, description="when it was decided (RFC 3339 with an "
                                 "offset); default: now")


class CaseFilter(BaseModel):
    """Filters of the case search (案件查询)."""

    unit: str | None = Field(None, description="owned or co-owned by this unit")
    township: str | None = Field(None, description="e.g. township:北郊乡")
    action: int | None = Field(None, ge=1, le=13)
    kind: str | None = Field(None, description="SD, RV, RC, IV, CP, RP, AS or KA")
    state: str | None = Field(None, description="open, closed, or a track state")
    overdue: bool | None = None
    due_before: Timestamp | None = Field(None, description="RFC 3339 with an offset")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


def case_router(workflow: Workflow, index: CaseIndex, credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["cases"], responses=errors(401, 422, *LIMITS))
    Authenticated = Annotated[Caller, Depends(credentials.authenticate)]  # noqa: N806

    def visible(caller: Caller, case: Case) -> bool:
        return caller.sees_everything or caller.unit in case.owners()

    @router.get("/cases", summary="Search cases")
    async def search(caller: Authenticated, f: Annotated[CaseFilter, Query()]
                     ) -> list[dict[str, Any]]:
        unit = f.unit if caller.sees_everything else caller.unit  # a unit sees its own cases
        query = CaseQuery(unit=unit, township_unit=f.township, action=f.action, kind=f.kind,
                          state=f.state, overdue=f.overdue, due_before=f.due_before,
                          limit=f.limit, offset=f.offset)
        return await asyncio.to_thread(index.search, query)

    @router.get("/cases/{case_id}", summary="A case with its full history",
                responses=errors(404))
    async def detail(caller: Authenticated, case_id: str,
                     version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
        case, history = await asyncio.to_thread(_load, workflow, case_id, version)
        if not visible(caller, case):
            raise _not_found(case_id)  # as if missing: a unit cannot probe for case ids
        return describe(case, history)

    @router.post("/cases/{case_id}/commands", summary="Act on a case",
                 responses=errors(400, 403, 404, 409))
    async def command(caller: Authenticated, case_id: str, body: CommandRequest,
                      idempotency_key: Annotated[str | None, Header()] = None
                      ) -> dict[str, Any]:
        if caller.role is Role.AUDITOR:
            raise ApiError(403, "not_authorized", "auditors read; they do not act")
        by = "district-food-safety-office" if caller.role is Role.OFFICE else caller.unit
        message = f"http#{idempotency_key or uuid.uuid4()}"
        decision = await asyncio.to_thread(workflow.act, AdvanceCase(
            message, case_id, body.command, body.at or datetime.now(UTC), by,
            reason=body.reason, args=body.args, deadline=body.deadline,
            approval_ref=body.approval_ref))
        if decision.code == NotAuthorizedError.code:  # not an owner: as if missing
            raise _not_found(case_id)
        _raise_refusal(decision)
        case, history = await asyncio.to_thread(_load, workflow, case_id, None)
        return {"outcome": decision.outcome.value, "case": describe(case, history)}

    return router


def calendar_router(workflow: Workflow, index: CaseIndex, credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["calendar"], responses=errors(401, 422, *LIMITS))
    Authenticated = Annotated[Caller, Depends(credentials.authenticate)]  # noqa: N806

    @router.post("/calendar/years", summary="Load a year's holidays and 调休 working days",
                 responses=errors(400, 403), openapi_extra=YEAR_FILE_DOC)
    async def load_year(caller: Authenticated, year_file: Annotated[dict[str, Any], Body()]
                        ) -> dict[str, Any]:
        if caller.role is not Role.OFFICE:
            raise ApiError(403, "not_authorized", "only the district office loads calendars")
        text = json.dumps(year_file, ensure_ascii=False)
        try:
            year = parse_year_file(text).year  # checked before its year is used
            start = datetime(year, 1, 1, tzinfo=SHANGHAI)
            end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
            cases = await asyncio.to_thread(index.provisional_cases, start, end)
            changed = await asyncio.to_thread(workflow.load_year, text, cases)
        except CalendarDataError as exc:
            raise ApiError(422, "invalid_year_file", str(exc)) from None
        return {"year": year, "recomputed_cases": changed}

    return router


def _load(workflow: Workflow, case_id: str, version: int | None) -> tuple[Case, list[Any]]:
    try:
        case = workflow.get_case(case_id, version)
        history = workflow.case_history(case_id)
    except CaseNotFoundError:
        raise _not_found(case_id) from None
    return case, [e for e in history if version is None or e.originator_version <= version]


def _not_found(case_id: str) -> ApiError:
    """The one answer for a case that is missing and for one the caller may not see."""
    return ApiError(404, CaseNotFoundError.code, str(CaseNotFoundError(case_id)))


def _raise_refusal(decision: Decision) -> None:
    if decision.outcome is Outcome.REFUSED:
        code = decision.code or "refused"
        raise ApiError(_STATUS.get(code, 409), code, decision.message or code)


def describe(case: Case, history: list[Any]) -> dict[str, Any]:
    """The public view of a case: no personal data, with the commands its state allows."""
    events = [e for e in (public_event(ev, case.case_id) for ev in history) if e is not None]
    allowed = sorted(t.command for t in case.machine.transitions.values()
                     if not case.is_closed and case.tracks.get(t.track) in t.sources)
    return {
        "case_id": case.case_id, "kind": case.kind.value, "state": case.state,
        "tracks": case.tracks, "version": case.version, "assignment": case.assignment,
        "owners": sorted(case.owners()), "entity_id": case.entity_id,
        "rule_set": case.rule_set, "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "details": case.details, "available_commands": allowed,
        "deadlines": {name: _deadline(d) for name, d in case.deadlines.items()},
        "history": [{"version": e.version, "type": e.type, "at": e.occurred_at.isoformat(),
                     "by": e.data.get("by"), "command": e.data.get("command"),
                     "from": e.data.get("source"), "to": e.data.get("target"),
                     "reason": e.data.get("reason"), "deadline": e.data.get("name"),
                     "recorded_at": e.data.get("recorded_at")} for e in events],
    }


def _deadline(d: dict[str, Any]) -> dict[str, Any]:
    keys = ("due_at", "warn_at", "started_at", "met_at", "provisional", "status", "warned",
            "overdue", "escalated_to", "extensions", "paused_since", "budget", "rule_set")
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in d.items()
            if k in keys}
