"""Fault injection on PostgreSQL and the real broker: kills, restarts and a rebalance mid-load.

Given a generated Longting load (re-sends and bad messages of six kinds mixed in) published in
chunks to a local stack whose services run as processes, each on its own database of one
PostgreSQL cluster, when, at seeded points while records wait: intake, the workflow and the
projections are each killed with SIGKILL and started again, the broker is stopped and started
on the same ports and data, PostgreSQL is shut down immediately (a crash) and started, and a
second workflow and a second projections instance join their groups and the first one of each
is killed while the group rebalances, then comes back; then, once the pipeline has caught up:
every inbound message has exactly one receipt with the expected status; the dead letters are
exactly the bad messages; every valid fact is on its canonical topic once and in the workflow's
inbox once; the cases equal, one by one, those of a clean single-instance replay of the same
messages; no timer fired twice; every read model equals its rebuild from offset zero.

``FANGXIN_FAULTS=full`` runs it on 100,000+ facts with two rounds of faults (``make
test-faults``); the default, small size runs in ``make test``.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.topics import Topics
from fangxin.demo import OFFICE
from fangxin.generator import Dataset, generate
from fangxin.generator.message import FACT
from fangxin.local.postgres import PostgresServer
from fangxin.local.secrets import local_tokens
from fangxin.report import collect
from fangxin.stack import LocalStack
from tests.fixtures.postgres import started
from tests.reliability import stores
from tests.reliability.faults import REBALANCING, Fault, Injector, catch_up, plan, read_topic

SIZE = os.environ.get("FANGXIN_FAULTS", "small")
SIZES = {"small": (10_000, 1), "full": (103_000, 2)}  # generator size, rounds of faults
if SIZE not in SIZES:
    raise pytest.UsageError(f"FANGXIN_FAULTS={SIZE!r}: small or full")
MESSAGES, ROUNDS = SIZES[SIZE]
SEED = 11
WITHIN = {"small": 600, "full": 3600}[SIZE]  # seconds to catch up after the last fault
SERVICES = ("intake", "workflow", "projections")
BATCHES = {"FANGXIN_BATCH_MAX_RECORDS": "200"}  # more, smaller transactions: more points to
# strike between, and a consumer group's progress moves in steps small enough to place a fault

pytestmark = [pytest.mark.e2e, pytest.mark.timeout({"small": 900, "full": 7200}[SIZE])]


@dataclass
class Run:
    """What a stack gave, read once it had caught up; and the figures of the run."""

    receipts: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # canonical (source, id)
    commands: list[str] = field(default_factory=list)
    inbox: list[str] = field(default_factory=list)
    cases: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    read_model: dict[str, str] = field(default_factory=dict)
    timers: list[tuple[str, str, str, int]] = field(default_factory=list)
    cases_by_kind: dict[str, int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def observe(stack: LocalStack, run: Run) -> Run:
    topics = stack.topics
    run.receipts = read_topic(stack, topics.receipts)
    run.letters = read_topic(stack, topics.rejected)
    run.facts = [(f["source"], f["id"]) for topic in (topics.supervision, topics.trace)
                 for f in read_topic(stack, topic)]
    run.commands = [f"command#{c['command_id']}"
                    for c in read_topic(stack, topics.workflow_commands)]
    run.inbox = stores.inbox(stack)
    run.cases = stores.cases(stack)
    run.read_model = stores.read_model_cases(stack)
    run.timers = stores.timers_fired(stack)
    token = local_tokens(stack.state_dir)[OFFICE]
    report = collect({name: stack.services[name].url for name in SERVICES}, token, None)
    run.cases_by_kind = report.cases_by_kind
    return run


@pytest.fixture(scope="module")
def load() -> Dataset:
    return generate(seed=SEED, size=MESSAGES)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    yield from started(durable=True)  # synchronous_commit off would lose commits


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
          ) -> Iterator[LocalStack]:
    started = LocalStack.on_free_ports(tmp_path_factory.mktemp("faults-pg"), SERVICES,
                                       postgres=postgres)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def faulted(load: Dataset, stack: LocalStack, postgres: PostgresServer) -> Run:
    run = Run()
    began = time.monotonic()
    stack.start_services(stack.start_kafka(), BATCHES)
    run.seconds["start"] = time.monotonic() - began
    injector = Injector(stack, postgres)
    injector.run(plan(SEED, stack.topics, ROUNDS), load.messages)
    run.faults = injector.faults
    run.seconds["load and faults"] = time.monotonic() - injector.started
    catch_up(stack, WITHIN)
    run.seconds["load to caught up"] = time.monotonic() - injector.started
    began = time.monotonic()
    observe(stack, run)
    run.seconds["read back"] = time.monotonic() - began
    print_figures(load, run)
    return run


@pytest.fixture(scope="module")
def clean(load: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same messages through a fresh stack: one instance each, SQLite, no fault."""
    replay = LocalStack.on_free_ports(tmp_path_factory.mktemp("clean"), SERVICES)
    run = Run()
    began = time.monotonic()
    try:
        replay.start_services(replay.start_kafka())
        Injector(replay).run([], load.messages)
        catch_up(replay, WITHIN)
        run.cases = stores.cases(replay)
        run.read_model = stores.read_model_cases(replay)
    finally:
        replay.stop()
    run.seconds["clean replay"] = time.monotonic() - began
    return run


def print_figures(load: Dataset, run: Run) -> None:
    """The run's figures (``make test-faults`` shows them; docs/reliability.md quotes them)."""
    figures = {"size": SIZE, "messages": len(load.messages), "facts": load.truth.accepted,
               "duplicates": load.truth.duplicates, "bad": load.truth.rejected,
               "cases": len(run.cases), "timers fired": sum(t[3] for t in run.timers),
               "seconds": {k: round(v, 1) for k, v in run.seconds.items()},
               "faults": [asdict(f) for f in run.faults]}
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    print(f"\nfault run: {text}")
    out = os.environ.get("FANGXIN_FAULTS_REPORT")
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")


def test_every_fault_was_injected_while_records_waited(load: Dataset, faulted: Run):
    kinds = [(f.kind, f.target) for f in faulted.faults]
    expected = [(s.kind, s.instance or s.target) for s in plan(SEED, Topics(), ROUNDS)]
    assert kinds == expected
    assert [f for f in faulted.faults if f.waiting <= 0] == []
    rebalances = [f for f in faulted.faults if f.kind == "kill-mid-rebalance"]
    assert {f.target for f in rebalances} == {"workflow", "projections"}
    assert all(f.detail["group_state"] in REBALANCING for f in rebalances)
    intake = [f for f in faulted.faults if f.target == "intake"]
    assert intake
    assert all(0 < f.read < len(load.messages) for f in intake)


def test_every_inbound_message_has_exactly_one_receipt(load: Dataset, faulted: Run):
    positions = Counter((r["inbound_partition"], r["inbound_offset"]) for r in faulted.receipts)
    assert len(positions) == len(load.messages)
    assert set(positions.values()) == {1}
    statuses = Counter(str(r["status"]) for r in faulted.receipts)
    assert statuses == {"accepted": load.truth.accepted, "duplicate": load.truth.duplicates,
                        "rejected": load.truth.rejected}


def test_the_dead_letters_are_exactly_the_bad_messages(load: Dataset, faulted: Run):
    codes = Counter(str(letter["reasons"][0]["code"]) for letter in faulted.letters)
    assert codes == load.truth.rejected_by_code
    assert len(faulted.letters) == load.truth.rejected


def test_every_valid_fact_is_on_its_canonical_topic_exactly_once(load: Dataset, faulted: Run):
    expected = Counter((e["source"], e["id"]) for e in
                       (json.loads(m.value) for m in load.messages if m.kind == FACT))
    assert set(expected.values()) == {1}
    assert Counter(faulted.facts) == expected


def test_the_workflow_acted_on_every_supervision_fact_and_command_once(faulted: Run,
                                                                        stack: LocalStack):
    inbox = Counter(faulted.inbox)
    assert [m for m, n in inbox.items() if n > 1] == []
    supervision = {f"{f['source']}#{f['id']}"
                   for f in read_topic(stack, stack.topics.supervision)}
    assert supervision - set(inbox) == set()
    assert set(faulted.commands) - set(inbox) == set()
    others = set(inbox) - supervision - set(faulted.commands)
    assert [m for m in others if ":annual-summaries:" not in m] == []


def test_the_cases_are_exactly_the_expected_ones_in_the_workflow_and_the_read_model(
        load: Dataset, faulted: Run):
    expected = {kind: n for kind, n in load.truth.cases_by_kind.items() if n}
    assert faulted.cases_by_kind == expected
    assert Counter(c[0] for c in faulted.cases.values()) == expected
    assert faulted.read_model == {case_id: c[1] for case_id, c in faulted.cases.items()}


def test_no_deadline_timer_fired_twice(faulted: Run):
    assert faulted.timers, "timers fired (the facts are from 2022-2024)"
    assert [t for t in faulted.timers if t[3] > 1] == []


def test_no_fact_advanced_a_case_twice(faulted: Run):
    repeated = {case_id: c[-1] for case_id, c in faulted.cases.items()
                if len(set(c[-1])) < len(c[-1])}
    assert repeated == {}


def test_the_cases_equal_a_clean_single_instance_replay(faulted: Run, clean: Run):
    assert set(faulted.cases) == set(clean.cases)
    differ = {case_id: (faulted.cases[case_id], clean.cases[case_id])
              for case_id in faulted.cases if faulted.cases[case_id] != clean.cases[case_id]}
    assert list(differ.items())[:3] == []
    assert faulted.read_model == clean.read_model


def test_every_read_model_equals_a_rebuild_from_offset_zero(faulted: Run, stack: LocalStack):
    second = stack.services["projections.2"]  # a rebuild switches one instance's views
    second.stop()
    assert second.process is not None
    assert second.process.poll() is not None
    catch_up(stack, WITHIN)
    projections = stack.services["projections"]
    office = {"Authorization": f"Bearer {local_tokens(stack.state_dir)[OFFICE]}"}
    with httpx.Client(base_url=projections.url, headers=office, timeout=600) as client:
        live = {m["read_model"]: m for m in
                client.get("/admin/read-models", params={"digest": "true"}).json()}
        status = rebuild(client)  # at once: no pooled connection the crash killed is used
        assert status["state"] == "done", status
        rebuilt = {m["read_model"]: m for m in
                   client.get("/admin/read-models", params={"digest": "true"}).json()}
    assert set(live) == {"trace", "assessment", "cases"}
    for name, model in rebuilt.items():
        assert model["generation"] == live[name]["generation"] + 1, name
        assert model["digest"] == live[name]["digest"], name
    faulted.seconds["rebuild"] = status.get("seconds", 0.0)


def rebuild(client: httpx.Client) -> dict[str, Any]:
    """Start a rebuild of every read model and follow it to its end."""
    started = client.post("/admin/rebuild", json={})
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + WITHIN
    while (status := client.get("/admin/rebuild").json())["state"] not in {"done", "failed"}:
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    return dict(status)
