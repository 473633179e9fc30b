"""Complainant personal data (issue 8, point 4): only the fact itself carries it.

Given a complaint whose complainant has a distinctive name, phone and address, published to the
inbound topic of the real pipeline (Kafka, PostgreSQL, each service its own process), when its
case has reached the read model, then none of the three appears:

- in the workflow's database, the encrypted event store included (the ``state`` bytes of the
  eventsourcing events table, found by its columns), nor in any other column of any table;
- on ``foodsafety.workflow.events.v1`` (values and headers), nor on any other topic but the
  inbound one (the producer's own message) and ``foodsafety.supervision.v1`` (intake's
  canonical fact: the fact is the complaint, so it carries the complainant);
- in any table of the projections' and intake's databases (every column, every schema, so every
  read-model generation);
- in any service's log file (DEBUG level: a line per message).

Each scan has a positive control, so that an empty scan cannot pass: the supervision topic does
hold the name, the workflow's case index and the read model do hold the case id, the events table
has rows, and each log names the fact's trace.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer

from contracts import tracecontext
from fangxin.local.postgres import PostgresServer
from tests.e2e.conftest import Pipeline
from tests.e2e.test_skeleton_path import eventually, publish
from tests.fixtures.producers import TEST_MARKET
from tests.unit.contracts.examples import CATERING_USCC, example

pytestmark = pytest.mark.e2e

NAME = "欧阳隐私测试甲"
PHONE = "+86 137-0042-4217"
ADDRESS = "开封市龙亭区隐私验证路四十二号"


def needles(*texts: str) -> dict[str, bytes]:
    """Each text as UTF-8 and as a JSON ``\\u`` escape (how an ASCII-only JSON writer has it)."""
    found: dict[str, bytes] = {}
    for text in texts:
        found[text] = text.encode()
        escaped = json.dumps(text).strip('"')
        if escaped != text:
            found[f"{text} (json-escaped)"] = escaped.encode()
            found[f"{text} (json-escaped, upper)"] = escaped.replace("\\u", "\\U").encode()
    found[f"{PHONE} (digits)"] = "".join(ch for ch in PHONE if ch.isdigit()).encode()
    return found


PERSONAL = needles(NAME, PHONE, ADDRESS)


def leaks(blob: bytes) -> list[str]:
    lowered = blob.lower()
    return [name for name, needle in PERSONAL.items() if needle.lower() in lowered]


def complaint_fact(complaint_id: str) -> dict[str, Any]:
    data = example("foodsafety.complaint.received", complaint_id=complaint_id,
                   respondent={"entity_id": CATERING_USCC},
                   complainant={"name": NAME, "phone": PHONE, "address": ADDRESS,
                                "real_name": True})
    return {"specversion": "1.0", "id": f"cmp-{complaint_id}", "source": TEST_MARKET,
            "type": "foodsafety.complaint.received", "time": "2023-06-18T14:05:00+08:00",
            "data": data}


async def drain(bootstrap: str, topic: str) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Every record of a topic up to its current end: value and headers."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()  # without a group: every partition of the topic, from the start
    try:
        partitions = sorted(consumer.assignment())
        assert partitions, f"no partitions of {topic}"
        ends = await consumer.end_offsets(partitions)
        records: list[tuple[bytes, list[tuple[str, bytes]]]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=1000)
            records += [(r.value or b"", list(r.headers)) for rs in batch.values() for r in rs]
        return records
    finally:
        await consumer.stop()


def record_bytes(record: tuple[bytes, list[tuple[str, bytes]]]) -> bytes:
    value, headers = record
    return value + b"".join(k.encode() + v for k, v in headers)


def rows(postgres: PostgresServer, database: str) -> Iterator[tuple[str, str, bytes]]:
    """(schema.table, column, value as bytes) of every non-null value of every user table."""
    with psycopg.connect(postgres.dsn(database)) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
        assert tables, f"no tables in {database}"
        for schema, table in tables:
            cursor = conn.execute(f'SELECT * FROM "{schema}"."{table}"')  # names from catalog
            columns = [c.name for c in cursor.description or ()]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield f"{schema}.{table}", column, as_bytes(value)


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode() + json.dumps(value).encode()
    return str(value).encode()


def events_tables(postgres: PostgresServer, database: str) -> list[str]:
    """The eventsourcing stored-events tables: those with originator_id, version and state."""
    with psycopg.connect(postgres.dsn(database)) as conn:
        found = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.columns"
            " WHERE column_name IN ('originator_id', 'originator_version', 'state')"
            " GROUP BY table_schema, table_name HAVING COUNT(*) = 3").fetchall()
    return sorted(name for (name,) in found)


def test_complainant_data_travels_only_in_the_fact_itself(pipeline: Pipeline,
                                                          postgres: PostgresServer):
    complaint_id = f"PII-{uuid.uuid4().hex[:8].upper()}"
    fact = complaint_fact(complaint_id)
    case_id = f"CP-{complaint_id}"
    office = pipeline.office_token
    raw = json.dumps(fact, ensure_ascii=False).encode()
    assert leaks(raw)  # the probe finds what it looks for

    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, raw))

    eventually(lambda: pipeline.projections.get_json(f"/cases/{case_id}", office)[0] == 200,
               what=f"{case_id} in the read model")
    status, case = pipeline.workflow.get_json(f"/cases/{case_id}", office)
    assert status == 200
    assert not leaks(json.dumps(case, ensure_ascii=False).encode())  # the APIs' own answers
    _, read = pipeline.projections.get_json(f"/cases/{case_id}", office)
    assert not leaks(json.dumps(read, ensure_ascii=False).encode())
    _, dossier = pipeline.projections.get_json(f"/entities/{CATERING_USCC}", office)
    assert not leaks(json.dumps(dossier, ensure_ascii=False).encode())

    # Kafka: the canonical fact carries it (the control); nothing else does
    topics = pipeline.topics
    supervision = asyncio.run(drain(pipeline.bootstrap, topics.supervision))
    assert [leaks(record_bytes(r)) != [] for r in supervision].count(True) == 1
    events = asyncio.run(drain(pipeline.bootstrap, topics.workflow_events))
    assert any(case_id.encode() in record_bytes(r) for r in events)  # the case's events are here
    found = {topic: [leaks(record_bytes(r)) for r in asyncio.run(drain(pipeline.bootstrap, topic))
                     if leaks(record_bytes(r))]
             for topic in topics.all() if topic not in {topics.inbound, topics.supervision}}
    assert {topic: hits for topic, hits in found.items() if hits} == {}

    # databases: the workflow's (event store included), the read models', intake's
    databases = {name: service.env["FANGXIN_POSTGRES_DBNAME"] for name, service in
                 (("intake", pipeline.intake), ("workflow", pipeline.workflow),
                  ("projections", pipeline.projections))}
    stores = events_tables(postgres, databases["workflow"])
    assert stores, "no eventsourcing events table in the workflow's database"
    scanned: dict[str, list[tuple[str, str, bytes]]] = {
        name: list(rows(postgres, database)) for name, database in databases.items()}
    states = [v for table, column, v in scanned["workflow"]
              if table in stores and column == "state"]
    assert len(states) >= 2  # the case's events (and the business's)
    assert not any(case_id.encode() in v or b"complaint" in v for v in states)  # encrypted
    assert any(case_id.encode() in v for _, _, v in scanned["workflow"])  # the case index
    assert any(case_id.encode() in v for _, _, v in scanned["projections"])  # the read model
    found_in_db = sorted({f"{service}: {table}.{column} ({', '.join(leaks(value))})"
                          for service, values in scanned.items()
                          for table, column, value in values if leaks(value)})
    assert found_in_db == []

    # logs: every service logged the fact's journey, never the complainant
    trace = tracecontext.trace_id(f"{fact['source']}#{fact['id']}")
    for service in (pipeline.intake, pipeline.workflow, pipeline.projections):
        eventually(partial(_logs, service.log_path, trace), what=f"{service.name} logs {trace}")
        assert leaks(service.log_path.read_bytes()) == [], service.name


def _logs(log: Path, text: str) -> bool:
    return text in log.read_text(encoding="utf-8", errors="replace")
