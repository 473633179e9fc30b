"""Request limits (issue 8, point 4): a token bucket per caller (429) and a body size (413).

The bucket runs on an injected clock; the middleware is driven through a small FastAPI app and,
for bodies that arrive in chunks, straight through ASGI; the wiring is checked on the real
workflow, projections and console apps (built, never started: no Kafka).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from fangxin.local.secrets import ensure_local_secrets, local_tokens
from fangxin.metrics_catalogue import close_app
from services.platform import limits
from services.platform.auth import Credentials
from services.platform.limits import (
    RateRule,
    RequestLimits,
    TokenBuckets,
    bearer_caller,
    refused_counter,
)
from services.platform.settings import ServiceSettings

LIMIT = 100
JSON = {"content-type": "application/json"}
TOKENS = {"market-regulation": "token-of-market", "health": "token-of-health"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def credentials() -> Credentials:
    return Credentials.model_validate({"callers": [
        {"unit": unit, "role": "unit", "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
        for unit, token in TOKENS.items()]})


def as_unit(unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[unit]}"}


class Note(BaseModel):
    text: str


def limited_app(*, per_minute: int = 60, burst: int = 3, clock: FakeClock | None = None
                ) -> tuple[FastAPI, list[str]]:
    """An app with a JSON body route, a raw body route and the probes, behind the limits."""
    app, reached = FastAPI(), []
    app.state.registry = CollectorRegistry()

    @app.post("/notes")
    async def note(body: Note) -> dict[str, int]:
        reached.append("notes")
        return {"length": len(body.text)}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        reached.append("raw")
        return {"length": len(body)}

    @app.get("/cases")
    async def cases() -> list[str]:
        return []

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/metrics")
    async def metrics() -> str:
        return ""

    buckets = TokenBuckets(per_minute, burst, clock or FakeClock())
    app.add_middleware(RequestLimits, max_body_bytes=LIMIT,
                       rules=[RateRule(buckets, bearer_caller(credentials()))],
                       refused=refused_counter(app.state.registry, "test"))
    return app, reached


def refused(app: FastAPI, reason: str) -> float:
    value = app.state.registry.get_sample_value("fangxin_test_http_requests_refused_total",
                                                {"reason": reason})
    return float(value or 0.0)


class TestTokenBuckets:
    def test_a_caller_gets_its_burst_at_once_then_waits_for_the_next_token(self):
        clock = FakeClock()
        buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)

        taken = [buckets.take("unit:a") for _ in range(3)]
        wait = buckets.take("unit:a")

        assert taken == [0.0, 0.0, 0.0]
        assert wait == pytest.approx(1.0)  # 60 a minute: one a second

    def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst(self):
        clock = FakeClock()
        buckets = TokenBuckets(per_minute=120, burst=2, clock=clock)
        buckets.take("unit:a"), buckets.take("unit:a")

        clock.now += 0.25
        half_way = buckets.take("unit:a")
        clock.now += 0.25
        refilled = buckets.take("unit:a")
        clock.now += 3600  # an hour idle gives back the burst, not 7,200 tokens
        after_idle = [buckets.take("unit:a") for _ in range(3)]

        assert half_way == pytest.approx(0.25)
        assert refilled == 0.0
        assert after_idle[:2] == [0.0, 0.0]
        assert after_idle[2] == pytest.approx(0.5)

    def test_each_caller_has_its_own_bucket(self):
        buckets = TokenBuckets(per_minute=60, burst=1, clock=FakeClock())

        assert buckets.take("unit:a") == 0.0
        assert buckets.take("unit:a") > 0
        assert buckets.take("unit:b") == 0.0
        assert buckets.take("address:10.0.0.7") == 0.0

    def test_idle_buckets_are_dropped_when_too_many_callers_are_kept(
            self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr(limits, "MAX_KEYS", 3)
        clock = FakeClock()
        buckets = TokenBuckets(per_minute=60, burst=1, clock=clock)
        buckets.take("address:busy")
        for n in range(3):
            buckets.take(f"address:{n}")
        clock.now += 0.5  # none is full again yet: the least recently used goes

        buckets.take("address:new")

        assert len(buckets) == 3
        assert buckets.take("address:busy") == 0.0  # it was dropped: a full bucket again

    def test_a_rate_without_tokens_is_refused_at_construction(self):
        with pytest.raises(ValueError, match="a rate needs tokens"):
            TokenBuckets(per_minute=0, burst=10)


class TestRateLimit:
    def test_a_caller_past_its_burst_gets_429_with_retry_after_and_the_error_shape(self):
        app, _ = limited_app(per_minute=30, burst=2)
        client = TestClient(app)

        allowed = [client.get("/cases", headers=as_unit("market-regulation")).status_code
                   for _ in range(2)]
        refused_answer = client.get("/cases", headers=as_unit("market-regulation"))

        assert allowed == [200, 200]
        assert refused_answer.status_code == 429
        assert refused_answer.headers["retry-after"] == "2"  # 30 a minute: one every 2 s
        assert refused_answer.json() == {"code": "rate_limited", "message":
                                         "too many requests; retry after 2 s"}
        assert refused(app, "rate_limited") == 1.0

    def test_other_units_and_callers_without_a_token_have_buckets_of_their_own(self):
        app, _ = limited_app(burst=1)
        client = TestClient(app)
        client.get("/cases", headers=as_unit("market-regulation"))

        assert client.get("/cases", headers=as_unit("market-regulation")).status_code == 429
        assert client.get("/cases", headers=as_unit("health")).status_code == 200
        assert client.get("/cases").status_code == 200  # by address
        assert client.get("/cases", headers={"Authorization": "Bearer guess"}
                          ).status_code == 429  # a wrong token counts against the address

    def test_health_and_metrics_are_never_limited(self):
        app, _ = limited_app(burst=1)
        client = TestClient(app)

        answers = {client.get(path, headers=headers).status_code
                   for path in ("/health/live", "/metrics")
                   for headers in ({}, as_unit("health"))
                   for _ in range(20)}

        assert answers == {200}
        assert refused(app, "rate_limited") == 0.0

    def test_a_caller_is_served_again_once_a_token_is_back(self):
        clock = FakeClock()
        app, _ = limited_app(per_minute=60, burst=1, clock=clock)
        client = TestClient(app)
        client.get("/cases", headers=as_unit("health"))
        assert client.get("/cases", headers=as_unit("health")).status_code == 429

        clock.now += 1.0

        assert client.get("/cases", headers=as_unit("health")).status_code == 200


class TestBodyLimit:
    @pytest.mark.parametrize("path", ["/notes", "/raw"])
    def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs(self, path: str):
        app, reached = limited_app()
        body = json.dumps({"text": "x" * LIMIT}).encode()

        answer = TestClient(app).post(path, content=body, headers={**as_unit("health"), **JSON})

        assert answer.request.headers["content-length"] == str(len(body))
        assert answer.status_code == 413
        assert answer.json() == {"code": "body_too_large", "message":
                                 f"the request body is over the limit of {LIMIT} bytes"}
        assert reached == []
        assert refused(app, "body_too_large") == 1.0

    @pytest.mark.parametrize("path", ["/notes", "/raw"])
    def test_a_body_without_a_length_is_counted_and_refused_when_over(self, path: str):
        app, reached = limited_app()
        chunks = iter([b'{"text": "', b"x" * LIMIT, b'"}'])

        answer = TestClient(app).post(path, content=chunks,
                                      headers={**as_unit("health"), **JSON})

        assert "content-length" not in answer.request.headers  # sent chunked
        assert answer.status_code == 413
        assert answer.json()["code"] == "body_too_large"
        assert reached == []

    @pytest.mark.parametrize("chunked", [False, True])
    def test_a_body_at_the_limit_is_served(self, chunked: bool):
        app, reached = limited_app()
        body = json.dumps({"text": "x" * (LIMIT - 12)}).encode()
        assert len(body) == LIMIT

        answer = TestClient(app).post("/notes", content=iter([body]) if chunked else body,
                                      headers={**as_unit("health"), **JSON})

        assert answer.status_code == 200
        assert answer.json() == {"length": LIMIT - 12}
        assert reached == ["notes"]

    def test_a_streamed_body_is_cut_at_the_chunk_that_crosses_the_limit(self):
        app, reached = limited_app()
        chunks = [b"a" * 40, b"b" * 40, b"c" * 40, b"d" * 40]  # the third crosses 100
        handed: list[int] = []

        async def receive() -> dict[str, Any]:
            chunk = chunks.pop(0)
            handed.append(len(chunk))
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        sent = asyncio.run(_drive(app, "/raw", receive))

        assert sent[0]["status"] == 413
        assert json.loads(sent[1]["body"])["code"] == "body_too_large"
        assert handed == [40, 40, 40]  # the fourth chunk was never read
        assert reached == []


async def _drive(app: FastAPI, path: str, receive: Any) -> list[dict[str, Any]]:
    """One POST through the ASGI app without a Content-Length; the messages it sent back."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "client": ("10.0.0.9", 5000),
             "server": ("testserver", 80),
             "headers": [(b"transfer-encoding", b"chunked"),
                         (b"authorization", f"Bearer {TOKENS['health']}".encode())]}
    await app(scope, receive, send)
    return sent


class TestSettings:
    def test_defaults_are_one_mebibyte_and_600_a_minute_with_a_burst_of_60(self):
        settings = ServiceSettings(_env_file=None)  # type: ignore[call-arg]

        assert (settings.http_max_body_bytes, settings.http_rate_limit_per_minute,
                settings.http_rate_limit_burst) == (1_048_576, 600, 60)

    def test_the_environment_turns_the_rate_limit_off_with_zero(
            self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE", "0")
        monkeypatch.setenv("FANGXIN_HTTP_MAX_BODY_BYTES", "2048")

        settings = ServiceSettings(_env_file=None)  # type: ignore[call-arg]

        assert (settings.http_rate_limit_per_minute, settings.http_max_body_bytes) == (0, 2048)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("limits")
    ensure_local_secrets(folder)
    return folder


def service_app(service: str, workdir: Path, **limits_: int) -> FastAPI:
    secret = ensure_local_secrets(workdir)
    common: dict[str, Any] = {"_env_file": None, "persistence": "sqlite",
                              "sqlite_dir": workdir / f"{service}-{len(limits_)}",
                              "units_file": Path(secret["FANGXIN_UNITS_FILE"]),
                              "kafka_bootstrap": "127.0.0.1:9", **limits_}
    if service == "workflow":
        from services.workflow.app import create_app as workflow_app  # noqa: PLC0415
        from services.workflow.settings import WorkflowSettings  # noqa: PLC0415

        return workflow_app(WorkflowSettings(**common, cipher_key=secret["FANGXIN_CIPHER_KEY"]))
    from services.projections.app import create_app as projections_app  # noqa: PLC0415
    from services.projections.settings import ProjectionsSettings  # noqa: PLC0415

    return projections_app(ProjectionsSettings(**common))


@pytest.fixture(params=["workflow", "projections"])
def service(request: pytest.FixtureRequest, workdir: Path) -> Iterator[tuple[str, FastAPI]]:
    app = service_app(request.param, workdir, http_max_body_bytes=512,
                      http_rate_limit_per_minute=6, http_rate_limit_burst=3)
    yield request.param, app
    close_app(app)


WRITES = {"workflow": "/cases/CP-X/commands", "projections": "/admin/rebuild"}


def test_the_units_apis_refuse_an_oversized_body_and_a_caller_past_its_rate(
        service: tuple[str, FastAPI], workdir: Path):
    name, app = service
    client = TestClient(app, raise_server_exceptions=False)  # no `with`: no lifespan, no Kafka
    office = {"Authorization": f"Bearer {local_tokens(workdir)['district-food-safety-office']}"}
    health = {"Authorization": f"Bearer {local_tokens(workdir)['health']}"}

    too_large = client.post(WRITES[name], headers=office, json={"command": "x" * 600})
    answers = [client.get("/cases", headers=health).status_code for _ in range(3)]
    limited = client.get("/cases", headers=health)
    probes = {client.get("/metrics").status_code for _ in range(10)}
    exposed = client.get("/metrics").text

    assert (too_large.status_code, too_large.json()["code"]) == (413, "body_too_large")
    assert 429 not in answers
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 10  # 6 a minute: one every 10 s
    assert probes == {200}
    assert (f'fangxin_{name}_http_requests_refused_total{{reason="body_too_large"}} 1.0'
            in exposed)
    assert f'fangxin_{name}_http_requests_refused_total{{reason="rate_limited"}} 1.0' in exposed


def test_zero_turns_the_rate_limit_off_on_a_units_api(workdir: Path):
    app = service_app("projections", workdir, http_rate_limit_per_minute=0,
                      http_rate_limit_burst=1)
    client = TestClient(app, raise_server_exceptions=False)
    health = {"Authorization": f"Bearer {local_tokens(workdir)['health']}"}

    answers = {client.get("/cases", headers=health).status_code for _ in range(20)}
    close_app(app)

    assert 429 not in answers


def test_the_console_limits_sign_in_attempts_per_address_and_bodies_by_size():
    from services.console.app import create_app  # noqa: PLC0415
    from services.console.settings import ConsoleSettings  # noqa: PLC0415

    settings = ConsoleSettings(_env_file=None, workflow_url="http://workflow",  # type: ignore[call-arg]
                               projections_url="http://projections", http_max_body_bytes=256,
                               signin_rate_limit_per_minute=6, signin_rate_limit_burst=2)
    api = httpx.MockTransport(lambda _: httpx.Response(401, json={"code": "unauthenticated"}))
    with TestClient(create_app(settings, transport=api), follow_redirects=False) as client:
        form = {"content": "token=guess&next=/cases",
                "headers": {"content-type": "application/x-www-form-urlencoded"}}
        attempts = [client.post("/signin", **form).status_code for _ in range(3)]  # type: ignore[arg-type]
        form_page = client.get("/signin").status_code
        too_large = client.post("/signout", content=b"x" * 300)
        exposed = client.get("/metrics").text

    assert attempts == [401, 401, 429]  # the API refuses the guess; the third is not asked
    assert form_page == 200  # only the POST is limited
    assert (too_large.status_code, too_large.json()["code"]) == (413, "body_too_large")
    assert 'fangxin_console_http_requests_refused_total{reason="rate_limited"} 1.0' in exposed
