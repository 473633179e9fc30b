"""The three services as separate processes against the real broker and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.secrets import ensure_local_secrets, local_tokens
from fangxin.local.services import ServiceProcess
from tests.fixtures.producers import ProducersFile
from tests.fixtures.services import postgres_settings, start_on_postgres


@dataclass
class Pipeline:
    topics: Topics
    bootstrap: str
    tokens: dict[str, str]
    intake: ServiceProcess
    workflow: ServiceProcess
    projections: ServiceProcess

    @property
    def office_token(self) -> str:
        return self.tokens["district-food-safety-office"]


@pytest.fixture
def pipeline(kafka: KafkaServer, postgres: PostgresServer, tmp_path: Path,
             producers_file: ProducersFile, request: pytest.FixtureRequest
             ) -> Iterator[Pipeline]:
    """The services; a test module's ``PIPELINE_ENV`` (a dict of ``FANGXIN_*`` settings) is
    given to each of them, e.g. to turn the rate limit off where a test loads the APIs."""
    extra: dict[str, str] = getattr(request.module, "PIPELINE_ENV", {})
    topics = Topics(prefix=f"e2e{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 3))
    settings = {**postgres_settings(kafka, postgres, topics),
                "FANGXIN_PRODUCERS_FILE": str(producers_file.path),
                "FANGXIN_LOG_LEVEL": "DEBUG",  # a line per message: a fact's journey is greppable
                **ensure_local_secrets(tmp_path), **extra}
    services = start_on_postgres(postgres, ("intake", "workflow", "projections"), topics,
                                 settings, tmp_path / "logs")
    yield Pipeline(topics, kafka.bootstrap_servers, local_tokens(tmp_path), **services)
    for service in services.values():
        service.stop()
