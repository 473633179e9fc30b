"""The projections' view switch, the choice of read models to rebuild, and metric labels."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.digests import created_tables
from services.projections.metrics import MAX_CASE_TYPES, ProjectionMetrics
from services.projections.rebuild import RebuildStatus, choose
from services.projections.switch import ViewSwitch


class View:
    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()
        self.started = threading.Event()

    def answer(self, question: str) -> str:
        return f"{self.name}:{question}"

    def slow(self) -> str:
        self.started.set()
        self.release.wait(5)
        return self.name


def test_calls_go_to_the_generation_in_force_when_they_start():
    switch: Any = ViewSwitch(View("g0"), 0)
    assert switch.answer("a") == "g0:a"
    old = switch.swap(View("g1"), 1)
    assert (old.number, switch.current.number) == (0, 1)
    assert switch.answer("b") == "g1:b"
    assert switch.name == "g1"  # attributes too


def test_a_method_fetched_before_a_swap_and_called_after_goes_to_the_new_generation():
    switch: Any = ViewSwitch(View("g0"), 0)
    answer = switch.answer  # fetched while generation 0 is in force
    switch.swap(View("g1"), 1)
    assert answer("q") == "g1:q"


def test_the_old_generation_is_idle_only_once_its_running_calls_have_returned():
    g0 = View("g0")
    switch: Any = ViewSwitch(g0, 0)
    results: list[str] = []
    caller = threading.Thread(target=lambda: results.append(switch.slow()))
    caller.start()
    assert g0.started.wait(5)
    old = switch.swap(View("g1"), 1)
    assert not old.wait_idle(0.05)  # a query still runs on generation 0
    assert switch.answer("new") == "g1:new"  # while new queries go to generation 1
    g0.release.set()
    assert old.wait_idle(5)
    caller.join()
    assert results == ["g0"]


def test_all_read_models_by_default_in_a_fixed_order_and_unknown_ones_refused():
    assert choose(None) == ["trace", "assessment", "cases"]
    assert choose(["cases", "trace"]) == ["trace", "cases"]
    with pytest.raises(ValueError, match="recall"):
        choose(["recall"])


def test_progress_counts_replayed_records_and_is_whole_only_once_switched():
    status = RebuildStatus(["trace"], total=200, replayed=200)
    assert status.progress == 0.99
    status.switched_at = datetime.now(UTC)
    assert status.progress == 1.0
    assert RebuildStatus(["trace"]).progress == 0.0


def test_fact_type_labels_stay_a_bounded_set():
    metrics = ProjectionMetrics(CollectorRegistry())
    fact = CloudEvent(specversion="1.0", id="1", source="urn:x", type="foodsafety.trace.shipped",
                      time=datetime.now(UTC), data={})
    odd = fact.model_copy(update={"type": "com.example.whatever"})
    assert metrics.type_label(fact) == "foodsafety.trace.shipped"
    assert metrics.type_label(odd) == "other"

    def case(type_: str) -> CaseEvent:
        return CaseEvent(event_id="c:1", case_id="c", kind="SD", type=type_, version=1,
                         occurred_at=datetime.now(UTC))

    assert metrics.type_label(case("case.opened")) == "case:case.opened"
    assert metrics.type_label(case("Weird Type!")) == "other"
    labels = {metrics.type_label(case(f"case.kind_{n}")) for n in range(MAX_CASE_TYPES * 2)}
    assert len(labels) <= MAX_CASE_TYPES + 1


def test_the_tables_a_read_model_creates_are_read_from_its_ddl():
    ddl = ['CREATE TABLE IF NOT EXISTS "s".case_summary (case_id TEXT)',
           "CREATE INDEX IF NOT EXISTS x ON t (a)",
           "CREATE TABLE IF NOT EXISTS trace_edge(dir TEXT)"]
    assert created_tables(ddl) == {"case_summary": '"s".case_summary',
                                   "trace_edge": "trace_edge"}
