"""HTTP for the trace-back read model: traces, recall scope, mismatches, spreadsheets, dossiers.

No ``from __future__ import annotations`` here: FastAPI must see the real dependency objects
in the signatures, and they are local to the router factory.

**Lot codes in the path.** ``/lots/{lot}/...`` takes the lot code percent-encoded once, as any
path segment (a Digital Link's slashes may be encoded as ``%2F`` or left as they are: the route
takes the rest of the path up to the final segment). The server decodes it once, so a canonical
lot that itself holds ``%2F`` is sent as ``%252F``. Any spelling of a GS1 lot (EPC URN or
Digital Link on any host) finds the same lot: it is normalised before the query.

**Access.** Every endpoint needs a unit's bearer token. Traces, recall scopes, mismatches and
spreadsheets are open to every authenticated unit: they describe lots and movements between
businesses, and a township or department acting on a recall must see the whole chain. An entity
dossier is open to the district office and auditors, to the township unit of the entity's
township (``township:<name>``), and to a unit that leads or co-handles one of the entity's cases;
anyone else gets the 404 of an unknown entity, so a unit cannot learn what the platform knows.
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from contracts.times import Timestamp
from services.platform.auth import Caller, Credentials
from services.platform.http import ApiError
from services.platform.responses import LIMITS, errors
from services.projections.trace.analysis import InvalidCursorError
from services.projections.trace.interface import DEFAULT_DEPTH, DEFAULT_LIMIT, MAX_DEPTH, TraceView
from services.projections.trace.spreadsheet import lot_spreadsheet, range_spreadsheet

MAX_PAGE = 5000
_CSV = "text/csv; charset=utf-8"



class Window(BaseModel):
    """How far a trace goes: links from the lot, and a time window ``[since, until)``."""

    depth: int = Field(DEFAULT_DEPTH, ge=0, le=MAX_DEPTH, description="links to follow")
    since: Timestamp | None = Field(None, description="from this time (RFC 3339 with an "
                                        "offset; a zone is never guessed)")
    until: Timestamp | None = Field(None, description="before this time")


class PageQuery(Window):
    """A window and a page of it."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_PAGE, description="lots and movements "
                       "per page")
    cursor: str | None = Field(None, description="next_cursor of the previous page")


def _page_json(page: Any) -> dict[str, Any]:
    return {"lot": page.lot, "direction": page.direction, "depth": page.depth,
            "lots": page.lots, "movements": page.movements, "next_cursor": page.next_cursor}


def _csv(text: str, filename: str) -> Response:
    return Response(text, media_type=_CSV,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def may_see_dossier(caller: Caller, dossier: dict[str, Any]) -> bool:
    """District office and auditors: all; a township: its entities; a unit: its cases'."""
    if caller.sees_everything:
        return True
    registration = dossier.get("registration") or {}
    if registration.get("township") and caller.unit == f"township:{registration['township']}":
        return True
    return any(caller.unit in (case.get("lead"), case.get("township_unit"),
                               *(case.get("co_units") or [])) for case in dossier["cases"])


def trace_router(view: TraceView, credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["trace"], responses=errors(401, 422, *LIMITS))
    Authenticated = Annotated[Caller, Depends(credentials.authenticate)]  # noqa: N806

    async def known(lot: str) -> None:
        try:
            found = await asyncio.to_thread(view.lot, lot)
        except ValueError as exc:
            raise ApiError(422, "invalid_lot", str(exc)) from None
        if found is None:
            raise ApiError(404, "lot_not_found", f"no fact names lot {lot!r}")

    async def walk(direction: str, lot: str, q: PageQuery) -> dict[str, Any]:
        await known(lot)
        query = view.upstream if direction == "up" else view.downstream
        try:
            page = await asyncio.to_thread(query, lot, q.depth, q.since, q.until, q.limit,
                                           q.cursor)
        except InvalidCursorError as exc:
            raise ApiError(422, "invalid_cursor", str(exc)) from None
        return _page_json(page)

    @router.get("/lots/{lot:path}/upstream", summary="Where a lot came from (trace back)",
                responses=errors(404))
    async def upstream(_: Authenticated, lot: str,
                       q: Annotated[PageQuery, Query()]) -> dict[str, Any]:
        return await walk("up", lot, q)

    @router.get("/lots/{lot:path}/downstream", summary="Where a lot went (trace forward)",
                responses=errors(404))
    async def downstream(_: Authenticated, lot: str,
                         q: Annotated[PageQuery, Query()]) -> dict[str, Any]:
        return await walk("down", lot, q)

    @router.get("/lots/{lot:path}/recall-scope", responses=errors(404),
                summary="Every downstream business, its township and what it received")
    async def recall_scope(_: Authenticated, lot: str,
                           q: Annotated[Window, Query()]) -> list[dict[str, Any]]:
        await known(lot)
        return await asyncio.to_thread(view.recall_scope, lot, q.depth, q.since, q.until)

    @router.get("/lots/{lot:path}/mismatches", responses=errors(404),
                summary="Shipped vs received quantities and unmatched receipts of a lot")
    async def mismatches(_: Authenticated, lot: str) -> list[dict[str, Any]]:
        await known(lot)
        return await asyncio.to_thread(view.mismatches, lot)

    @router.get("/lots/{lot:path}/spreadsheet.csv", response_class=Response,
                responses={200: {"content": {_CSV: {}}}, **errors(404)},
                summary="Sortable traceability spreadsheet of a lot's trace (FSMA 204 KDEs)")
    async def lot_csv(_: Authenticated, lot: str, q: Annotated[Window, Query()]) -> Response:
        await known(lot)
        text = await asyncio.to_thread(lot_spreadsheet, view, lot, depth=q.depth,
                                       since=q.since, until=q.until)
        return _csv(text, "trace-lot.csv")

    @router.get("/spreadsheet.csv", response_class=Response,
                responses={200: {"content": {_CSV: {}}}},
                summary="Sortable traceability spreadsheet of every event in a date range")
    async def range_csv(_: Authenticated,
                        start: Annotated[Timestamp, Query(alias="from")],
                        end: Annotated[Timestamp, Query(alias="to")]) -> Response:
        if end <= start:
            raise ApiError(422, "empty_range", "'to' must be after 'from'")
        text = await asyncio.to_thread(range_spreadsheet, view, start, end)
        return _csv(text, "trace-range.csv")

    @router.get("/entities/{entity_id}", responses=errors(404),
                summary="An entity's dossier: registration, "
                "inspections, samplings, complaints (no personal data), cases")
    async def dossier(caller: Authenticated, entity_id: str) -> dict[str, Any]:
        found = await asyncio.to_thread(view.dossier, entity_id)
        if found is None or not may_see_dossier(caller, found):  # not yours: as if unknown
            raise ApiError(404, "entity_not_found", f"nothing is known of {entity_id}")
        return found

    return router
