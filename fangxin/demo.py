"""The demo: a few Longting sampling results through the whole pipeline, then the read model."""

from __future__ import annotations

import json
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from fangxin.local.services import ServiceProcess

LABS = "urn:fangxin:lab:kaifeng-fdi"  # in deploy/local/producers.json
SAMPLES = [  # (sample id, business, product, category, verdict, analyte, value, limit)
    ("DC24410202001", "91410202MA9FXXK41T", "韭菜", "蔬菜", "unqualified", "腐霉利", "0.62", "0.2"),
    ("DC24410202002", "91410202MA9GCR3P8W", "鸡蛋", "蛋类", "qualified", "恩诺沙星", "0", "0"),
    ("DC24410202003", "91410202MA46UY2C5N", "猪肉", "畜肉", "unqualified", "克伦特罗", "0.9",
     "0"),
    ("DC24410202004", "91410202MA3XLH0Q2R", "豆芽", "蔬菜", "unqualified", "4-氯苯氧乙酸钠",
     "0.12", "0"),
]


def sample_fact(sample: tuple[str, ...], minute: int) -> dict[str, Any]:
    sample_id, entity, product, category, verdict, analyte, value, limit = sample
    return {
        "specversion": "1.0", "id": f"rpt-{sample_id}", "source": LABS,
        "type": "foodsafety.sampling.reported", "time": f"2024-05-20T09:{minute:02d}:00+08:00",
        "data": {
            "sample_id": sample_id, "entity_id": entity,
            "lot_code": f"urn:epc:class:lgtin:6901234.056789.{sample_id[-3:]}",
            "product": product, "category": category, "program": "supervisory",
            "sampled_at": "2024-05-08T10:00:00+08:00",
            "reported_at": f"2024-05-20T09:{minute:02d}:00+08:00",
            "lab": "开封市食品药品检验检测中心",
            "items": [{"analyte": analyte, "value": value, "unit": "mg/kg", "limit": limit,
                       "qualified": verdict == "qualified"}],
            "verdict": verdict,
        },
    }


async def publish_samples(bootstrap: str, topic: str) -> int:
    """Publish the samples, one of them twice, and one malformed message."""
    facts = [sample_fact(s, i) for i, s in enumerate(SAMPLES)]
    values = [json.dumps(f, ensure_ascii=False).encode() for f in facts]
    values += [values[0], b'{"specversion": "1.0", "type": "foodsafety.sampling.reported"']
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=LABS.encode())
    finally:
        await producer.stop()
    return len(values)


def wait_for_cases(projections: ServiceProcess, expected: int, token: str,
                   timeout: float = 60) -> list[Any]:
    deadline = time.monotonic() + timeout
    cases: list[Any] = []
    while time.monotonic() < deadline:
        status, body = projections.get_json("/cases?kind=SD", token)
        cases = body if status == 200 and isinstance(body, list) else []
        if len(cases) >= expected:
            return cases
        time.sleep(0.2)
    return cases


def report(console: Console, cases: list[Any]) -> None:
    table = Table(title="Sampling disposal cases (核查处置) in the read model")
    for column in ("case", "state", "business", "product", "lot", "opened"):
        table.add_column(column)
    for case in cases:
        details = case.get("details", {})
        table.add_row(case["case_id"], case["state"], case.get("entity_id") or "",
                      details.get("product", ""), details.get("lot_code", ""),
                      case.get("opened_at") or "")
    console.print(table)


def expected_cases() -> int:
    return sum(1 for s in SAMPLES if s[4] == "unqualified")
