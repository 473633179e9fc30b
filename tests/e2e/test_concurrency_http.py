"""Two workflow processes on one PostgreSQL database, units racing over real HTTP (issue 8).

Each process has its own interpreter, connection pool and aggregate cache; all they share is
the database, as two replicas do. Facts come in on the broker; then, round after round, two
units send commands on the same cases to both processes at the same moment.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from fangxin.local.processes import free_port
from fangxin.local.secrets import ensure_local_secrets, local_tokens
from fangxin.local.services import ServiceProcess, ServiceStartError
from tests.e2e.test_skeleton_path import eventually, publish
from tests.integration.test_concurrency import race
from tests.suites.workflow import fact
from tests.unit.contracts.examples import CATERING_USCC

pytestmark = pytest.mark.e2e
LEAD, CO_UNIT, OFFICE = "market-regulation", "township:北郊乡", "district-food-safety-office"
ROUNDS = 25
REFUSED_AFTER = {"accept_complaint": "command_not_allowed", "refuse_complaint": "case_closed"}
MEASURES = {"args": {"measures": "封存下架"}}


@dataclass
class Replicas:
    processes: tuple[ServiceProcess, ServiceProcess]
    tokens: dict[str, str]
    client: httpx.Client

    def post(self, replica: int, unit: str, case_id: str, command: str, *,
             key: str | None = None, **body: Any) -> tuple[int, dict[str, Any]]:
        answer = self.client.post(
            f"{self.processes[replica].url}/cases/{case_id}/commands",
            headers={"Authorization": f"Bearer {self.tokens[unit]}",
                     "Idempotency-Key": key or uuid.uuid4().hex},
            json={"command": command, **body})
        assert answer.status_code < 500, (case_id, command, answer.status_code, answer.text)
        return answer.status_code, answer.json()

    def settle(self, replica: int, unit: str, case_id: str, command: str,
               answer: tuple[int, dict[str, Any]], **body: Any) -> tuple[int, dict[str, Any]]:
        """A caller told ``concurrent_update`` sends the command again (a bounded number)."""
        for _ in range(5):
            if answer[0] != 409 or answer[1]["code"] != "concurrent_update":
                return answer
            answer = self.post(replica, unit, case_id, command, **body)
        return answer

    def history(self, replica: int, case_id: str) -> list[dict[str, Any]]:
        answer = self.client.get(f"{self.processes[replica].url}/cases/{case_id}",
                                 headers={"Authorization": f"Bearer {self.tokens[OFFICE]}"})
        assert answer.status_code == 200, answer.text
        history: list[dict[str, Any]] = answer.json()["history"]
        assert [h["version"] for h in history] == list(range(1, len(history) + 1)), case_id
        return history


@pytest.fixture
def replicas(kafka: KafkaServer, postgres: PostgresServer, tmp_path: Path
             ) -> Iterator[Replicas]:
    topics = Topics(prefix=f"cx{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 3))
    database = f"workflow_{uuid.uuid4().hex[:6]}"
    postgres.create_database(database)
    env = {"FANGXIN_KAFKA_BOOTSTRAP": kafka.bootstrap_servers,
           "FANGXIN_TOPIC_PREFIX": topics.prefix, "FANGXIN_PERSISTENCE": "postgres",
           "FANGXIN_POSTGRES_HOST": postgres.host, "FANGXIN_POSTGRES_PORT": str(postgres.port),
           "FANGXIN_POSTGRES_USER": postgres.user, "FANGXIN_POSTGRES_DBNAME": database,
           "FANGXIN_CONSUMER_GROUP": f"{topics.prefix}workflow",
           "FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE": "0",  # hundreds of commands a minute here
           **ensure_local_secrets(tmp_path)}
    processes = (ServiceProcess("workflow", free_port(), env, tmp_path / "logs"),
                 ServiceProcess("workflow.2", free_port(), env, tmp_path / "logs",
                                module="workflow"))
    processes[0].start()
    try:
        processes[0].wait_ready(90)  # the first creates the tables, then the second starts
        processes[1].start().wait_ready(90)
    except ServiceStartError as exc:
        for process in processes:
            process.stop()
        pytest.fail(str(exc), pytrace=False)
    facts = [fact("foodsafety.entity.registered", entity_id=CATERING_USCC, kind="catering",
                  township="北郊乡")]
    now = datetime.now(UTC).isoformat()
    for n in range(ROUNDS):
        facts += [fact("foodsafety.complaint.received", complaint_id=f"E-{n}", received_at=now),
                  fact("foodsafety.sampling.reported", entity_id=CATERING_USCC,
                       sample_id=f"E-{n}", reported_at=now)]
    asyncio.run(publish(kafka.bootstrap_servers, topics.supervision,
                        *[f.model_dump_json().encode() for f in facts]))
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=16)) as client:
        found = Replicas(processes, local_tokens(tmp_path), client)
        last = f"SD-E-{ROUNDS - 1}"
        eventually(lambda: client.get(f"{processes[1].url}/cases/{last}", headers={
            "Authorization": f"Bearer {found.tokens[OFFICE]}"}).status_code == 200,
            what="the facts opened their cases")
        yield found
    for process in processes:
        process.stop()


def advanced(history: list[dict[str, Any]]) -> list[str]:
    """The commands in a case's history (a command that closes it is a case.closed)."""
    return [h["command"] for h in history if h["type"] in {"case.advanced", "case.closed"}]


def test_given_two_workflow_processes_on_one_database_when_two_units_race_on_two_cases_each_round_then_no_update_is_lost_and_every_refusal_is_named(  # noqa: E501
        replicas: Replicas):
    won = {"accept_complaint": 0, "refuse_complaint": 0}
    for n in range(ROUNDS):
        complaint, sample, lead, co = f"CP-E-{n}", f"SD-E-{n}", n % 2, 1 - n % 2
        racers = [  # (replica, unit, case, command, body)
            (lead, LEAD, complaint, "accept_complaint", {}),
            (co, CO_UNIT, complaint, "refuse_complaint", {"reason": "outside_duties"}),
            (co, LEAD, sample, "confirm_risk_control", MEASURES),
            (lead, CO_UNIT, sample, "close_retest_window", {})]

        answers = race(*[partial(replicas.post, r, u, c, m, **b) for r, u, c, m, b in racers])

        final = {m: replicas.settle(r, u, c, m, a, **b)
                 for (r, u, c, m, b), a in zip(racers, answers, strict=True)}
        decided = [m for m in ("accept_complaint", "refuse_complaint") if final[m][0] == 200]
        assert len(decided) == 1, (complaint, final)
        loser = ({"accept_complaint", "refuse_complaint"} - set(decided)).pop()
        assert (final[loser][0], final[loser][1]["code"]) == (409, REFUSED_AFTER[decided[0]])
        assert complaint in final[loser][1]["message"]
        assert advanced(replicas.history(co, complaint)) == decided
        won[decided[0]] += 1
        assert final["confirm_risk_control"][0] == final["close_retest_window"][0] == 200, final
        assert sorted(advanced(replicas.history(lead, sample))) == [
            "close_retest_window", "confirm_risk_control"]

    assert sum(won.values()) == ROUNDS


def test_given_one_idempotency_key_when_it_reaches_both_processes_at_once_then_it_is_applied_once(
        replicas: Replicas):
    for n in range(ROUNDS):
        case_id, key = f"CP-E-{n}", uuid.uuid4().hex

        answers = race(*[partial(replicas.post, r, LEAD, case_id, "accept_complaint", key=key)
                         for r in (0, 1)])

        assert sorted((s, b["outcome"]) for s, b in answers) == [
            (200, "applied"), (200, "duplicate_message")], (case_id, answers)
        assert advanced(replicas.history(n % 2, case_id)) == ["accept_complaint"]
