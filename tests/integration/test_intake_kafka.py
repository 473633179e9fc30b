"""Intake on the real broker: transactional answers, receipts exactly once, HTTP ingestion."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi.testclient import TestClient

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.clients import wait_ready
from tests.factories import as_bytes, sampling_fact
from tests.fixtures.kafka import publish_values
from tests.fixtures.producers import TEST_IMPORTER, TEST_LAB, TEST_MARKET, ProducersFile

pytestmark = pytest.mark.integration


@pytest.fixture
def topics(kafka: KafkaServer) -> Topics:
    names = Topics(prefix=f"it{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(names.all(), 2))
    return names


def _ready(settings: IntakeSettings) -> Iterator[TestClient]:
    """The app with its lifespan (the pump) started, once it says it is ready."""
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        yield client


@pytest.fixture
def intake(kafka: KafkaServer, topics: Topics, producers_file: ProducersFile,
           tmp_path: Path) -> Iterator[TestClient]:
    settings = IntakeSettings(kafka_bootstrap=kafka.bootstrap_servers,
                              topic_prefix=topics.prefix, sqlite_dir=tmp_path / "db",
                              producers_file=producers_file.path, max_http_body_bytes=20_000,
                              consumer_group=f"{topics.prefix}intake", instance_id="it")
    yield from _ready(settings)


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
    asyncio.run(publish_values(kafka.bootstrap_servers, topics.inbound,
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


# --- hostile messages (issue 8, point 2) ------------------------------------------------------
# Raw records straight onto the inbound topic of a real broker, intake on PostgreSQL (its dedupe
# store is where text from a message meets a database): whatever the bytes, each gets exactly
# one committed receipt, and a refused one a dead letter holding its original bytes and key.

HOSTILE_LIMIT = 64_000  # intake's configured limit for these tests (the broker's is 1 MiB)
OK = "accepted"


def _fact_text(**changes: object) -> str:
    fact = sampling_fact("HX", source=TEST_LAB)
    fact.update(changes)
    return json.dumps(fact, ensure_ascii=False)


def _hostile() -> dict[str, tuple[bytes | None, bytes | None, str]]:
    """name -> (key, value, the code the receipt must give, or ``accepted``)."""
    noise = random.Random(8)
    valid = _fact_text().encode()
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    return {
        "random bytes": (b"k1", bytes(noise.randrange(256) for _ in range(4096)),
                         "bad_encoding"),
        "random printable bytes": (b"k2", bytes(noise.randrange(32, 127) for _ in range(4096)),
                                   "not_json"),
        "one byte over the limit": (b"k3", b"x" * (HOSTILE_LIMIT + 1), "too_large"),
        "a valid fact padded over the limit": (b"k4", valid + b" " * HOSTILE_LIMIT, "too_large"),
        "ten times the limit": (b"k5", b"[" * (HOSTILE_LIMIT * 10), "too_large"),
        "deep nesting": (b"k6", deep, "too_deep"),
        "deep arrays": (b"k7", b"[" * 20_000 + b"]" * 20_000, "too_deep"),
        "deep nesting inside data": (b"k8", _fact_text(data={"x": "@"}).replace(
            '"@"', "[" * 3000 + "]" * 3000).encode(), "too_deep"),
        "UTF-16 with its BOM": (b"k9", _fact_text().encode("utf-16"), "bad_encoding"),
        "UTF-16 without a BOM": (b"k10", _fact_text().encode("utf-16-le"), "bad_encoding"),
        "Latin-1": (b"k11", _fact_text(id="Käse-1").encode("latin-1", "replace"),
                    "bad_encoding"),
        "an overlong UTF-8 slash": (b"k12", valid.replace(b"HX", b"H\xc0\xafX", 1),
                                    "bad_encoding"),
        "a UTF-8 encoded surrogate": (b"k13", valid.replace(b"HX", b"H\xed\xa0\x80X", 1),
                                      "bad_encoding"),
        "a lone surrogate escape": (b"k14", _fact_text(id="evt-\\ud800").replace(
            "\\\\ud800", "\\ud800").encode(), "not_json"),
        "a UTF-8 BOM before garbage": (b"k15", b"\xef\xbb\xbf" + b"\xff\xfe garbage",
                                       "bad_encoding"),
        "a UTF-8 BOM before a valid fact": (b"k16", b"\xef\xbb\xbf" + valid, OK),
        "null value (a tombstone)": (b"k17", None, "not_json"),
        "empty value": (b"k18", b"", "not_json"),
        "null key and garbage": (None, b"\x00\x01\x02", "not_json"),
        "NUL inside the id": (b"k20", _fact_text(id="evt-\u0000-1").encode(),
                              "invalid_envelope"),
        "NUL inside the source": (b"k21", _fact_text(source=f"{TEST_LAB}\u0000").encode(),
                                  "invalid_envelope"),
        "NUL inside data": (b"k21b", valid.replace(b"LT2306", b"LT\\u00002306", 1),
                            "invalid_data"),
        "garbage data (a string)": (b"k22", _fact_text(data="garbage").encode(),
                                    "invalid_data"),
        "garbage data (null)": (b"k23", _fact_text(data=None).encode(), "invalid_data"),
        "garbage data (a field of the wrong type)": (
            b"k24", _fact_text(data={**sampling_fact("HX")["data"], "items": "many"}).encode(),
            "invalid_data"),
        "NaN and huge numbers": (b"k25", b'{"specversion": NaN, "id": 1e99999}',
                                 "invalid_envelope"),
        "a JSON array": (b"k26", b"[" + valid + b"]", "not_an_object"),
        "a JSON string": (b"k27", json.dumps(_fact_text()).encode(), "not_an_object"),
    }


@pytest.fixture
def pg_intake(kafka: KafkaServer, topics: Topics, producers_file: ProducersFile,
              postgres: PostgresServer, pg_database: str,
              tmp_path: Path) -> Iterator[TestClient]:
    settings = IntakeSettings(kafka_bootstrap=kafka.bootstrap_servers,
                              topic_prefix=topics.prefix, persistence="postgres",
                              postgres_host=postgres.host, postgres_port=postgres.port,
                              postgres_user=postgres.user, postgres_dbname=pg_database,
                              producers_file=producers_file.path,
                              max_message_bytes=HOSTILE_LIMIT, sqlite_dir=tmp_path / "db",
                              consumer_group=f"{topics.prefix}intake", instance_id="hostile")
    yield from _ready(settings)


async def _send_each(bootstrap: str, topic: str,
                     records: list[tuple[bytes | None, bytes | None]]) -> list[tuple[int, int]]:
    """Each record with its own key (None too); where each landed (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2_000_000)
    await producer.start()
    try:
        placed = [await producer.send_and_wait(topic, value, key=key) for key, value in records]
    finally:
        await producer.stop()
    return [(m.partition, m.offset) for m in placed]


def _by_position(values: list[dict]) -> dict[tuple[int, int], list[dict]]:
    found: dict[tuple[int, int], list[dict]] = {}
    for value in values:
        found.setdefault((value["inbound_partition"], value["inbound_offset"]), []).append(value)
    return found


def test_hostile_records_get_one_receipt_each_and_dead_letters_with_their_bytes(
        kafka: KafkaServer, topics: Topics, pg_intake: TestClient):
    hostile = _hostile()
    placed = asyncio.run(_send_each(kafka.bootstrap_servers, topics.inbound,
                                    [(key, value) for key, value, _ in hostile.values()]))

    receipts = _by_position(read_until(kafka.bootstrap_servers, topics.receipts, len(hostile)))
    letters = _by_position(read_until(kafka.bootstrap_servers, topics.rejected,
                                      sum(code != OK for *_, code in hostile.values())))

    wrong = {}
    for (name, (key, value, code)), position in zip(hostile.items(), placed, strict=True):
        answered = receipts.get(position, [])
        got = [r["status"] if r["status"] != "rejected" else r["reasons"][0]["code"]
               for r in answered]
        if got != [code] or any(not r["message"] for a in answered for r in a["reasons"]):
            wrong[name] = got
        elif code != OK:
            (letter,) = letters.get(position, [None])
            if letter is None or base64.b64decode(letter["original_base64"]) != (value or b""):
                wrong[name] = f"dead letter {letter and letter['original_base64'][:40]!r}"
            elif letter["original_key_base64"] != (key and base64.b64encode(key).decode()):
                wrong[name] = f"dead letter key {letter['original_key_base64']!r}"
    assert wrong == {}
    assert len(receipts) == len(hostile)  # and nothing else was answered
    assert set(letters) == {p for p, (*_, code) in zip(placed, hostile.values(), strict=True)
                            if code != OK}


def test_intake_answers_a_valid_fact_after_the_hostile_records(
        kafka: KafkaServer, topics: Topics, pg_intake: TestClient):
    hostile = _hostile()
    records = [(key, value) for key, value, _ in hostile.values()]
    after = as_bytes(sampling_fact("AFTER-HOSTILE", source=TEST_LAB))

    asyncio.run(_send_each(kafka.bootstrap_servers, topics.inbound, [*records, (b"ok", after)]))

    receipts = read_until(kafka.bootstrap_servers, topics.receipts, len(hostile) + 1)
    last = [r for r in receipts if r["id"] == "evt-AFTER-HOSTILE"]
    assert [r["status"] for r in last] == ["accepted"]
    assert pg_intake.get("/health/ready").status_code == 200
    facts = read_until(kafka.bootstrap_servers, topics.supervision, 2)
    assert "AFTER-HOSTILE" in {f["data"]["sample_id"] for f in facts}


def test_a_bad_record_as_large_as_the_broker_takes_is_still_dead_lettered(
        kafka: KafkaServer, topics: Topics, intake: TestClient):
    value = b"\xff" * 1_000_000  # under intake's default limit (1 MiB) and the broker's
    after = as_bytes(sampling_fact("AFTER-LARGE", source=TEST_LAB))

    asyncio.run(_send_each(kafka.bootstrap_servers, topics.inbound, [(b"big", value),
                                                                     (b"ok", after)]))

    receipts = read_until(kafka.bootstrap_servers, topics.receipts, 2)
    assert sorted((r["status"], r["id"]) for r in receipts) == [
        ("accepted", "evt-AFTER-LARGE"), ("rejected", None)]
    (letter,) = read_until(kafka.bootstrap_servers, topics.rejected, 1)
    assert base64.b64decode(letter["original_base64"]) == value
