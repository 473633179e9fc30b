"""HTTP for the assessment (评议考核): figures, CSV, canteen coverage, ranking, bulletin.

No ``from __future__ import annotations`` here: FastAPI must see the real dependency objects in
the signatures, and they are local to the router factory.

Access: the district office and auditors see everything; a township unit (``township:<name>``)
sees the figures of its township's records; any other unit sees the figures of its own records
(its row of the ranking, its summaries). The bulletin is for the office and auditors.
"""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from services.platform.auth import Caller, Credentials
from services.platform.http import ApiError
from services.platform.responses import LIMITS, errors
from services.projections.assessment.attribution import Scope, township_name
from services.projections.assessment.exports import (
    build_bulletin,
    bulletin_html,
    bulletin_markdown,
    to_csv,
)
from services.projections.assessment.periods import InvalidPeriodError, Period, parse_period
from services.projections.assessment.queries import AssessmentReader

PERIOD_DOC = "2024, 2024-Q2 or 2024-05 (China local dates)"
By = Literal["unit", "township", "action"]


def scope_of(caller: Caller) -> Scope | None:
    """What the caller may see: None for everything."""
    if caller.sees_everything:
        return None
    township = township_name(caller.unit)
    return Scope(township=township) if township else Scope(unit=caller.unit)


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except InvalidPeriodError as exc:
        raise ApiError(422, "invalid_period", str(exc)) from None


def assessment_router(view: AssessmentReader, credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["assessment"], responses=errors(401, 422, *LIMITS))
    Authenticated = Annotated[Caller, Depends(credentials.authenticate)]  # noqa: N806
    PeriodQuery = Annotated[str, Query(description=PERIOD_DOC, examples=["2024-Q2"])]  # noqa: N806
    ByQuery = Annotated[By, Query(description="group rows by unit, township or action")]  # noqa: N806
    YearQuery = Annotated[int, Query(ge=2000, le=2100, examples=[2024])]  # noqa: N806

    @router.get("/assessment", summary="Assessment figures per unit, township or action")
    async def table(caller: Authenticated, period: PeriodQuery, by: ByQuery = "unit"
                    ) -> list[dict[str, Any]]:
        found = _period(period)
        return await asyncio.to_thread(view.table, found, by, scope=scope_of(caller))

    @router.get("/assessment.csv", summary="The same figures as CSV (UTF-8 with BOM)",
                response_class=Response)
    async def table_csv(caller: Authenticated, period: PeriodQuery, by: ByQuery = "unit"
                        ) -> Response:
        found = _period(period)
        rows = await asyncio.to_thread(view.table, found, by, scope=scope_of(caller))
        return Response(
            "\ufeff" + to_csv(rows), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="assessment-{found.text}-{by}.csv"'})

    @router.get("/assessment/canteen-coverage",
                summary="School canteens sampled in the year against the plan's target")
    async def canteen_coverage(caller: Authenticated, year: YearQuery) -> dict[str, Any]:
        return await asyncio.to_thread(view.canteen_coverage, year, scope=scope_of(caller))

    @router.get("/assessment/ranking", summary="Units by composite appraisal score")
    async def ranking(caller: Authenticated, year: YearQuery) -> list[dict[str, Any]]:
        rows = await asyncio.to_thread(view.ranking, year)
        return rows if caller.sees_everything else [r for r in rows if r["unit"] == caller.unit]

    @router.get("/assessment/summaries", summary="Annual work summaries and their status")
    async def summaries(caller: Authenticated, year: YearQuery) -> list[dict[str, Any]]:
        rows = await asyncio.to_thread(view.summaries, year)
        return rows if caller.sees_everything else [r for r in rows if r["lead"] == caller.unit]

    @router.get("/bulletin", summary="The period bulletin (通报) as Markdown or HTML",
                responses=errors(403),
                response_class=Response)
    async def bulletin(caller: Authenticated, period: PeriodQuery,
                       format: Literal["md", "html"] = "md") -> Response:
        if not caller.sees_everything:
            raise ApiError(403, "not_authorized",
                           "the bulletin is for the district office and auditors")
        found = _period(period)
        made = await asyncio.to_thread(build_bulletin, view, found, now=datetime.now(UTC))
        if format == "html":
            return HTMLResponse(bulletin_html(made))
        return Response(bulletin_markdown(made), media_type="text/markdown; charset=utf-8")

    return router
