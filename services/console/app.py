"""Composition root of the console: pages, static assets, health and metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from services.console.api import AnswerCache, ApiRefusal, ApiUnavailable, Timings
from services.console.pages import Deps, SignInRequired, console_router, language, render
from services.console.reference import load_reference
from services.console.session import clear_session, current_user
from services.console.settings import ConsoleSettings
from services.platform.auth import Credentials
from services.platform.limits import (
    RateRule,
    RequestLimits,
    TokenBuckets,
    refused_counter,
    route_by_address,
)

# the console's own pages use only its own files: no inline script, no other origin
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def templates() -> Environment:
    env = Environment(loader=PackageLoader("services.console", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


def create_app(settings: ConsoleSettings, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The console; ``transport`` replaces the network to the APIs (tests only)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call is noise
    registry = CollectorRegistry()
    deps = Deps(settings, load_reference(), Credentials.load(settings.units_file), templates(),
                AnswerCache(settings.answer_cache_seconds))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        now = datetime.now(UTC)  # the working-day totals, once, before the first page
        await asyncio.to_thread(deps.reference.working_days_left, now, now)
        async with httpx.AsyncClient(timeout=settings.api_timeout_seconds,
                                     transport=transport) as client:
            deps.client = client
            yield
            deps.client = None

    app = FastAPI(title="fangxin console", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.registry = registry
    _time_and_protect(app, registry)
    _limit(app, settings, registry)
    _errors(app, deps)
    _operations(app, deps, registry)
    static = Path(str(files("services.console").joinpath("static")))
    app.mount("/static", StaticFiles(directory=static), name="static")
    app.include_router(console_router(deps))
    return app


def _time_and_protect(app: FastAPI, registry: CollectorRegistry) -> None:
    """Server time per page (metrics and a Server-Timing header) and the security headers."""
    page_seconds = Histogram("fangxin_console_page_seconds", "Server time per console page",
                             ["page"], registry=registry,
                             buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
    api_seconds = Histogram("fangxin_console_api_seconds", "Time a page waited for the APIs",
                            ["page"], registry=registry,
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))

    @app.middleware("http")
    async def timed(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.timings = timings = Timings()
        started = time.perf_counter()
        response = await call_next(request)
        total = time.perf_counter() - started
        route = request.scope.get("route")
        page = getattr(route, "path", "other")
        if not request.url.path.startswith(("/static/", "/health/", "/metrics")):
            page_seconds.labels(page).observe(total)
            api_seconds.labels(page).observe(timings.seconds)
        response.headers["server-timing"] = (f"app;dur={total * 1000:.1f}, "
                                             f"api;dur={timings.seconds * 1000:.1f}")
        response.headers.setdefault("content-security-policy", CSP)
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "same-origin"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["cache-control"] = "no-store"
        return response


def _limit(app: FastAPI, settings: ConsoleSettings, registry: CollectorRegistry) -> None:
    """Bodies over the limit get 413; sign-in attempts are limited per client address (the
    pages' API calls are limited per unit by the APIs themselves)."""
    rules = [RateRule(TokenBuckets(settings.signin_rate_limit_per_minute,
                                   settings.signin_rate_limit_burst),
                      route_by_address("POST", "/signin"))
             ] if settings.signin_rate_limit_per_minute > 0 else []
    app.add_middleware(RequestLimits, max_body_bytes=settings.http_max_body_bytes, rules=rules,
                       refused=refused_counter(registry, "console"))


def _errors(app: FastAPI, deps: Deps) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/signin?{urlencode({'next': exc.next_path})}", 303)

    @app.exception_handler(ApiRefusal)
    async def refused(request: Request, exc: ApiRefusal) -> Response:
        if exc.status == 401:  # the token is no longer valid: sign in again
            response = RedirectResponse("/signin", 303)
            clear_session(response)
            return response
        return render(request, deps, "error.html", language(request),
                      current_user(request, deps.credentials), status=exc.status, refusal=exc)

    @app.exception_handler(ApiUnavailable)
    async def unavailable(request: Request, exc: ApiUnavailable) -> Response:
        return render(request, deps, "error.html", language(request),
                      current_user(request, deps.credentials), status=503, unavailable=str(exc))


def _operations(app: FastAPI, deps: Deps, registry: CollectorRegistry) -> None:
    """/health/live, /health/ready (the workflow and projections answer), /metrics."""

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        checks = {}
        for name, url in deps.urls.items():
            try:
                assert deps.client is not None
                answer = await deps.client.get(f"{url}/health/live", timeout=2)
                checks[name] = answer.status_code == 200
            except (httpx.HTTPError, AssertionError):
                checks[name] = False
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
