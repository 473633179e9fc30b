"""Authentication on every endpoint (issue 8, point 4): read the routes off each real app.

Each service's composition root ``create_app(settings)`` is built on SQLite in a temporary
directory, with real credentials files (unit tokens, producer tokens), and never started: no
Kafka, no lifespan (``TestClient`` is used without its context manager). Every route the app
has (so a new endpoint is covered without editing this file) is called without a token and with
a wrong one, and must answer 401; the only exceptions are listed in :data:`EXEMPT` and justified
in ``docs/security.md``. As a control, a valid token gets past authentication on every route
(the answer is then anything but 401), so the 401s are the token's doing.

The console (people's pages, a cookie instead of a header) is checked on its own: every page
without the cookie redirects to the sign-in page, and with a forged cookie the console asks the
API, gets its 401 and sends the browser to sign in again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from fangxin.local.secrets import LOCAL_UNITS, ensure_local_secrets, local_tokens
from fangxin.metrics_catalogue import close_app

API_SERVICES = ("intake", "workflow", "projections")
# path -> why it answers without a token (docs/security.md, "Exempt endpoints")
EXEMPT: dict[str, str] = {
    "/health/live": "liveness probe of the orchestrator; says only that the process runs",
    "/health/ready": "readiness probe; says only which dependency is down",
    "/metrics": "Prometheus scrape; aggregate counters with bounded labels, no ids",
    "/docs": "Swagger UI page of the public API description",
    "/docs/oauth2-redirect": "Swagger UI's own helper page (static)",
    "/openapi.json": "the OpenAPI document: the API's shape, no data",
    "/docs/asyncapi": "the AsyncAPI page: the topics' shape, no data",
    "/docs/asyncapi.json": "the AsyncAPI document itself",
}
CONSOLE_EXEMPT: dict[str, str] = {
    "/health/live": "liveness probe",
    "/health/ready": "readiness probe (asks the two APIs' /health/live)",
    "/metrics": "Prometheus scrape: page timings per route template",
    "/": "redirects to /cases or /signin by whether a cookie is present; shows nothing",
    "/signin": "the sign-in form and its POST (checks the token against the workflow API)",
    "/signout": "clears the cookie",
    "/lang/{code}": "sets the language cookie and redirects to a local path",
    "/static": "the console's CSS and script",
}
PRODUCER = "urn:fangxin:test:security"
# what a console page asks for, so that each one has something to fetch (an empty lot form
# fetches nothing and shows nothing, with or without a cookie)
PAGE_QUERY = {"code": "urn:epc:class:lgtin:6901234.056789.L1", "period": "2024"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the route template, e.g. /cases/{case_id}

    def url(self) -> str:
        """The template with every parameter filled in (a ``:path`` one with a two-part value)."""
        return re.sub(r"\{(\w+)(:path)?\}",
                      lambda m: "lot%2Fx/y" if m.group(2) else f"X-{m.group(1)}", self.path)


def _walk(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, into included routers (FastAPI 0.165 keeps an
    included router as one entry of ``app.routes``, its routes behind ``original_router``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _walk(inner.routes, prefix + str(getattr(context, "prefix", "")))
        elif isinstance(route, (Route, Mount)):
            yield prefix + route.path, route


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app serves, read off the app itself; cross-checked against
    the OpenAPI document, so a route the walk missed fails the tests instead of going
    unchecked."""
    found = sorted({Endpoint(method, path) for path, route in _walk(app.routes)
                    if isinstance(route, Route)
                    for method in (route.methods or {"GET"}) - {"HEAD"}},
                   key=lambda e: (e.path, e.method))
    if app.openapi_url:
        documented = {Endpoint(method.upper(), path)
                      for path, item in app.openapi()["paths"].items() for method in item}
        served = {Endpoint(e.method, re.sub(r":\w+\}", "}", e.path)) for e in found}
        assert documented <= served, documented - served
    return found


def mounts(app: FastAPI) -> set[str]:
    return {path for path, route in _walk(app.routes) if isinstance(route, Mount)}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("security")
    ensure_local_secrets(folder)
    return folder


@pytest.fixture(scope="module")
def producer_token(workdir: Path) -> str:
    token = secrets.token_urlsafe(24)
    (workdir / "producers.json").write_text(json.dumps({"version": 1, "producers": [
        {"source": PRODUCER, "types": ["*"], "profiles": [],
         "token_sha256": hashlib.sha256(token.encode()).hexdigest()}]}))
    return token


def build(service: str, workdir: Path) -> FastAPI:
    secret = ensure_local_secrets(workdir)
    units, place = Path(secret["FANGXIN_UNITS_FILE"]), workdir / service
    if service == "intake":
        from services.intake.app import create_app as intake_app  # noqa: PLC0415
        from services.intake.settings import IntakeSettings  # noqa: PLC0415

        return intake_app(IntakeSettings(_env_file=None, persistence="sqlite", sqlite_dir=place,
                                         producers_file=workdir / "producers.json",
                                         kafka_bootstrap="127.0.0.1:9"))
    if service == "workflow":
        from services.workflow.app import create_app as workflow_app  # noqa: PLC0415
        from services.workflow.settings import WorkflowSettings  # noqa: PLC0415

        return workflow_app(WorkflowSettings(
            _env_file=None, persistence="sqlite", sqlite_dir=place, units_file=units,
            cipher_key=secret["FANGXIN_CIPHER_KEY"], kafka_bootstrap="127.0.0.1:9",
            http_rate_limit_per_minute=0))  # hundreds of calls: tokens, not rates, here
    from services.projections.app import create_app as projections_app  # noqa: PLC0415
    from services.projections.settings import ProjectionsSettings  # noqa: PLC0415

    return projections_app(ProjectionsSettings(_env_file=None, persistence="sqlite",
                                               sqlite_dir=place, units_file=units,
                                               kafka_bootstrap="127.0.0.1:9",
                                               http_rate_limit_per_minute=0))


@pytest.fixture(scope="module")
def apps(workdir: Path, producer_token: str) -> Iterator[dict[str, FastAPI]]:
    assert producer_token
    built = {service: build(service, workdir) for service in API_SERVICES}
    yield built
    for app in built.values():
        close_app(app)


def valid_token(service: str, workdir: Path, producer_token: str) -> str:
    return producer_token if service == "intake" else local_tokens(workdir)[
        "district-food-safety-office"]


def wrong_tokens(valid: str, other_kind: str) -> dict[str, dict[str, str]]:
    """Headers that must not authenticate where ``valid`` would: none, a random token, a near
    miss, the token's hash, other schemes, and a valid token of the other kind (``other_kind``:
    a producer's token to the units' APIs, a unit's token to intake)."""
    return {
        "no token": {},
        "random token": {"Authorization": f"Bearer {secrets.token_urlsafe(24)}"},
        "near miss": {"Authorization": f"Bearer {valid[:-1]}{'A' if valid[-1] != 'A' else 'B'}"},
        "token's hash": {"Authorization": f"Bearer {hashlib.sha256(valid.encode()).hexdigest()}"},
        "basic scheme": {"Authorization": f"Basic {valid}"},
        "bare token": {"Authorization": valid},
        "empty bearer": {"Authorization": "Bearer "},
        "a token of the other kind": {"Authorization": f"Bearer {other_kind}"},
    }


def wrong_for(service: str, workdir: Path, producer_token: str) -> dict[str, dict[str, str]]:
    office = local_tokens(workdir)["district-food-safety-office"]
    if service == "intake":
        return wrong_tokens(producer_token, office)
    return wrong_tokens(office, producer_token)


@pytest.mark.parametrize("service", API_SERVICES)
def test_every_endpoint_but_the_exempt_ones_answers_401_without_a_valid_token(
        service: str, apps: dict[str, FastAPI], workdir: Path, producer_token: str):
    app = apps[service]
    client = TestClient(app, raise_server_exceptions=False)  # no `with`: no lifespan, no Kafka
    guarded = [e for e in endpoints(app) if e.path not in EXEMPT]
    assert len(guarded) >= 3, guarded  # the enumeration found the service's own API
    wrong = wrong_for(service, workdir, producer_token)
    assert unguarded(client, guarded, wrong) == []


def unguarded(client: TestClient, guarded: Iterable[Endpoint],
              wrong: dict[str, dict[str, str]]) -> list[str]:
    """The endpoints (and the header that got in) that answer anything but the 401."""
    found: list[str] = []
    for endpoint in guarded:
        for name, headers in wrong.items():
            answer = client.request(endpoint.method, endpoint.url(), headers=headers)
            if answer.status_code != 401 or answer.json().get("code") != "unauthenticated":
                found.append(f"{endpoint.method} {endpoint.path} ({name}): "
                             f"{answer.status_code}")
    return found


def test_the_check_finds_an_endpoint_that_forgot_its_token(workdir: Path, producer_token: str):
    from services.platform.auth import Credentials  # noqa: PLC0415

    app = build("projections", workdir)
    try:
        credentials = Credentials.load(Path(ensure_local_secrets(workdir)["FANGXIN_UNITS_FILE"]))

        @app.get("/forgot/{case_id}")
        async def forgot(case_id: str) -> dict[str, str]:
            return {"case_id": case_id}

        @app.post("/checks/{case_id}", dependencies=[Depends(credentials.authenticate)])
        async def checks(case_id: str) -> dict[str, str]:
            return {"case_id": case_id}

        client = TestClient(app, raise_server_exceptions=False)
        mine = [e for e in endpoints(app) if e.path in {"/forgot/{case_id}", "/checks/{case_id}"}]
        wrong = wrong_for("projections", workdir, producer_token)

        assert len(mine) == 2  # the enumeration sees routes added after the app was built
        assert unguarded(client, mine, wrong) == [
            f"GET /forgot/{{case_id}} ({name}): 200" for name in wrong]
    finally:
        close_app(app)


@pytest.mark.parametrize("service", API_SERVICES)
def test_a_valid_token_gets_past_authentication_on_every_endpoint(
        service: str, apps: dict[str, FastAPI], workdir: Path, producer_token: str):
    app = apps[service]
    client = TestClient(app, raise_server_exceptions=False)
    token = valid_token(service, workdir, producer_token)
    for endpoint in (e for e in endpoints(app) if e.path not in EXEMPT):
        if service == "intake":  # publishing needs Kafka; an empty batch never reaches it
            answer = client.request(endpoint.method, endpoint.url(), content=b"{",
                                    headers={"Authorization": f"Bearer {token}",
                                             "content-type": "application/json"})
        else:
            answer = client.request(endpoint.method, endpoint.url(),
                                    headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code != 401, (endpoint, answer.text[:200])


@pytest.mark.parametrize("service", API_SERVICES)
def test_the_exempt_endpoints_are_exactly_the_probes_metrics_and_api_documents(
        service: str, apps: dict[str, FastAPI], workdir: Path, producer_token: str):
    app = apps[service]
    open_paths = {e.path for e in endpoints(app)} & set(EXEMPT)
    assert open_paths == set(EXEMPT)
    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/health/live", "/metrics", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path
    # the OpenAPI document describes shapes, not data: no token or key of this run is in it
    document = client.get("/openapi.json").text
    for token in [*local_tokens(workdir).values(), producer_token]:
        assert token not in document


def test_exemptions_are_documented_in_docs_security():
    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    for path in (*EXEMPT, *CONSOLE_EXEMPT):
        assert f"`{path}`" in text, path


# --- the console -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def console(workdir: Path) -> Iterator[tuple[TestClient, list[str]]]:
    from services.console.app import create_app  # noqa: PLC0415
    from services.console.settings import ConsoleSettings  # noqa: PLC0415

    seen: list[str] = []  # the bearer tokens the console forwarded to "the APIs"

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(401, json={"code": "unauthenticated", "message": "no"})

    units = Path(ensure_local_secrets(workdir)["FANGXIN_UNITS_FILE"])
    app = create_app(ConsoleSettings(_env_file=None, workflow_url="http://workflow.invalid",
                                     projections_url="http://projections.invalid",
                                     units_file=units),
                     transport=httpx.MockTransport(refuse))
    with TestClient(app, follow_redirects=False) as client:  # the lifespan only makes a client
        yield client, seen


def console_pages(app: FastAPI) -> list[Endpoint]:
    pages = [e for e in endpoints(app) if e.path not in CONSOLE_EXEMPT]
    assert mounts(app) <= set(CONSOLE_EXEMPT), mounts(app)
    return pages


def test_every_console_page_sends_a_visitor_without_a_cookie_to_sign_in(
        console: tuple[TestClient, list[str]]):
    client, seen = console
    client.cookies.clear()
    pages = console_pages(client.app)  # type: ignore[arg-type]
    assert {"/cases", "/cases/{case_id}", "/bulletin"} <= {p.path for p in pages}
    for page in pages:
        answer = client.request(page.method, page.url(), params=PAGE_QUERY)
        assert answer.status_code == 303, (page, answer.status_code)
        assert answer.headers["location"].startswith("/signin"), page
    assert seen == []  # nothing was asked of the APIs on a visitor's behalf


def test_a_forged_console_cookie_is_refused_by_the_api_and_cleared(
        console: tuple[TestClient, list[str]]):
    client, seen = console
    forged = secrets.token_urlsafe(24)
    for page in console_pages(client.app):  # type: ignore[arg-type]
        if page.method != "GET":
            continue
        seen.clear()
        client.cookies.clear()
        client.cookies.set("fangxin_session", forged)
        answer = client.get(page.url(), params=PAGE_QUERY)
        assert answer.status_code == 303, (page, answer.status_code, answer.text[:200])
        assert answer.headers["location"] == "/signin", page
        # the APIs decided, each asked with the cookie's token (a page may ask several)
        assert seen, page
        assert set(seen) == {f"Bearer {forged}"}, page
        assert 'fangxin_session=""' in answer.headers.get("set-cookie", ""), page


def test_the_local_units_cover_every_role():
    assert set(LOCAL_UNITS.values()) == {"office", "unit", "auditor"}
