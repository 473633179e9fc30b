"""Request limits on the running services (issue 8, point 4): 413 and 429 over real HTTP.

The workflow and the projections run as processes (uvicorn, Kafka, PostgreSQL) with small
limits: 2 KiB bodies, 6 requests a minute with a burst of 5 (a token every 10 s, so a slow
machine cannot refill a bucket between the requests of a burst). A body over the limit is refused
whether its length is declared or it streams in chunks; a caller past its burst gets 429 with
Retry-After while another unit is still served, and is served again once Retry-After has passed;
the probes and /metrics are never limited, and /metrics counts the refusals. Without Kafka or
PostgreSQL the tests fail, never skip.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.secrets import ensure_local_secrets, local_tokens
from fangxin.local.services import ServiceProcess
from tests.fixtures.services import postgres_settings, start_on_postgres

pytestmark = pytest.mark.e2e

MAX_BODY = 2048
BURST = 5
LIMITS = {"FANGXIN_HTTP_MAX_BODY_BYTES": str(MAX_BODY),
          "FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE": "6", "FANGXIN_HTTP_RATE_LIMIT_BURST": str(BURST)}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = tmp_path_factory.mktemp("limits")
    return folder


@pytest.fixture(scope="module")
def services(kafka: KafkaServer, postgres: PostgresServer, state: Path
             ) -> Iterator[dict[str, ServiceProcess]]:
    topics = Topics(prefix=f"lim{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 1))
    settings = {**postgres_settings(kafka, postgres, topics), **LIMITS,
                **ensure_local_secrets(state)}
    started = start_on_postgres(postgres, ("workflow", "projections"), topics, settings,
                                state / "logs")
    yield started
    for service in started.values():
        service.stop()


@pytest.fixture(scope="module")
def tokens(services: dict[str, ServiceProcess], state: Path) -> dict[str, str]:
    assert services  # the secrets are written before the services start
    return local_tokens(state)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "content-type": "application/json"}


def chunks(total: int, size: int = 512) -> Iterator[bytes]:
    """A JSON body streamed in pieces, without a Content-Length."""
    yield b'{"command": "accept_complaint", "args": {"note": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}}'


def refusals(service: ServiceProcess, name: str, reason: str) -> float:
    series = f'fangxin_{name}_http_requests_refused_total{{reason="{reason}"}} '
    line = next(line for line in service.metrics().splitlines() if line.startswith(series))
    return float(line.rsplit(" ", 1)[1])


def test_a_body_over_the_limit_is_refused_by_its_length_and_while_it_streams(
        services: dict[str, ServiceProcess], tokens: dict[str, str]):
    workflow = services["workflow"]
    url = f"{workflow.url}/cases/CP-NO-SUCH/commands"
    headers = bearer(tokens["district-food-safety-office"])
    before = refusals(workflow, "workflow", "body_too_large")

    declared = httpx.post(url, headers=headers, timeout=30,
                          json={"command": "accept_complaint", "args": {"n": "x" * MAX_BODY}})
    streamed = httpx.post(url, headers=headers, content=chunks(4 * MAX_BODY), timeout=30)
    small = httpx.post(url, headers=headers, content=chunks(MAX_BODY // 2), timeout=30)

    assert "content-length" not in streamed.request.headers
    assert streamed.request.headers["transfer-encoding"] == "chunked"
    for refused in (declared, streamed):
        assert refused.status_code == 413
        assert refused.json() == {"code": "body_too_large", "message":
                                  f"the request body is over the limit of {MAX_BODY} bytes"}
    assert (small.status_code, small.json()["code"]) == (404, "case_not_found")  # it got in
    assert refusals(workflow, "workflow", "body_too_large") == before + 2


def test_a_caller_past_its_burst_gets_429_until_retry_after_while_others_are_served(
        services: dict[str, ServiceProcess], tokens: dict[str, str]):
    projections = services["projections"]
    health, market = bearer(tokens["health"]), bearer(tokens["market-regulation"])

    def cases(headers: dict[str, str]) -> httpx.Response:
        return httpx.get(f"{projections.url}/cases", headers=headers, timeout=30)

    burst = [cases(health).status_code for _ in range(BURST)]
    limited = cases(health)
    refused_at = time.monotonic()
    other_unit = cases(market)
    probes = {httpx.get(f"{projections.url}{path}", timeout=30).status_code
              for path in ("/health/live", "/health/ready", "/metrics") for _ in range(10)}

    assert burst == [200] * BURST
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 10  # 6 a minute: a token every 10 s
    assert other_unit.status_code == 200
    assert probes == {200}
    assert refusals(projections, "projections", "rate_limited") >= 1
    served_again = None
    while served_again is None and time.monotonic() < refused_at + retry_after + 5:
        answer = cases(health)  # a refused request costs no token
        served_again = time.monotonic() if answer.status_code == 200 else None
        time.sleep(0.25)
    assert served_again is not None, "not served again after Retry-After"


def test_callers_without_a_valid_token_share_their_address_bucket(
        services: dict[str, ServiceProcess]):
    workflow = services["workflow"]
    answers = [httpx.get(f"{workflow.url}/cases", headers={"Authorization": f"Bearer guess{n}"},
                         timeout=30).status_code for n in range(BURST + 1)]

    assert answers == [401] * BURST + [429]  # new guesses do not make new buckets
