"""Recall scope in motion: an open SD case opens RV cases for every downstream business."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import InfrastructureFactory, Tracking

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.recall import PostgresRecallStore, RecallScope, SQLiteRecallStore

pytestmark = pytest.mark.integration
LOT = "https://id.gs1.org/01/06901234567892/10/LT2306"


class Downstream:
    """The trace read model's answer, as the test sets it."""

    def __init__(self) -> None:
        self.businesses: list[dict[str, Any]] = []

    def recall_scope(self, lot: str) -> list[dict[str, Any]]:
        return [b for b in self.businesses if lot == LOT]

    def reach(self, entity: str, township: str, first_at: str | None = None) -> None:
        self.businesses.append({"entity_id": entity, "lot_code": LOT, "quantity": "20",
                                "unit": "KGM", "township": township, "first_at": first_at})


def case_event(type_: str, version: int) -> CaseEvent:
    return CaseEvent(event_id=f"SD-S1:{version}", case_id="SD-S1", kind="SD", type=type_,
                     version=version, occurred_at=datetime(2024, 5, 20, tzinfo=UTC),
                     data={"entity_id": "E-SAMPLED",
                           "details": {"sample_id": "S1", "lot_code": LOT, "product": "韭菜"}})


def shipped() -> CloudEvent:
    return CloudEvent.model_validate({
        "specversion": "1.0", "id": "ship-9", "source": "urn:market", "time":
        "2024-05-21T08:00:00+08:00", "type": "foodsafety.trace.shipped", "data": {}})


@pytest.fixture
def recall(store_env: dict[str, str]) -> RecallScope:
    cls = SQLiteRecallStore if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else (
        PostgresRecallStore)
    return RecallScope(InfrastructureFactory.construct(store_env).tracking_recorder(cls),
                       Downstream())


def issued(recall: RecallScope) -> list[str]:
    return sorted(c.case_id for c in recall.store.unsent())


def test_an_opened_sd_case_issues_one_rv_command_per_downstream_business(recall):
    recall.trace.reach("E-SAMPLED", "北郊乡")  # where the sample was taken: its own SD case
    recall.trace.reach("E-MARKET", "北郊乡")
    recall.trace.reach("E-CANTEEN", "城西街道")

    recall.apply([case_event("case.opened", 1)], Tracking("recall:ev:0", 1))

    commands = recall.store.unsent()
    assert sorted(c.case_id for c in commands) == ["RV-S1-E-CANTEEN", "RV-S1-E-MARKET"]
    assert {c.args["township"] for c in commands} == {"北郊乡", "城西街道"}
    assert all(c.command == "open_recall_verification" for c in commands)


def test_new_downstream_movements_open_further_rv_cases_while_the_sd_case_is_open(recall):
    recall.trace.reach("E-MARKET", "北郊乡")
    recall.apply([case_event("case.opened", 1)], Tracking("recall:ev:0", 1))
    recall.store.mark_sent(recall.store.unsent())

    recall.trace.reach("E-SHOP", "水稻乡")
    recall.apply([shipped()], Tracking("recall:trace:0", 1))

    assert issued(recall) == ["RV-S1-E-SHOP"]


def test_a_closed_sd_case_opens_no_more_rv_cases(recall):
    recall.apply([case_event("case.opened", 1)], Tracking("recall:ev:0", 1))
    recall.apply([case_event("case.closed", 2)], Tracking("recall:ev:0", 2))

    recall.trace.reach("E-LATE", "北郊乡")
    recall.apply([shipped()], Tracking("recall:trace:0", 1))

    assert issued(recall) == []


def test_the_same_command_is_queued_once(recall):
    recall.trace.reach("E-MARKET", "北郊乡")
    recall.apply([case_event("case.opened", 1)], Tracking("recall:ev:0", 1))
    recall.apply([shipped()], Tracking("recall:trace:0", 1))

    assert issued(recall) == ["RV-S1-E-MARKET"]
    assert recall.position("recall:trace:0") == 1


def test_rv_cases_are_dated_by_the_facts_not_by_the_clock(recall):
    recall.trace.reach("E-BEFORE", "北郊乡", first_at="2024-05-10T02:00:00+00:00")
    recall.trace.reach("E-AFTER", "北郊乡", first_at="2024-05-28T02:00:00+00:00")

    recall.apply([case_event("case.opened", 1)], Tracking("recall:ev:0", 1))

    at = {c.case_id: c.at for c in recall.store.unsent()}
    assert at == {"RV-S1-E-BEFORE": datetime(2024, 5, 20, tzinfo=UTC),  # when the SD opened
                  "RV-S1-E-AFTER": datetime(2024, 5, 28, 2, tzinfo=UTC)}  # when the lot came
