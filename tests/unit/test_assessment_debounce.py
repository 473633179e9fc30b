"""When assessment snapshots are republished: debounced per scope, always when a period closes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.projections.assessment.periods import periods_closed_between
from services.projections.assessment.snapshots import (
    AssessmentSnapshot,
    Debouncer,
    SnapshotScope,
    changed_snapshots,
    closing_scopes,
    snapshots_from_table,
)

T0 = datetime(2024, 5, 20, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_first_change_is_published_at_once():
    debouncer = Debouncer(MINUTE)
    debouncer.changed("2024|unit|market-regulation", at(0))

    assert debouncer.due(at(0)) == ["2024|unit|market-regulation"]
    assert debouncer.due(at(1)) == []


def test_changes_within_the_interval_wait_and_are_published_once():
    debouncer = Debouncer(MINUTE)
    debouncer.changed("s", at(0))
    debouncer.due(at(0))
    for second in (5, 10, 30):
        debouncer.changed("s", at(second))

    assert debouncer.due(at(59)) == []
    assert debouncer.next_due() == at(60)
    assert debouncer.due(at(60)) == ["s"]
    assert debouncer.due(at(61)) == []
    assert debouncer.next_due() is None


def test_a_change_long_after_the_last_publication_goes_out_at_once():
    debouncer = Debouncer(MINUTE)
    debouncer.changed("s", at(0))
    debouncer.due(at(0))
    debouncer.changed("s", at(600))

    assert debouncer.ready_at("s") == at(600)
    assert debouncer.due(at(600)) == ["s"]


def test_scopes_are_debounced_independently():
    debouncer = Debouncer(MINUTE)
    debouncer.changed("a", at(0))
    debouncer.due(at(0))
    debouncer.changed("a", at(10))
    debouncer.changed("b", at(10))

    assert debouncer.due(at(10)) == ["b"]
    assert debouncer.due(at(60)) == ["a"]


def test_a_closing_period_is_published_whatever_the_interval():
    debouncer = Debouncer(timedelta(hours=1))
    debouncer.changed("2024-Q2|unit|x", at(0))
    debouncer.due(at(0))
    debouncer.changed("2024-Q2|unit|x", at(5))

    assert debouncer.period_closed(["2024-Q2|unit|x", "2024-Q2|unit|y"], at(10)) == [
        "2024-Q2|unit|x", "2024-Q2|unit|y"]
    assert debouncer.next_due() is None  # the pending change went out with it


def test_a_zero_interval_publishes_every_change_and_a_negative_one_is_refused():
    debouncer = Debouncer(timedelta(0))
    debouncer.changed("s", at(0))
    assert debouncer.due(at(0)) == ["s"]
    debouncer.changed("s", at(0))
    assert debouncer.due(at(0)) == ["s"]
    with pytest.raises(ValueError, match="negative"):
        Debouncer(timedelta(seconds=-1))


def test_periods_close_at_local_midnight_in_china():
    before = datetime(2024, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 in China
    after = datetime(2024, 6, 30, 16, 0, tzinfo=UTC)  # 00:00 on 1 July in China

    assert periods_closed_between(before - MINUTE, before) == []
    assert [p.text for p in periods_closed_between(before, after)] == ["2024-06", "2024-Q2"]


def test_the_year_end_closes_the_month_the_quarter_and_the_year():
    closed = periods_closed_between(datetime(2024, 12, 31, tzinfo=UTC),
                                    datetime(2025, 2, 2, tzinfo=UTC))

    assert [p.text for p in closed] == ["2024-12", "2024-Q4", "2024", "2025-01"]


def rows(cases: int) -> list[dict[str, object]]:
    return [{"period": "2024-Q2", "by": "unit", "key": "market-regulation",
             "cases_opened": cases, "closed_on_time_rate": 0.5, "score": 70.0},
            {"period": "2024-Q2", "by": "township", "key": None, "cases_opened": 1}]


def test_snapshots_carry_scope_figures_and_time_and_only_changes_are_republished():
    first = snapshots_from_table(rows(3), at(0))
    published = {s.scope.id: s for s in first}
    second = snapshots_from_table(rows(4), at(30))

    assert first[0].scope == SnapshotScope(by="unit", key="market-regulation", period="2024-Q2")
    assert first[0].scope.id == "2024-Q2|unit|market-regulation"
    assert first[1].scope.id == "2024-Q2|township|"
    assert first[0].figures["cases_opened"] == 3
    assert first[0].figures["canteen_coverage"] is None
    assert [s.scope.id for s in changed_snapshots(published, second)] == [
        "2024-Q2|unit|market-regulation"]
    assert changed_snapshots({}, second) == second
    assert AssessmentSnapshot.model_validate_json(second[0].model_dump_json()) == second[0]


def test_the_scopes_of_a_closed_period_are_picked_out():
    scopes = [s.scope for s in snapshots_from_table(rows(1), at(0))]
    closed = periods_closed_between(datetime(2024, 6, 30, tzinfo=UTC),
                                    datetime(2024, 7, 1, tzinfo=UTC))

    assert closing_scopes(scopes, closed) == scopes
    assert closing_scopes(scopes, []) == []
