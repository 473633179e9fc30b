"""The case read model on the real stores: idempotent rows, position in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import InfrastructureFactory, Tracking

from contracts.cases import CaseEvent
from services.projections.case_projection import Applied, CaseProjection
from services.projections.case_views import CaseView, PostgresCaseView, SQLiteCaseView

pytestmark = pytest.mark.integration


def opened(case_id: str = "SD-S1", version: int = 1, type_: str = "case.opened") -> CaseEvent:
    return CaseEvent(event_id=f"{case_id}:{version}", case_id=case_id, kind="SD", type=type_,
                     version=version, occurred_at=datetime(2023, 6, 12, 2, tzinfo=UTC),
                     fact_id="lab#evt-1",
                     data={"entity_id": "E1", "details": {"lot_code": "L1"},
                           "state": "closed" if type_ == "case.closed" else "open"})


@pytest.fixture
def view(store_env: dict[str, str]) -> Iterator[CaseView]:
    cls = SQLiteCaseView if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else (
        PostgresCaseView)
    factory = InfrastructureFactory.construct(store_env)
    yield factory.tracking_recorder(cls)
    factory.close()


def test_an_opened_case_appears_with_its_timeline_and_position(view: CaseView):
    outcome = CaseProjection(view).process_event(opened(), Tracking("kafka:ev:0", 1))

    case = view.case("SD-S1")
    assert outcome is Applied.APPLIED
    assert case is not None
    assert (case["state"], case["version"], case["entity_id"]) == ("open", 1, "E1")
    assert [t["type"] for t in case["timeline"]] == ["case.opened"]
    assert view.max_tracking_id("kafka:ev:0") == 1


def test_a_redelivered_position_is_recognised_and_changes_nothing(view: CaseView):
    projection = CaseProjection(view)
    projection.process_event(opened(), Tracking("kafka:ev:0", 5))

    outcome = projection.process_event(opened("SD-OTHER"), Tracking("kafka:ev:0", 5))

    assert outcome is Applied.DUPLICATE_POSITION
    assert view.case("SD-OTHER") is None


def test_a_resent_event_at_a_new_position_leaves_one_timeline_row(view: CaseView):
    projection = CaseProjection(view)
    projection.process_event(opened(), Tracking("kafka:ev:0", 1))

    projection.process_event(opened(), Tracking("kafka:ev:0", 2))

    case = view.case("SD-S1")
    assert case is not None
    assert len(case["timeline"]) == 1


def test_an_older_version_never_overwrites_a_newer_summary(view: CaseView):
    projection = CaseProjection(view)
    projection.process_event(opened(version=2, type_="case.closed"), Tracking("kafka:ev:0", 1))

    projection.process_event(opened(version=1), Tracking("kafka:ev:0", 2))

    case = view.case("SD-S1")
    assert case is not None
    assert (case["state"], case["version"]) == ("closed", 2)
    assert [t["version"] for t in case["timeline"]] == [1, 2]
    assert [c["case_id"] for c in view.cases("SD", 10)] == ["SD-S1"]


def overdue(case_id: str, version: int, escalated_to: str | None) -> CaseEvent:
    return CaseEvent(event_id=f"{case_id}:{version}", case_id=case_id, kind="SD",
                     type="deadline.overdue", version=version,
                     occurred_at=datetime(2023, 6, 20, 2, tzinfo=UTC),
                     data={"name": "risk_control", "escalated_to": escalated_to})


def test_the_summary_counts_open_closed_overdue_and_escalations_per_kind(view: CaseView):
    projection = CaseProjection(view)
    events = [opened("SD-A"), overdue("SD-A", 2, "district-food-safety-office"),
              opened("SD-B"), opened("SD-C"), overdue("SD-C", 2, None),
              opened("SD-C", 3, "case.closed"), opened("SD-D"),
              opened("SD-D", 2, "case.closed")]
    for position, event in enumerate(events, start=1):
        projection.process_event(event, Tracking("kafka:ev:0", position))

    summary = view.summary()

    assert summary["by_kind"] == [{"kind": "SD", "cases": 4, "closed": 2, "overdue": 1,
                                   "escalations": 1, "open": 2}]
    assert summary["by_state"] == [{"kind": "SD", "state": "closed", "cases": 2},
                                   {"kind": "SD", "state": "open", "cases": 2}]


def assigned(case_id: str, lead: str, township: str | None = None) -> CaseEvent:
    return CaseEvent(event_id=f"{case_id}:1", case_id=case_id, kind=case_id[:2],
                     type="case.opened", version=1,
                     occurred_at=datetime(2023, 6, 12, 2, tzinfo=UTC),
                     data={"state": "open", "assignment": {
                         "lead": lead, "co_units": ["food-safety-office"],
                         "township_unit": township}})


def test_a_unit_sees_only_the_cases_it_owns_or_co_owns(view: CaseView):
    projection = CaseProjection(view)
    for position, event in enumerate([
            assigned("SD-1", "market-regulation", "township:北郊乡"),
            assigned("CP-2", "market-regulation", "township:水稻乡"),
            assigned("RC-3", "health", "township:北郊乡")], start=1):
        projection.process_event(event, Tracking("kafka:ev:0", position))

    def ids(unit: str | None) -> list[str]:
        return [c["case_id"] for c in view.cases(None, 100, unit)]

    assert ids(None) == ["CP-2", "RC-3", "SD-1"]
    assert ids("township:北郊乡") == ["RC-3", "SD-1"]
    assert ids("market-regulation") == ["CP-2", "SD-1"]
    assert ids("food-safety-office") == ["CP-2", "RC-3", "SD-1"]  # a co-unit of each
    assert ids("education") == []
    assert [r["kind"] for r in view.summary("health")["by_kind"]] == ["RC"]
    case = view.case("SD-1")
    assert case is not None
    assert case["owners"] == ["food-safety-office", "market-regulation", "township:北郊乡"]
