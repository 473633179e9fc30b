"""`fangxin projections rebuild` against the running services (processes on Kafka and
PostgreSQL): facts go in through intake, the command rebuilds the projections' read models and
switches over while queries go on, and the rebuilt trace equals the live one."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from fangxin import cli
from tests.e2e.conftest import Pipeline
from tests.e2e.test_skeleton_path import eventually
from tests.history import History, generate
from tests.integration.test_projection_rebuild import metric

pytestmark = pytest.mark.e2e
PIPELINE_ENV = {"FANGXIN_HTTP_RATE_LIMIT_PER_MINUTE": "0"}  # queries as fast as they answer
ROUTED = ("foodsafety.trace.", "foodsafety.certificate.", "foodsafety.entity.")


async def send(bootstrap: str, topic: str, history: History) -> int:
    """Send the history's trace, certificate and registration facts to intake's topic (no
    samplings: the workflow's timers would go on changing the read models)."""
    values = [(event.source.encode(), event.model_dump_json().encode())
              for _, _, event in history.facts if event.type.startswith(ROUTED)]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=key) for key, value in values]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return len(values)


def test_the_rebuild_command_switches_the_running_service_over_while_queries_answer(
        pipeline: Pipeline):
    projections, token = pipeline.projections, pipeline.office_token
    office = {"Authorization": f"Bearer {token}"}
    history = generate(prefix="e")
    sent = asyncio.run(send(pipeline.bootstrap, pipeline.topics.inbound, history))
    trace_facts = sum(1 for _, _, e in history.facts if e.type.startswith(ROUTED[:2]))

    seen: list[object] = []

    def settled() -> list[dict[str, Any]] | None:
        applied = metric(projections.metrics(), "fangxin_projections_events_applied_total",
                         read_model="trace")
        status, body = projections.get_json("/admin/read-models", token)
        assert status == 200, body
        models: list[dict[str, Any]] = body  # type: ignore[assignment]
        seen[:] = [applied, models]
        done = applied >= trace_facts and all(n == 0 for m in models for n in m["lag"].values())
        return models if done else None

    try:
        eventually(settled, 180, f"the projections to apply {sent} facts sent through intake")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen}") from None
    live = httpx.get(f"{projections.url}/admin/read-models?digest=true", headers=office,
                     timeout=60).json()

    lot = quote(history.farm_lots[0], safe="")
    queries = (f"/lots/{lot}/downstream", f"/lots/{lot}/recall-scope",
               f"/lots/{lot}/spreadsheet.csv")
    answers: list[tuple[str, int, int]] = []
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(base_url=projections.url, headers=office, timeout=30) as http:
            while not stop.is_set():
                for path in queries:
                    answer = http.get(path)
                    answers.append((path, answer.status_code, len(answer.content)))

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        eventually(lambda: len(answers) >= 6, 30, "queries before the rebuild")
        started = time.monotonic()
        result = CliRunner().invoke(cli.app, ["projections", "rebuild", "--url",
                                              projections.url, "--token", token])
        took = time.monotonic() - started
        count = len(answers)
        eventually(lambda: len(answers) >= count + 6, 30, "queries after the switch")
    finally:
        stop.set()
        asker.join()
    assert result.exit_code == 0, result.output
    assert "switched" in result.output
    assert [a for a in answers if a[1] != 200 or a[2] < 50] == []

    rebuilt = httpx.get(f"{projections.url}/admin/read-models?digest=true", headers=office,
                        timeout=60).json()
    assert [m["generation"] for m in rebuilt] == [1, 1, 1]
    assert rebuilt[0]["read_model"] == "trace"
    assert rebuilt[0]["digest"] == live[0]["digest"]
    status = httpx.get(f"{projections.url}/admin/rebuild", headers=office, timeout=10).json()
    assert status["state"] == "done"
    assert status["replayed"] >= trace_facts
    print(f"rebuild of {status['replayed']} records through the command: {took:.1f} s")

    more = generate(prefix="f")  # the live feeder goes on, on the new generation
    asyncio.run(send(pipeline.bootstrap, pipeline.topics.inbound, more))
    new_lot = quote(more.farm_lots[-1], safe="")
    eventually(lambda: projections.get_json(f"/lots/{new_lot}/downstream", token)[0] == 200,
               120, "a lot sent after the switch")
    text = projections.metrics()
    assert metric(text, "fangxin_projections_rebuild_progress_ratio", read_model="trace") == 1
    assert metric(text, "fangxin_projections_read_model_generation", read_model="cases") == 1
    assert metric(text, "fangxin_projections_query_duration_seconds_count",
                  route="/lots/{lot:path}/recall-scope") >= 2
