"""The skeleton path end to end: inbound fact → intake → workflow case → projection → HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import tracecontext
from tests.e2e.conftest import Pipeline
from tests.factories import as_bytes, sampling_fact

pytestmark = pytest.mark.e2e
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 60.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None and value is not False:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


async def publish(bootstrap: str, topic: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"lab")
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, count: int, within: float = 60) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + within
        while len(values) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            values += [r.value for records in batch.values() for r in records]
    finally:
        await consumer.stop()
    return values


def metric_total(text: str, name: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text,
                                                     re.MULTILINE))


def test_an_unqualified_sample_becomes_a_case_in_the_read_model(pipeline: Pipeline):
    fact = sampling_fact("E2E-1")

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, as_bytes(fact)))

    case = eventually(lambda: _case(pipeline, "SD-E2E-1"), what="SD-E2E-1 in projections")
    assert case["kind"] == "SD"
    assert case["state"] == "risk_control+window_open"
    assert case["details"]["sample_id"] == "E2E-1"
    status, history = pipeline.workflow.get_json("/cases/SD-E2E-1", pipeline.office_token)
    assert status == 200
    assert history["history"][0]["type"] == "case.opened"  # type: ignore[index]
    assert history["tracks"] == {"disposal": "risk_control",  # type: ignore[index]
                                 "retest": "window_open"}


def test_the_same_fact_twice_opens_one_case_and_bad_input_is_dead_lettered(pipeline: Pipeline):
    fact = as_bytes(sampling_fact("E2E-2"))

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, fact, b"{not json", fact))

    receipts = [json.loads(v) for v in asyncio.run(
        read_all(pipeline.bootstrap, pipeline.topics.receipts, 3))]
    assert sorted(r["status"] for r in receipts) == ["accepted", "duplicate", "rejected"]
    dead = [json.loads(v) for v in asyncio.run(
        read_all(pipeline.bootstrap, pipeline.topics.rejected, 1))]
    assert [r["code"] for r in dead[0]["reasons"]] == ["not_json"]
    eventually(lambda: metric_total(pipeline.workflow.metrics(),
                                    "fangxin_workflow_messages_total") >= 1,
               what="workflow handled the fact")
    eventually(lambda: _case(pipeline, "SD-E2E-2"), what="SD-E2E-2 in projections")
    status, cases = pipeline.projections.get_json("/cases?kind=SD", pipeline.office_token)
    assert status == 200
    assert [c["case_id"] for c in cases] == ["SD-E2E-2"]  # type: ignore[union-attr,index]
    _, case = pipeline.projections.get_json("/cases/SD-E2E-2", pipeline.office_token)
    opened = [t for t in case["timeline"] if t["type"] == "case.opened"]  # type: ignore[index]
    assert len(opened) == 1  # timers may have fired meanwhile: the sample is from 2023
    _, history = pipeline.workflow.get_json("/cases/SD-E2E-2", pipeline.office_token)
    assert [e["type"] for e in history["history"]].count("case.opened") == 1  # type: ignore[index]
    owners = set(case["owners"])  # type: ignore[index]
    assert set(pipeline.tokens) - owners - {"district-food-safety-office", "auditor"}
    for unit, token in pipeline.tokens.items():  # the read model scopes as the workflow does
        sees_all = unit in {"district-food-safety-office", "auditor"}
        status, _ = pipeline.projections.get_json("/cases/SD-E2E-2", token)
        _, listed = pipeline.projections.get_json("/cases?kind=SD", token)
        visible = sees_all or unit in owners
        assert status == (200 if visible else 404), unit  # not yours answers as missing
        assert [c["case_id"] for c in listed] == (["SD-E2E-2"] if visible else []), unit  # type: ignore[union-attr,index]


def _case(pipeline: Pipeline, case_id: str) -> dict | None:
    status, body = pipeline.projections.get_json(f"/cases/{case_id}", pipeline.office_token)
    return body if status == 200 else None  # type: ignore[return-value]


def test_one_grep_of_the_trace_id_follows_a_fact_through_every_service(pipeline: Pipeline):
    fact = sampling_fact("E2E-3")
    trace = tracecontext.trace_id(f"{fact['source']}#{fact['id']}")

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, as_bytes(fact)))

    receipts = [json.loads(v) for v in asyncio.run(
        read_all(pipeline.bootstrap, pipeline.topics.receipts, 1))]
    assert [r["trace_id"] for r in receipts] == [trace]  # the producer learns it
    for service in (pipeline.intake, pipeline.workflow, pipeline.projections):
        eventually(lambda service=service: trace in service.log_path.read_text(),
                   what=f"{service.name} logs trace {trace}")
    eventually(lambda: _case(pipeline, "SD-E2E-3"), what="SD-E2E-3 in projections")
    eventually(lambda: trace in {tracecontext.trace_of(h) for h in asyncio.run(  # case events
        read_headers(pipeline.bootstrap, pipeline.topics.workflow_events))},  # carry it too
        what="the case events' traceparent")


async def read_headers(bootstrap: str, topic: str) -> list[list[tuple[str, bytes]]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return [list(r.headers) for records in batch.values() for r in records]
    finally:
        await consumer.stop()
