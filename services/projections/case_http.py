"""HTTP for the case read model: authenticated queries.

No ``from __future__ import annotations``: FastAPI must see the dependency objects.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.platform.auth import Caller, Credentials
from services.platform.http import ApiError
from services.platform.responses import LIMITS, errors
from services.projections.case_views import CaseView


def case_router(view: CaseView, credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["cases"], responses=errors(401, 422, *LIMITS))
    Authenticated = Annotated[Caller, Depends(credentials.authenticate)]  # noqa: N806

    def scope(caller: Caller) -> str | None:
        """None for those who see every case; else the unit whose cases the caller sees."""
        return None if caller.sees_everything else caller.unit

    @router.get("/cases/summary", summary="Cases per kind (open, closed, overdue while open, "
                "escalations) and per state, of the cases the caller may see")
    def case_summary(caller: Authenticated) -> dict[str, list[dict[str, Any]]]:
        return view.summary(scope(caller))

    @router.get("/cases/{case_id}", summary="A case as the read model has it",
                responses=errors(404))
    def get_case(case_id: str, caller: Authenticated) -> dict[str, Any]:
        case = view.case(case_id)
        unit = scope(caller)
        if case is None or (unit is not None and unit not in case["owners"]):
            # a case the caller may not see answers as a missing one: no probing for ids
            raise ApiError(404, "case_not_found", f"no case {case_id!r} in the read model")
        return case

    @router.get("/cases", summary="Cases in the read model (a unit: its own; the district "
                "office and auditors: all)")
    def list_cases(caller: Authenticated, kind: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        return view.cases(kind, limit, scope(caller))

    return router
