"""The HTTP face every service shares: health, metrics, OpenAPI and AsyncAPI documents."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html
from faststream.specification.base import Specification
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

ReadyCheck = Callable[[], Awaitable[bool]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class ApiError(Exception):
    """An error a caller sees as JSON: a stable code, a human message, an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NulCharacterError(ApiError):
    """A path or query holding NUL (U+0000), which no PostgreSQL text can hold: a 422, never
    the database's error."""

    def __init__(self, where: str) -> None:
        super().__init__(422, "invalid_request", f"{where} holds a NUL character (U+0000)")
        self.where = where


def refuse_nul_characters(request: Request) -> None:
    """Every route's first check: no NUL in the (decoded) path or in a query name or value."""
    if "\x00" in request.scope.get("path", ""):
        raise NulCharacterError("the path")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise NulCharacterError(f"query.{name.replace(chr(0), '?')}")


def build_http_app(
    *,
    service: str,
    description: str,
    asyncapi: Callable[[], Specification],
    registry: CollectorRegistry,
    ready_checks: Mapping[str, ReadyCheck],
    lifespan: Lifespan,
) -> FastAPI:
    """A FastAPI app with /health/live, /health/ready, /metrics, /docs and /docs/asyncapi.

    ``description`` is the service's one-line purpose; ``asyncapi`` builds its AsyncAPI document.
    """
    app = FastAPI(title=f"fangxin {service}", description=description, version="0.1.0",
                  lifespan=lifespan, docs_url="/docs", redoc_url=None,
                  dependencies=[Depends(refuse_nul_characters)])
    app.state.registry = registry  # what /metrics serves; the metrics catalogue reads it
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        body: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if isinstance(exc, NulCharacterError):
            body["errors"] = [{"path": exc.where, "message": exc.message}]
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"path": ".".join(map(str, e.get("loc", ()))), "message": e.get("msg", "")}
                  for e in exc.errors()[:20]]
        return JSONResponse({"code": "invalid_request", "message": "the request does not "
                             "match its schema", "errors": errors}, status_code=422)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        results = {name: await _safe(check) for name, check in ready_checks.items()}
        ok = all(results.values())
        return JSONResponse({"status": "ready" if ok else "not_ready", "checks": results},
                            status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/docs/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(asyncapi()))

    @app.get("/docs/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Response:
        return Response(asyncapi().to_json(), media_type="application/json")

    return app


async def _safe(check: ReadyCheck) -> bool:
    try:
        return await check()
    except Exception:  # a failing check means not ready, never a 500
        return False


def broker_ready(broker: KafkaBroker) -> ReadyCheck:
    async def check() -> bool:
        return bool(await broker.ping(timeout=2.0))

    return check


def broker_asyncapi(broker: KafkaBroker, service: str, description: str
                    ) -> Callable[[], Specification]:
    """The AsyncAPI document of a FastStream broker's subscribers and publishers."""
    factory = AsyncAPI(broker, title=f"fangxin {service}", version="0.1.0",
                       description=description)
    return factory.to_specification


@dataclass(frozen=True)
class DocumentSpecification:
    """An AsyncAPI document kept as a file (e.g. the one generated into contracts/)."""

    path: Path

    @property
    def title(self) -> str:
        return str(self.to_jsonable().get("info", {}).get("title", ""))

    def to_json(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def to_jsonable(self) -> Any:
        return json.loads(self.to_json())

    def to_yaml(self) -> str:
        return self.to_json()  # JSON is YAML
