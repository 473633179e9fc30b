"""An unqualified sample on a wholesale lot opens RV cases downstream, seen by township."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Pipeline
from tests.e2e.test_skeleton_path import eventually, publish
from tests.fixtures.producers import TEST_MARKET
from tests.unit.contracts.examples import CATERING_USCC, MARKET_USCC, SELLER_USCC, example

pytestmark = pytest.mark.e2e
LOT = "https://id.gs1.org/01/06901234567892/10/WS240501"
BUSINESSES = {MARKET_USCC: ("market", "北郊乡"), SELLER_USCC: ("seller", "城西街道"),
              CATERING_USCC: ("catering", "水稻乡")}


def event(fact_type: str, event_id: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"specversion": "1.0", "id": event_id, "source": TEST_MARKET,
                       "type": fact_type, "time": datetime.now(UTC).isoformat(), "data": data},
                      ensure_ascii=False).encode()


def shipped(to: str, n: int, at: datetime) -> bytes:
    return event("foodsafety.trace.shipped", f"ship-{n}", {
        "lot_code": LOT, "product": "韭菜", "quantity": "20", "unit": "KGM",
        "from_entity": MARKET_USCC, "to_entity": to, "at": at.isoformat()})


def test_an_unqualified_wholesale_lot_opens_recall_cases_at_each_downstream_business(
        pipeline: Pipeline):
    now = datetime.now(UTC)
    facts = [event("foodsafety.entity.registered", f"reg-{entity}",
                   example("foodsafety.entity.registered", entity_id=entity, kind=kind,
                           township=township))
             for entity, (kind, township) in BUSINESSES.items()]
    facts += [shipped(SELLER_USCC, 1, now - timedelta(days=3)),
              shipped(CATERING_USCC, 2, now - timedelta(days=3))]
    sample = example("foodsafety.sampling.reported", sample_id="WS-1", entity_id=MARKET_USCC,
                     lot_code=LOT, sampled_at=(now - timedelta(days=2)).isoformat(),
                     reported_at=(now - timedelta(days=1)).isoformat())
    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, *facts))
    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound,
                        event("foodsafety.sampling.reported", "sample-ws-1", sample)))

    def recall_cases() -> list[dict] | None:
        status, body = pipeline.workflow.get_json("/cases?kind=RV", pipeline.office_token)
        cases = body if status == 200 and isinstance(body, list) else []
        return cases if len(cases) >= 2 else None

    cases = eventually(recall_cases, timeout=90, what="RV cases downstream")
    assert sorted(c["case_id"] for c in cases) == [f"RV-WS-1-{CATERING_USCC}",
                                                   f"RV-WS-1-{SELLER_USCC}"]
    assert {c["township_unit"] for c in cases} == {"township:城西街道", "township:水稻乡"}

    def township_rows() -> list[dict] | None:
        status, body = pipeline.projections.get_json(
            f"/assessment?period={now.year}&by=township", pipeline.office_token)
        rows = body if status == 200 and isinstance(body, list) else []
        found = {r.get("key") for r in rows if (r.get("cases_opened") or 0) > 0}
        return rows if {"城西街道", "水稻乡"} <= found else None

    rows = eventually(township_rows, timeout=90, what="RV cases in the assessment by township")
    assert {r["key"] for r in rows if r["cases_opened"]} >= {"城西街道", "水稻乡"}
