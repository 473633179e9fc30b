"""The workflow's HTTP API on the real broker: who sees and does what, and what is refused."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from services.workflow.app import create_app
from services.workflow.settings import WorkflowSettings
from services.workflow.translate import commands_for, message_id
from tests.suites.workflow import YEAR_2027, fact
from tests.unit.contracts.examples import CATERING_USCC

pytestmark = pytest.mark.integration
ROLES = {"district-food-safety-office": "office", "market-regulation": "unit",
         "education-sports": "unit", "auditor": "auditor"}


@pytest.fixture
def client(kafka: KafkaServer, tmp_path: Path) -> Iterator[TestClient]:
    topics = Topics(prefix=f"wf{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 1))
    units = tmp_path / "units.json"
    units.write_text(json.dumps({"callers": [
        {"unit": unit, "role": role, "token_sha256": hashlib.sha256(unit.encode()).hexdigest()}
        for unit, role in ROLES.items()]}))
    settings = WorkflowSettings(kafka_bootstrap=kafka.bootstrap_servers,
                                topic_prefix=topics.prefix, sqlite_dir=tmp_path / "db",
                                units_file=units, cipher_key=AESCipher.create_key(32),
                                consumer_group=f"{topics.prefix}workflow")
    app = create_app(settings)
    with TestClient(app) as http:
        workflow = app.state.workflow
        facts = [fact("foodsafety.entity.registered", entity_id=CATERING_USCC, kind="catering",
                      township="北郊乡"),
                 fact("foodsafety.complaint.received", complaint_id="H-1"),
                 fact("foodsafety.complaint.received", complaint_id="H-2027",
                      received_at="2027-09-29T10:00:00+08:00")]
        workflow.handle([(message_id(f), commands_for(f)) for f in facts],
                        Tracking("kafka:test:0", 1))
        deadline = time.monotonic() + 30
        while len(http.get("/cases?kind=CP", headers=as_unit("auditor")).json()) < 2:
            assert time.monotonic() < deadline, "the case index did not catch up"
            time.sleep(0.1)
        yield http


def as_unit(unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {unit}"}  # the tokens are the unit ids in this test


def test_every_case_endpoint_needs_a_token(client: TestClient):
    for method, path in [("GET", "/cases"), ("GET", "/cases/CP-H-1"),
                         ("POST", "/cases/CP-H-1/commands"), ("POST", "/calendar/years")]:
        answer = client.request(method, path, json={})
        assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated"), path


def test_units_see_only_the_cases_they_own(client: TestClient):
    office = {c["case_id"] for c in client.get("/cases?kind=CP", headers=as_unit(
        "district-food-safety-office")).json()}
    owner = {c["case_id"] for c in client.get("/cases?kind=CP", headers=as_unit(
        "market-regulation")).json()}
    outsider = client.get("/cases?kind=CP", headers=as_unit("education-sports")).json()

    assert office == owner == {"CP-H-1", "CP-H-2027"}
    assert outsider == []
    assert client.get("/cases/CP-H-1", headers=as_unit("education-sports")).status_code == 404


def test_a_case_shows_its_owners_deadlines_history_and_allowed_commands(client: TestClient):
    case = client.get("/cases/CP-H-1", headers=as_unit("market-regulation")).json()

    assert case["assignment"]["action"] == 6
    assert "township:北郊乡" in case["owners"]
    assert case["available_commands"] == ["accept_complaint", "refuse_complaint"]
    assert case["deadlines"]["acceptance"]["due_at"].startswith("2023-06-28")
    assert case["history"][0]["type"] == "case.opened"  # (the 2023 timers may fire meanwhile)
    assert "case.advanced" not in [h["type"] for h in case["history"]]
    assert "complainant" not in json.dumps(case)
    assert "王某" not in json.dumps(case, ensure_ascii=False)


def test_commands_are_applied_or_refused_with_a_named_reason(client: TestClient):
    unit = as_unit("market-regulation")
    bad_reason = client.post("/cases/CP-H-1/commands", headers=unit,
                             json={"command": "refuse_complaint", "reason": "busy"})
    not_now = client.post("/cases/CP-H-1/commands", headers=unit,
                          json={"command": "record_agreement"})
    auditor = client.post("/cases/CP-H-1/commands", headers=as_unit("auditor"),
                          json={"command": "accept_complaint"})
    accepted = client.post("/cases/CP-H-1/commands", headers=unit,
                           json={"command": "accept_complaint"})

    assert (bad_reason.status_code, bad_reason.json()["code"]) == (422, "invalid_reason")
    assert (not_now.status_code, not_now.json()["code"]) == (409, "command_not_allowed")
    assert auditor.status_code == 403
    assert accepted.status_code == 200
    assert accepted.json()["case"]["tracks"] == {"complaint": "mediating"}
    assert client.get("/cases/CP-H-1?version=1", headers=unit).json()["tracks"] == {
        "complaint": "received"}


def test_the_office_loads_a_year_and_provisional_deadlines_are_recomputed(client: TestClient):
    before = client.get("/cases/CP-H-2027", headers=as_unit("auditor")).json()
    refused = client.post("/calendar/years", headers=as_unit("market-regulation"),
                          json=json.loads(YEAR_2027))
    loaded = client.post("/calendar/years", headers=as_unit("district-food-safety-office"),
                         json=json.loads(YEAR_2027))
    after = client.get("/cases/CP-H-2027", headers=as_unit("auditor")).json()

    assert before["deadlines"]["acceptance"]["provisional"] is True
    assert refused.status_code == 403
    assert loaded.json() == {"year": 2027, "recomputed_cases": 1}
    assert after["deadlines"]["acceptance"]["provisional"] is False
    assert after["deadlines"]["acceptance"]["due_at"].startswith("2027-10-15")


def test_every_begun_plan_year_has_an_annual_summary_case_per_action(client: TestClient):
    deadline = time.monotonic() + 30
    while len(cases := client.get("/cases?kind=AS", headers=as_unit("auditor")).json()) < 39:
        assert time.monotonic() < deadline, "the annual summary cases were not opened"
        time.sleep(0.1)
    school = client.get("/cases?kind=AS", headers=as_unit("education-sports")).json()

    assert sorted(c["case_id"] for c in cases) == sorted(
        f"AS-{year}-{action}" for year in (2022, 2023, 2024) for action in range(1, 14))
    assert {c["next_due"][:10] for c in cases if c["next_due"]} <= {
        "2022-12-02", "2023-12-02", "2024-12-02"}  # UTC: 23:59:59.999999 +08:00 is 15:59 Z
    assert school, "a co-responsible unit sees the summaries of its actions"
    assert {c["action"] for c in school} < set(range(1, 14))
