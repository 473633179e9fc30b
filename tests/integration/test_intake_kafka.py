"""Intake on the real broker: transactional answers, receipts exactly once, HTTP ingestion."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi.testclient import TestClient

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.factories import as_bytes, sampling_fact
from tests.fixtures.producers import TEST_IMPORTER, TEST_LAB, TEST_MARKET, ProducersFile

pytestmark = pytest.mark.integration


@pytest.fixture
def topics(kafka: KafkaServer) -> Topics:
    names = Topics(prefix=f"it{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(names.all(), 2))
    return names


@pytest.fixture
def intake(kafka: KafkaServer, topics: Topics, producers_file: ProducersFile,
           tmp_path: Path) -> Iterator[TestClient]:
    settings = IntakeSettings(kafka_bootstrap=kafka.bootstrap_servers,
                              topic_prefix=topics.prefix, sqlite_dir=tmp_path / "db",
                              producers_file=producers_file.path, max_http_body_bytes=20_000,
                              consumer_group=f"{topics.prefix}intake", instance_id="it")
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while client.get("/health/ready").status_code != 200:
            assert time.monotonic() < deadline, client.get("/health/ready").json()
            time.sleep(0.1)
        yield client


async def _publish(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def _read(bootstrap: str, topic: str, settle: float = 1.5) -> list[dict]:
    """Everything committed on ``topic``: read until nothing new arrives for ``settle`` s."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    values: list[dict] = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            batch = await consumer.getmany(timeout_ms=200)
            new = [json.loads(r.value) for part in batch.values() for r in part]
            if new:
                values += new
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return values


def read_until(bootstrap: str, topic: str, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        values = asyncio.run(_read(bootstrap, topic, settle=0.5))
        if len(values) >= count or time.monotonic() > deadline:
            return values


def test_kafka_messages_get_one_committed_receipt_each(kafka: KafkaServer, topics: Topics,
                                                       intake: TestClient):
    good = as_bytes(sampling_fact("K1", source=TEST_LAB))
    asyncio.run(_publish(kafka.bootstrap_servers, topics.inbound,
                         [good, b"\xff not json", good, as_bytes(sampling_fact("K2"))[:40]]))

    receipts = read_until(kafka.bootstrap_servers, topics.receipts, 4)
    receipts += asyncio.run(_read(kafka.bootstrap_servers, topics.receipts))[len(receipts):]

    assert sorted(r["status"] for r in receipts) == ["accepted", "duplicate", "rejected",
                                                     "rejected"]
    facts = read_until(kafka.bootstrap_servers, topics.supervision, 1)
    assert [f["data"]["sample_id"] for f in facts] == ["K1"]
    dead = read_until(kafka.bootstrap_servers, topics.rejected, 2)
    assert sorted(r["code"] for d in dead for r in d["reasons"]) == ["bad_encoding", "not_json"]
    metrics = intake.get("/metrics").text
    assert 'fangxin_intake_messages_total{channel="kafka",reason="",status="accepted"' in metrics


def test_http_ingestion_answers_with_the_receipt(kafka: KafkaServer, topics: Topics,
                                                 intake: TestClient,
                                                 producers_file: ProducersFile):
    auth = {"Authorization": f"Bearer {producers_file.tokens[TEST_LAB]}"}
    fact = sampling_fact("H1", source=TEST_LAB)

    first = intake.post("/events", content=as_bytes(fact), headers=auth)
    again = intake.post("/events", content=as_bytes(fact), headers=auth)

    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert first.json()["channel"] == "http"
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    facts = read_until(kafka.bootstrap_servers, topics.supervision, 1)
    assert [f["id"] for f in facts] == ["evt-H1"]
    receipts = read_until(kafka.bootstrap_servers, topics.receipts, 2)
    assert sorted(r["status"] for r in receipts) == ["accepted", "duplicate"]


def test_http_refuses_strangers_impostors_and_oversize_bodies(intake: TestClient,
                                                              producers_file: ProducersFile):
    market = {"Authorization": f"Bearer {producers_file.tokens[TEST_MARKET]}"}
    fact = as_bytes(sampling_fact("H2", source=TEST_LAB))

    assert intake.post("/events", content=fact).json()["code"] == "unauthenticated"
    assert intake.post("/events", content=fact,
                       headers={"Authorization": "Bearer nope"}).status_code == 401
    impostor = intake.post("/events", content=fact, headers=market)
    assert impostor.status_code == 422
    assert [r["code"] for r in impostor.json()["reasons"]] == ["unauthorized_source"]
    huge = intake.post("/events", content=b" " * 20_001, headers=market)
    assert (huge.status_code, huge.json()["code"]) == (413, "body_too_large")


def test_http_batches_answer_each_event_in_order(intake: TestClient,
                                                 producers_file: ProducersFile):
    auth = {"Authorization": f"Bearer {producers_file.tokens[TEST_LAB]}",
            "Content-Type": "application/cloudevents-batch+json"}
    batch = [sampling_fact("B1", source=TEST_LAB), {"specversion": "1.0"},
             sampling_fact("B1", source=TEST_LAB)]

    answer = intake.post("/events/batch", content=json.dumps(batch), headers=auth)

    assert answer.status_code == 200
    assert [r["status"] for r in answer.json()] == ["accepted", "rejected", "duplicate"]
    assert intake.post("/events/batch", content=b"{}", headers=auth).json()["code"] == (
        "not_a_batch")


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared_document(relative: str) -> bytes:
    path = SHARED_DATA / relative
    assert path.exists(), f"{path} is missing: the conformance data must be beside the repo"
    return path.read_bytes()


def test_an_epcis_capture_becomes_trace_facts(kafka: KafkaServer, topics: Topics,
                                              intake: TestClient,
                                              producers_file: ProducersFile):
    auth = {"Authorization": f"Bearer {producers_file.tokens[TEST_MARKET]}",
            "GS1-Capture-ID": "capture-9.6.1"}
    document = shared_document("epcis-gs1/JSON/Example_9.6.1-ObjectEvent.jsonld")

    answer = intake.post("/epcis/capture", content=document, headers=auth)

    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["facts"]) == ("accepted", 3)
    facts = read_until(kafka.bootstrap_servers, topics.trace, 3)
    assert sorted(f["type"] for f in facts) == ["foodsafety.trace.received",
                                                "foodsafety.trace.shipped",
                                                "foodsafety.trace.shipped"]


def test_a_gdst_producer_is_held_to_the_gdst_rules(intake: TestClient,
                                                   producers_file: ProducersFile):
    document = shared_document("epcis-gdst/invalid/gdst_vessel_invalid_imo.jsonld")
    market = {"Authorization": f"Bearer {producers_file.tokens[TEST_MARKET]}"}
    importer = {"Authorization": f"Bearer {producers_file.tokens[TEST_IMPORTER]}"}

    lenient = intake.post("/epcis/capture", content=document, headers=market)
    strict = intake.post("/epcis/capture", content=document, headers=importer)

    assert lenient.json()["status"] == "accepted"
    assert strict.status_code == 422
    reasons = strict.json()["reasons"]
    assert {r["code"] for r in reasons} == {"gdst_profile"}
    assert any("imo" in r["message"].lower() for r in reasons)
