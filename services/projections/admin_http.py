"""HTTP for the district office's administration of the read models: rebuilds, generations.

No ``from __future__ import annotations``: FastAPI must see the dependency objects.

``POST /admin/rebuild`` starts a rebuild in the background (202, or 409 while one runs);
``GET /admin/rebuild`` follows it; ``GET /admin/read-models`` lists each rebuildable read
model's generation in force and its lag per topic (null when Kafka does not answer), and with
``?digest=true`` the SHA-256 of its rows (rebuilt = live?).
Only the district office (role ``office``) may call them.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.platform.auth import Caller, Credentials, Role
from services.platform.http import ApiError
from services.platform.responses import LIMITS, errors
from services.projections.rebuild import RebuildError, Rebuilds
from services.projections.switch import ViewSwitch

log = logging.getLogger("fangxin.projections.admin")
RebuildableName = Literal["trace", "assessment", "cases"]


class RebuildRequest(BaseModel):
    read_models: list[RebuildableName] | None = Field(
        None, description="the read models to rebuild; all of them when absent")


Lag = Callable[[], Awaitable[dict[tuple[str, str], int]]]  # (read model, topic) -> messages


def admin_router(rebuilds: Rebuilds, switches: dict[str, ViewSwitch], lag: Lag,
                 credentials: Credentials) -> APIRouter:
    router = APIRouter(tags=["admin"], prefix="/admin", responses=errors(401, 403, 422, *LIMITS))

    def office(request_caller: Annotated[Caller, Depends(credentials.authenticate)]) -> Caller:
        if request_caller.role != Role.OFFICE:
            raise ApiError(403, "not_authorized", "only the district office administers "
                           "the read models")
        return request_caller

    Office = Annotated[Caller, Depends(office)]  # noqa: N806

    @router.post("/rebuild", status_code=202, responses=errors(400, 409),
                 summary="Rebuild read models from offset zero "
                 "into a fresh generation and switch over without a pause in queries")
    async def start(_: Office, body: RebuildRequest | None = None) -> JSONResponse:
        try:
            status = rebuilds.start(list(body.read_models) if body and body.read_models
                                    else None)
        except RebuildError as exc:
            raise ApiError(409, "rebuild_running", str(exc)) from None
        return JSONResponse(status.as_json(), status_code=202)

    @router.get("/rebuild", summary="The latest rebuild: state, progress, generations",
                responses=errors(404))
    async def progress(_: Office) -> dict[str, Any]:
        if rebuilds.latest is None:
            raise ApiError(404, "no_rebuild", "no rebuild has run since the service started")
        return rebuilds.latest.status.as_json()

    @router.get("/read-models", summary="Each rebuildable read model's generation in force "
                "and its lag (messages behind the end of each topic it reads)")
    async def read_models(_: Office, digest: Annotated[bool, Query(
            description="also the SHA-256 of every row (reads every table)")] = False
                          ) -> list[dict[str, Any]]:
        try:
            behind: dict[tuple[str, str], int] | None = await lag()
        except Exception:  # Kafka away: the generations are still worth knowing
            log.exception("measuring the lag failed")
            behind = None
        out = []
        for name, switch in switches.items():
            entry: dict[str, Any] = {"read_model": name,
                                     "generation": switch.current.number,
                                     "lag": None if behind is None else {
                                         topic: n for (model, topic), n in behind.items()
                                         if model == name}}
            if digest:
                entry["digest"] = await asyncio.to_thread(switch.digest)
            out.append(entry)
        return out

    return router
