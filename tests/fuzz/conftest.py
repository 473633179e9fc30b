"""The three API services as processes over the real broker and PostgreSQL, with data in them.

Started once for the package: intake, workflow and projections (each on its own PostgreSQL
database, the session's Kafka broker, unique topics), rate limits off, then a small generated
Longting data set published and caught up, so that the fuzzers find cases, lots and businesses
to answer about rather than empty tables. A service that does not start fails the tests.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

import httpx
import pytest

from contracts.topics import Topics
from fangxin.catchup import CatchUp, CatchUpTimeoutError
from fangxin.generator import Dataset, generate
from fangxin.generator.files import publish_messages
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.secrets import ensure_local_secrets, local_tokens
from fangxin.local.services import ServiceProcess
from tests.fixtures.services import postgres_settings, start_on_postgres

API_SERVICES = ("intake", "workflow", "projections")
FUZZ_PRODUCER = "urn:fangxin:market:fuzz"  # may send every type (HTTP ingestion)
SEED, SIZE = 5, 400  # 695 messages: 139 cases of eight kinds, a traced lot, 50 businesses
PRODUCERS = Path(__file__).resolve().parents[2] / "deploy" / "local" / "producers.json"


@dataclass
class FuzzStack:
    services: dict[str, ServiceProcess]
    databases: dict[str, str]  # service -> its PostgreSQL database
    tokens: dict[str, str]  # unit -> bearer token
    producer_token: str
    dataset: Dataset
    postgres: PostgresServer
    requests: dict[str, int] = field(default_factory=dict)  # suite -> requests made

    @property
    def office_token(self) -> str:
        return self.tokens["district-food-safety-office"]

    def token_for(self, service: str) -> str:
        return self.producer_token if service == "intake" else self.office_token

    def url(self, service: str) -> str:
        return self.services[service].url

    def count(self, suite: str, n: int = 1) -> None:
        self.requests[suite] = self.requests.get(suite, 0) + n

    def known(self) -> dict[str, str]:
        """Path parameters that find something: an SD case, the traced lot, its market."""
        office = {"Authorization": f"Bearer {self.office_token}"}
        cases = httpx.get(f"{self.url('projections')}/cases", headers=office,
                          params={"kind": "SD"}, timeout=30).json()
        lot = self.dataset.truth.traced_lot
        assert cases, "the data set has SD cases"
        assert lot is not None, "the data set has a traced lot"
        return {"case_id": cases[0]["case_id"], "lot": lot.lot_code, "entity_id": lot.market_id}


def _producers_file(folder: Path, token: str) -> Path:
    """The local producer registry, plus one producer whose HTTP token this run knows."""
    registry = json.loads(PRODUCERS.read_text(encoding="utf-8"))
    registry["producers"].append({"source": FUZZ_PRODUCER, "types": ["*"], "profiles": [],
                                  "token_sha256": sha256(token.encode()).hexdigest()})
    path = folder / "producers.json"
    path.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="package")
def fuzz_stack(kafka: KafkaServer, postgres: PostgresServer,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    folder = tmp_path_factory.mktemp("fuzz")
    topics = Topics(prefix=f"fz{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 2))
    producer_token = secrets.token_urlsafe(24)
    settings = {**postgres_settings(kafka, postgres, topics),
                "FANGXIN_PRODUCERS_FILE": str(_producers_file(folder, producer_token)),
                "FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE": "0",  # the fuzzers are not a flood test
                "FANGXIN_LOG_LEVEL": "WARNING",
                **ensure_local_secrets(folder)}
    services = start_on_postgres(postgres, API_SERVICES, topics, settings, folder / "logs")
    databases = {name: service.env["FANGXIN_POSTGRES_DBNAME"]
                 for name, service in services.items()}
    try:
        dataset = generate(seed=SEED, size=SIZE)
        published = asyncio.run(publish_messages(kafka.bootstrap_servers, topics.inbound,
                                                 dataset.messages))
        groups = {f"{topics.prefix}intake": (topics.inbound,),
                  f"{topics.prefix}workflow": (topics.supervision, topics.workflow_commands),
                  f"{topics.prefix}projections": (topics.supervision, topics.trace,
                                                   topics.workflow_events)}
        watcher = CatchUp(kafka.bootstrap_servers, topics,
                          lambda name: services[name].metrics(), groups)
        asyncio.run(watcher.wait(published, within=180))
    except CatchUpTimeoutError as exc:
        for service in services.values():
            service.stop()
        pytest.fail(str(exc), pytrace=False)
    stack = FuzzStack(services, databases, local_tokens(folder), producer_token, dataset,
                      postgres)
    yield stack
    for service in services.values():
        service.stop()
    for suite, n in sorted(stack.requests.items()):
        print(f"\nfuzz requests: {suite}: {n}")
