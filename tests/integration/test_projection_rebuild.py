"""`fangxin projections rebuild` inside the running service, on real Kafka and both stores.

A generated history (tests/history.py: thousands of trace facts with pallets, transformations,
cycles, mismatches and corrections; samplings, inspections, SD cases) is fed live; a rebuild
replays it from offset zero into a fresh generation and switches the views over while queries
go on; the rebuilt read models must equal the live ones row for row (their digests).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contracts.topics import Topics
from fangxin import cli
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.processes import free_port
from services.projections.app import create_app
from services.projections.generations import open_generations, schema_name, sqlite_path
from services.projections.rebuild import Rebuild
from services.projections.settings import ProjectionsSettings
from services.projections.trace.schema import SECONDARY_INDEXES
from tests.history import History, generate

pytestmark = pytest.mark.integration
T = TypeVar("T")
OFFICE_TOKEN, UNIT_TOKEN = "office-token-for-tests", "unit-token-for-tests"
OFFICE = {"Authorization": f"Bearer {OFFICE_TOKEN}"}
MODELS = ("trace", "assessment", "cases")


def eventually(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first non-None answer of ``probe``, asked until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def units_file(directory: Path) -> Path:
    def caller(unit: str, role: str, token: str) -> dict[str, str]:
        return {"unit": unit, "role": role,
                "token_sha256": hashlib.sha256(token.encode()).hexdigest()}

    path = directory / "units.json"
    path.write_text(json.dumps({"version": 1, "callers": [
        caller("district-food-safety-office", "office", OFFICE_TOKEN),
        caller("market-regulation", "unit", UNIT_TOKEN)]}))
    return path


def projections_settings(store_env: dict[str, str], bootstrap: str, directory: Path
                         ) -> ProjectionsSettings:
    topics = Topics(prefix=f"rb{uuid.uuid4().hex[:8]}.")
    create_topics(bootstrap, dict.fromkeys(topics.all(), 2))
    common: dict[str, Any] = {
        "kafka_bootstrap": bootstrap, "topic_prefix": topics.prefix,
        "consumer_group": f"{topics.prefix}projections", "units_file": units_file(directory),
        "lag_interval_seconds": 0.2, "snapshot_interval_seconds": 3600.0,
        "http_rate_limit_per_minute": 0}  # queries go on as fast as they answer
    if store_env["PERSISTENCE_MODULE"].endswith("sqlite"):
        return ProjectionsSettings(**common, persistence="sqlite",
                                   sqlite_dir=directory / "projections")
    return ProjectionsSettings(
        **common, persistence="postgres", postgres_host=store_env["POSTGRES_HOST"],
        postgres_port=int(store_env["POSTGRES_PORT"]), postgres_user=store_env["POSTGRES_USER"],
        postgres_dbname=store_env["POSTGRES_DBNAME"])


def environment(settings: ProjectionsSettings) -> dict[str, str]:
    """The ``FANGXIN_*`` variables that give ``settings`` (for the command line)."""
    names = ("kafka_bootstrap", "topic_prefix", "persistence", "sqlite_dir", "postgres_host",
             "postgres_port", "postgres_user", "postgres_dbname")
    return {f"FANGXIN_{n.upper()}": str(getattr(settings, n)) for n in names}


@pytest.fixture
def settings(store_env: dict[str, str], kafka: KafkaServer, tmp_path: Path
             ) -> ProjectionsSettings:
    return projections_settings(store_env, kafka.bootstrap_servers, tmp_path)


def publish(settings: ProjectionsSettings, history: History) -> Counter[str]:
    """Send the history to the canonical topics, as intake and the workflow would; the
    number of records per topic."""
    topics = settings.topics
    records = [(topics.name(base), key, event.model_dump_json().encode())
               for base, key, event in history.facts]
    records += [(topics.workflow_events, e.case_id.encode(), e.model_dump_json().encode())
                for e in history.case_events]

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
        await producer.start()
        try:
            sent = [await producer.send(topic, value, key=key) for topic, key, value in records]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    asyncio.run(send())
    return Counter(topic for topic, _, _ in records)


def fed(settings: ProjectionsSettings, records: Counter[str]) -> dict[str, int]:
    """How many events each read model applies for ``records`` (per topic)."""
    t = settings.topics
    return {"trace": records[t.supervision] + records[t.trace] + records[t.workflow_events],
            "assessment": records[t.supervision] + records[t.workflow_events],
            "cases": records[t.workflow_events]}


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


def wait_settled(client: TestClient, timeout: float = 120) -> None:
    """Until every read model has applied every record of the topics it reads."""
    def probe() -> bool | None:
        answer = client.get("/admin/read-models", headers=OFFICE).json()
        return True if all(n == 0 for m in answer for n in m["lag"].values()) else None

    eventually(probe, timeout, "the read models to apply every record")


def read_models(client: TestClient) -> dict[str, dict[str, Any]]:
    answer = client.get("/admin/read-models?digest=true", headers=OFFICE)
    assert answer.status_code == 200, answer.text
    return {entry["read_model"]: entry for entry in answer.json()}


def rebuild(client: TestClient, body: dict[str, Any] | None = None,
            timeout: float = 180) -> dict[str, Any]:
    started = client.post("/admin/rebuild", headers=OFFICE, json=body or {})
    assert started.status_code == 202, started.text

    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = client.get("/admin/rebuild", headers=OFFICE).json()
        return status if status["state"] in {"done", "failed"} else None

    status = eventually(finished, timeout, "the rebuild to finish")
    assert status["state"] == "done", status
    return status


def generation_zero_leftovers(settings: ProjectionsSettings) -> list[str]:
    """Tables and positions of the rebuildable read models still in generation 0's place."""
    pattern = ("trace_%", "assessment_%", "case_%")
    if settings.persistence == "sqlite":
        with sqlite3.connect(settings.sqlite_dir / "projections.sqlite") as db:
            tables = [r[0] for p in pattern for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?", (p,))]
            positions = [r[0] for m in MODELS for r in db.execute(
                "SELECT application_name FROM tracking WHERE application_name LIKE ?",
                (f"{m}:%",))]
        return tables + positions
    with psycopg.connect(host=settings.postgres_host, port=settings.postgres_port,
                         user=settings.postgres_user, dbname=settings.postgres_dbname) as db:
        tables = [r[0] for p in pattern for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_name LIKE %s", (p,))]
        positions = [r[0] for m in MODELS for r in db.execute(
            "SELECT application_name FROM public.notification_tracking"
            " WHERE application_name LIKE %s", (f"{m}:%",))]
    return tables + positions


def generation_exists(settings: ProjectionsSettings, model: str, generation: int) -> bool:
    if settings.persistence == "sqlite":
        return sqlite_path(settings, model, generation).exists()
    with psycopg.connect(host=settings.postgres_host, port=settings.postgres_port,
                         user=settings.postgres_user, dbname=settings.postgres_dbname) as db:
        return bool(db.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name"
                               " = %s", (schema_name(settings, model, generation),)).fetchall())


def trace_indexes(settings: ProjectionsSettings, generation: int) -> set[str]:
    """The secondary indexes of a generation of the trace read model."""
    if settings.persistence == "sqlite":
        with sqlite3.connect(sqlite_path(settings, "trace", generation)) as db:
            return {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    with psycopg.connect(host=settings.postgres_host, port=settings.postgres_port,
                         user=settings.postgres_user, dbname=settings.postgres_dbname) as db:
        return {r[0] for r in db.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND indexname NOT LIKE"
            " '%%pkey'", (schema_name(settings, "trace", generation),))}


def test_a_rebuild_replays_into_a_fresh_generation_equal_to_the_live_one_and_goes_on_live(
        settings: ProjectionsSettings):
    history = generate()
    assert history.trace_facts > 2000
    expected = fed(settings, publish(settings, history))
    with TestClient(create_app(settings)) as client:
        wait_settled(client)
        live = read_models(client)
        for name in MODELS:
            assert metric(client.get("/metrics").text, "fangxin_projections_events_applied_total",
                          read_model=name) == expected[name]
        assert {m["generation"] for m in live.values()} == {0}

        status = rebuild(client)

        assert status["generations"] == dict.fromkeys(MODELS, 1)
        assert status["replayed"] == status["total"] == expected["trace"]  # every record once
        rebuilt = read_models(client)
        for name in MODELS:
            assert rebuilt[name]["generation"] == 1
            assert rebuilt[name]["digest"] == live[name]["digest"], name
        assert generation_zero_leftovers(settings) == []
        # loaded without its secondary indexes, then given them before the switch
        assert trace_indexes(settings, 1) == {
            sql.removeprefix("CREATE INDEX IF NOT EXISTS ").split(" ", 1)[0]
            for sql in SECONDARY_INDEXES}

        more = generate(scale=1, seed=99, prefix="n")  # the live feeder goes on, on gen 1
        added = fed(settings, publish(settings, more))
        wait_settled(client)
        lot = quote(more.farm_lots[-1], safe="")
        page = client.get(f"/lots/{lot}/downstream", headers=OFFICE)
        assert page.status_code == 200
        assert page.json()["movements"]
        text = client.get("/metrics").text
        final = read_models(client)
        assert {m["generation"] for m in final.values()} == {1}
        assert all(final[m]["digest"] != rebuilt[m]["digest"] for m in MODELS)

        assert metric(text, "fangxin_projections_offset_gaps_total") == 0
        for name in MODELS:
            assert metric(text, "fangxin_projections_rebuild_progress_ratio", read_model=name) == 1
            assert metric(text, "fangxin_projections_read_model_generation", read_model=name) == 1
        assert metric(text, "fangxin_projections_rebuild_records_replayed_total") >= (
            status["replayed"])
        assert metric(text, "fangxin_projections_rebuilds_total", outcome="done") == 1
        assert metric(text, "fangxin_projections_facts_applied_total", read_model="trace",
                      type="foodsafety.trace.shipped") > 0
        assert metric(text, "fangxin_projections_facts_applied_total", read_model="cases",
                      type="case:case.opened") == len(history.cases) + len(more.cases)
        assert metric(text, "fangxin_projections_events_applied_total", read_model="cases") == (
            expected["cases"] + added["cases"])
        assert metric(text, "fangxin_projections_query_duration_seconds_count",
                      route="/lots/{lot:path}/downstream") >= 1

        def no_lag() -> bool | None:
            text = client.get("/metrics").text
            lines = [line for line in text.splitlines()
                     if line.startswith("fangxin_projections_consumer_lag_messages{")]
            return True if len(lines) == 8 and all(line.endswith(" 0.0") for line in lines) \
                else None

        eventually(no_lag, 30, "no consumer lag once everything is applied")

    with TestClient(create_app(settings)) as restarted:  # a restart opens generation 1
        assert read_models(restarted) == final

    offline = CliRunner().invoke(cli.app, [  # the service stopped: rebuild in the command
        "projections", "rebuild", "--offline", "-m", "trace", "-m", "cases",
        "--url", f"http://127.0.0.1:{free_port()}"], env=environment(settings))
    assert offline.exit_code == 0, offline.output
    assert "trace → generation 2" in offline.output
    with TestClient(create_app(settings)) as restarted:
        after_offline = read_models(restarted)
    assert {m: e["generation"] for m, e in after_offline.items()} == {
        "trace": 2, "assessment": 1, "cases": 2}
    assert {m: e["digest"] for m, e in after_offline.items()} == {
        m: e["digest"] for m, e in final.items()}


def test_queries_answer_without_errors_or_empty_answers_while_a_rebuild_switches_over(
        settings: ProjectionsSettings):
    history = generate()
    publish(settings, history)
    lot = quote(history.farm_lots[0], safe="")
    queries = (f"/lots/{lot}/downstream", "/assessment?period=2024&by=township",
               f"/cases/{history.cases[0]}", f"/lots/{lot}/recall-scope")
    with TestClient(create_app(settings)) as client:
        wait_settled(client)
        answers: list[tuple[str, int, bool, datetime]] = []
        stop = threading.Event()

        def ask() -> None:
            while not stop.is_set():
                for path in queries:
                    answer = client.get(path, headers=OFFICE)
                    body = answer.json() if answer.status_code == 200 else None
                    full = bool(body.get("movements") or body.get("timeline")
                                if isinstance(body, dict) else body)
                    answers.append((path, answer.status_code, full, datetime.now(UTC)))

        asker = threading.Thread(target=ask)
        asker.start()
        try:
            eventually(lambda: True if len(answers) >= 8 else None, 30, "queries before")
            started = client.post("/admin/rebuild", headers=OFFICE, json={})
            assert started.status_code == 202
            during = generate(scale=1, seed=7, prefix="d")  # live facts during the rebuild
            publish(settings, during)

            def finished() -> dict[str, Any] | None:
                status: dict[str, Any] = client.get("/admin/rebuild", headers=OFFICE).json()
                return status if status["state"] in {"done", "failed"} else None

            status = eventually(finished, 180, "the rebuild to finish")
            count = len(answers)
            eventually(lambda: True if len(answers) >= count + 8 else None, 30,
                       "queries after")
        finally:
            stop.set()
            asker.join()
        assert status["state"] == "done", status
        failed = [a for a in answers if a[1] != 200 or not a[2]]
        assert failed == []
        started_at, switched_at = (datetime.fromisoformat(status[k])
                                   for k in ("started_at", "switched_at"))
        moments = [a[3] for a in answers]
        assert any(m < started_at for m in moments)  # before,
        assert any(started_at <= m <= switched_at for m in moments)  # during the replay
        assert sum(m > switched_at for m in moments) >= 8  # and after the switch

        wait_settled(client)  # what arrived during the rebuild is all there
        settled = read_models(client)
        assert rebuild(client)["generations"] == dict.fromkeys(MODELS, 2)
        again = read_models(client)
        for name in MODELS:  # generation 1, built while facts kept coming, equals a replay
            assert again[name]["digest"] == settled[name]["digest"], name
        assert [m for m in MODELS if generation_exists(settings, m, 1)] == []  # dropped
        assert [m for m in MODELS if not generation_exists(settings, m, 2)] == []


def test_only_the_district_office_may_rebuild_and_only_known_read_models(tmp_path: Path):
    settings = ProjectionsSettings(persistence="sqlite", sqlite_dir=tmp_path,
                                   units_file=units_file(tmp_path))
    client = TestClient(create_app(settings))  # no lifespan: nothing reaches Kafka
    assert client.post("/admin/rebuild", json={}).status_code == 401
    unit = {"Authorization": f"Bearer {UNIT_TOKEN}"}
    assert client.post("/admin/rebuild", headers=unit, json={}).status_code == 403
    assert client.get("/admin/read-models", headers=unit).status_code == 403
    refused = client.post("/admin/rebuild", headers=OFFICE, json={"read_models": ["recall"]})
    assert refused.status_code == 422
    assert client.get("/admin/rebuild", headers=OFFICE).status_code == 404
    assert [m["generation"] for m in client.get("/admin/read-models", headers=OFFICE).json()
            ] == [0, 0, 0]


def test_a_failed_rebuild_leaves_the_generation_in_force_and_drops_what_it_built(
        store_env: dict[str, str], kafka: KafkaServer, tmp_path: Path):
    settings = projections_settings(store_env, kafka.bootstrap_servers, tmp_path)
    settings = settings.model_copy(update={"topic_prefix": "never-created."})
    generations = open_generations(settings)
    status = asyncio.run(Rebuild(settings, generations, ["trace"]).run())
    assert status.state == "failed"
    assert "never-created.foodsafety.trace.v1" in (status.error or "")
    assert status.switched_at is None
    assert generations.in_force() == {}
    assert not generation_exists(settings, "trace", 1)
