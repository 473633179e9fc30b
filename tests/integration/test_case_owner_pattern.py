"""A unit's cases are found with a LIKE pattern of its id; ``%``, ``_`` and the escape character
in an id match only themselves, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import InfrastructureFactory, Tracking

from contracts.cases import CaseEvent
from services.projections.case_views import CaseView, PostgresCaseView, SQLiteCaseView

pytestmark = pytest.mark.integration

# each unit beside one that its id, read as an unescaped pattern, would also match
LOOKALIKES = {"a_b": "aXb", "100%": "100%-lab", "x!b": "xb", "t!_u": "t!vu"}
UNITS = [unit for pair in LOOKALIKES.items() for unit in pair]


def opened_for(unit: str, number: int) -> CaseEvent:
    return CaseEvent(event_id=f"CP-{number}:1", case_id=f"CP-{number}", kind="CP",
                     type="case.opened", version=1,
                     occurred_at=datetime(2023, 6, 12, 2, tzinfo=UTC), fact_id=f"f#{number}",
                     data={"state": "open", "details": {},
                           "assignment": {"lead": unit, "co_units": [], "township_unit": None}})


@pytest.fixture
def view(store_env: dict[str, str]) -> Iterator[CaseView]:
    cls = SQLiteCaseView if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else (
        PostgresCaseView)
    factory = InfrastructureFactory.construct(store_env)
    found = factory.tracking_recorder(cls)
    found.apply([opened_for(unit, n) for n, unit in enumerate(UNITS)],
                Tracking("kafka:ev:0", 1))
    yield found
    factory.close()


@pytest.mark.parametrize("unit", UNITS)
def test_a_unit_id_with_like_wildcards_finds_only_its_own_case(view: CaseView, unit: str):
    own = f"CP-{UNITS.index(unit)}"

    listed = [c["case_id"] for c in view.cases(None, 100, unit)]
    counted = sum(k["cases"] for k in view.summary(unit)["by_kind"])
    by_state = sum(s["cases"] for s in view.summary(unit)["by_state"])

    assert listed == [own]
    assert (counted, by_state) == (1, 1)


def test_every_case_is_listed_without_a_unit(view: CaseView):
    assert len(view.cases(None, 100)) == len(UNITS)
