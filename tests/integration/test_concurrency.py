"""Concurrency on the real PostgreSQL and Kafka broker (issue 8, point 3).

Two (or more) workflow instances share one PostgreSQL database, as replicas do. Units race each
other over HTTP, a command races the deadline timers, and duplicate commands arrive while the
consumer group rebalances. What must hold every round: no lost update (each accepted command is
in the case's history exactly once, versions contiguous), every refusal named by status and
code, no 5xx, no timer fired twice, each command id applied once.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaProducer
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import IntegrityError, Tracking
from fastapi.testclient import TestClient

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.postgres import PostgresServer
from services.workflow import app as workflow_app
from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex
from services.workflow.consumer import BatchHandler
from services.workflow.decisions import Outcome
from services.workflow.domain.commands import AdvanceCase
from services.workflow.followers import timer_step
from services.workflow.settings import WorkflowSettings
from services.workflow.translate import commands_for, message_id
from tests.suites.workflow import fact
from tests.unit.contracts.examples import CATERING_USCC

pytestmark = pytest.mark.integration
T = TypeVar("T")
LEAD, CO_UNIT, OFFICE = "market-regulation", "township:北郊乡", "district-food-safety-office"
TOKENS = {LEAD: "lead-token", CO_UNIT: "township-token", OFFICE: "office-token"}
RETRYABLE = "concurrent_update"  # what a command that lost every retry is answered with
Answer = tuple[int, dict[str, Any]]


@dataclass
class Instance:
    """One running workflow service (HTTP, consumers, relay, indexer, timers)."""

    workflow: Workflow
    broker: Any
    http: TestClient = field(init=False)
    conflicts: list[int] = field(default_factory=list)  # saves refused by a concurrent writer
    decided: list[tuple[str, Outcome]] = field(default_factory=list)  # Kafka messages decided
    fired: list[tuple[str, str, str]] = field(default_factory=list)  # timers this one fired

    def command_partitions(self, topic: str) -> set[int]:
        consumers = [s.consumer for s in self.broker.subscribers if s.consumer is not None]
        return {tp.partition for c in consumers for tp in c.assignment() if tp.topic == topic}


class Cluster:
    """Workflow instances on one database and one broker, started and stopped at will."""

    def __init__(self, settings: WorkflowSettings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        self.monkeypatch = monkeypatch
        self.offsets = itertools.count(1)
        self._stacks: dict[int, ExitStack] = {}

    def start(self) -> Instance:
        brokers: list[Any] = []
        make_broker = workflow_app.make_broker

        def capture(*args: Any, **kwargs: Any) -> Any:
            brokers.append(make_broker(*args, **kwargs))
            return brokers[-1]

        self.monkeypatch.setattr(workflow_app, "make_broker", capture)
        app = workflow_app.create_app(self.settings)
        self.monkeypatch.setattr(workflow_app, "make_broker", make_broker)
        instance = Instance(app.state.workflow, brokers[0])
        _observe(instance)  # before its consumers start
        stack = ExitStack()
        instance.http = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        self._stacks[id(instance)] = stack
        return instance

    def stop(self, instance: Instance) -> None:
        self._stacks.pop(id(instance)).close()

    def stop_all(self) -> None:
        for stack in reversed(list(self._stacks.values())):
            stack.close()
        self._stacks.clear()

    def open_cases(self, instance: Instance, *facts: Any) -> None:
        messages = [(message_id(f), commands_for(f)) for f in facts]
        decisions = instance.workflow.handle(messages, Tracking("kafka:test:0",
                                                                next(self.offsets)))
        assert {d.outcome for d in decisions} == {Outcome.APPLIED}


def _observe(instance: Instance) -> None:
    """Count the saves a concurrent writer refused, the Kafka decisions and the fired timers."""
    workflow = instance.workflow
    commit, handle, fire = workflow._commit, workflow.handle, workflow.fire_timer

    def counted_commit(session: Any, tracking: Tracking | None = None) -> None:
        try:
            commit(session, tracking)
        except IntegrityError:
            instance.conflicts.append(1)
            raise

    def recorded_handle(messages: Any, tracking: Tracking) -> Any:
        decisions = handle(messages, tracking)
        instance.decided.extend((mid, d.outcome)
                                for (mid, _), d in zip(messages, decisions, strict=True))
        return decisions

    def recorded_fire(case_id: str, deadline: str, kind: str, now: datetime) -> bool:
        fired = fire(case_id, deadline, kind, now)
        if fired:
            instance.fired.append((case_id, deadline, kind))
        return fired

    workflow._commit = counted_commit  # type: ignore[method-assign]
    workflow.handle = recorded_handle  # type: ignore[method-assign]
    workflow.fire_timer = recorded_fire  # type: ignore[method-assign]


@pytest.fixture
def cluster(kafka: KafkaServer, postgres: PostgresServer, pg_database: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    topics = Topics(prefix=f"cc{uuid.uuid4().hex[:8]}.")
    create_topics(kafka.bootstrap_servers, dict.fromkeys(topics.all(), 3))
    units = tmp_path / "units.json"
    units.write_text(json.dumps({"callers": [
        {"unit": unit, "role": "office" if unit == OFFICE else "unit",
         "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
        for unit, token in TOKENS.items()]}))
    settings = WorkflowSettings(
        kafka_bootstrap=kafka.bootstrap_servers, topic_prefix=topics.prefix,
        persistence="postgres", postgres_host=postgres.host, postgres_port=postgres.port,
        postgres_user=postgres.user, postgres_dbname=pg_database, units_file=units,
        cipher_key=AESCipher.create_key(32), consumer_group=f"{topics.prefix}workflow",
        batch_max_records=20,
        http_rate_limit_per_minute=0)  # these units send hundreds of commands a minute
    found = Cluster(settings, monkeypatch)
    try:
        yield found
    finally:
        found.stop_all()


@pytest.fixture
def two(cluster: Cluster) -> tuple[Instance, Instance]:
    """Two instances on one database, with the business the test cases are about."""
    first, second = cluster.start(), cluster.start()
    cluster.open_cases(first, fact("foodsafety.entity.registered", entity_id=CATERING_USCC,
                                   kind="catering", township="北郊乡"))
    return first, second


def race(*calls: Callable[[], T]) -> list[T]:
    """Run the calls on threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls, timeout=60))


def post(instance: Instance, unit: str, case_id: str, command: str, *,
         key: str | None = None, **body: Any) -> Answer:
    headers = {"Authorization": f"Bearer {TOKENS[unit]}",
               "Idempotency-Key": key or uuid.uuid4().hex}
    answer = instance.http.post(f"/cases/{case_id}/commands", headers=headers,
                                json={"command": command, **body})
    assert answer.status_code < 500, (case_id, command, answer.status_code, answer.text)
    return answer.status_code, answer.json()


def settle(instance: Instance, unit: str, case_id: str, command: str, answer: Answer,
           **body: Any) -> Answer:
    """What a caller ends with: it sends the command again after a 409 ``concurrent_update``."""
    for _ in range(5):
        if answer[0] != 409 or answer[1]["code"] != RETRYABLE:
            return answer
        answer = post(instance, unit, case_id, command, **body)
    return answer


def history(instance: Instance, case_id: str) -> list[Any]:
    events = instance.workflow.case_history(case_id)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1)), case_id
    return events


def kinds(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def advanced(events: list[Any]) -> list[str]:
    return [e.command for e in events if type(e).__name__ == "Advanced"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


# 1. units racing units over HTTP ----------------------------------------------------------------

CONFLICT_ROUNDS = 40
REFUSED_AFTER = {"accept_complaint": "command_not_allowed",  # the case is mediating
                 "refuse_complaint": "case_closed"}  # a refusal with no notice due closes it


def test_given_a_complaint_when_the_lead_accepts_and_a_co_unit_refuses_it_at_once_on_two_instances_then_one_stands_and_the_other_is_refused_by_name(  # noqa: E501
        cluster: Cluster, two: tuple[Instance, Instance]):
    cluster.open_cases(two[0], *[fact("foodsafety.complaint.received", complaint_id=f"X-{n}",
                                      received_at=now_iso()) for n in range(CONFLICT_ROUNDS)])
    won: Counter[str] = Counter()
    for n in range(CONFLICT_ROUNDS):
        case_id, (lead_on, co_on) = f"CP-X-{n}", (two if n % 2 else two[::-1])
        racers = {"accept_complaint": (lead_on, LEAD, {}),
                  "refuse_complaint": (co_on, CO_UNIT, {"reason": "outside_duties"})}

        answers = race(*[partial(post, r[0], r[1], case_id, c, **r[2])
                         for c, r in racers.items()])

        final = {c: settle(r[0], r[1], case_id, c, a, **r[2])
                 for (c, r), a in zip(racers.items(), answers, strict=True)}
        winners = [c for c, (status, _) in final.items() if status == 200]
        assert len(winners) == 1, (case_id, final)
        loser = next(c for c in final if c not in winners)
        status, body = final[loser]
        assert (status, body["code"]) == (409, REFUSED_AFTER[winners[0]]), (case_id, body)
        assert case_id in body["message"]
        events = history(two[0], case_id)
        assert kinds(events) == ["Opened", "Advanced"], case_id
        assert advanced(events) == winners
        won[winners[0]] += 1
        if winners == ["accept_complaint"]:  # the refused unit takes the step the state allows
            step_on, step_unit, _ = racers[loser]
            assert post(step_on, step_unit, case_id, "record_agreement")[0] == 200
            assert advanced(history(two[1], case_id)) == [*winners, "record_agreement"]

    assert sum(won.values()) == CONFLICT_ROUNDS
    assert two[0].conflicts or two[1].conflicts, "no two saves ever met: nothing raced"


ORDER_ROUNDS = 20


def test_given_a_command_that_needs_another_first_when_both_race_then_it_lands_or_is_refused_by_name_and_its_retry_with_the_same_key_lands_once(  # noqa: E501
        cluster: Cluster, two: tuple[Instance, Instance]):
    cluster.open_cases(two[0], *[fact("foodsafety.complaint.received", complaint_id=f"O-{n}",
                                      received_at=now_iso()) for n in range(ORDER_ROUNDS)])
    refused_first = 0
    for n in range(ORDER_ROUNDS):
        case_id, key, lead_on, co_on = f"CP-O-{n}", uuid.uuid4().hex, two[n % 2], two[1 - n % 2]
        accept = partial(post, lead_on, LEAD, case_id, "accept_complaint")
        agree = partial(post, co_on, CO_UNIT, case_id, "record_agreement", key=key)

        (accepted, _), first = race(accept, agree)

        assert accepted == 200, case_id
        if first[0] == 409:  # decided before the acceptance: refused, and nothing recorded
            assert first[1]["code"] in {"command_not_allowed", RETRYABLE}, (case_id, first)
            refused_first += first[1]["code"] == "command_not_allowed"
            first = post(co_on, CO_UNIT, case_id, "record_agreement", key=key)
        assert (first[0], first[1]["outcome"]) == (200, "applied"), (case_id, first)
        replay = post(lead_on, CO_UNIT, case_id, "record_agreement", key=key)
        assert (replay[0], replay[1]["outcome"]) == (200, "duplicate_message"), case_id
        assert advanced(history(two[0], case_id)) == ["accept_complaint", "record_agreement"]

    assert refused_first, "the agreement never came before the acceptance: nothing raced"


CROWD_ROUNDS = 15
CROWD = {"confirm_risk_control": {"args": {"measures": "封存下架"}}, "close_retest_window": {}}


def test_given_a_sampling_case_when_eight_callers_on_two_instances_send_its_two_parallel_commands_at_once_then_each_lands_once_and_every_other_caller_is_told_why(  # noqa: E501
        cluster: Cluster, two: tuple[Instance, Instance]):
    cluster.open_cases(two[0], *[fact("foodsafety.sampling.reported", entity_id=CATERING_USCC,
                                      sample_id=f"CROWD-{n}", reported_at=now_iso())
                                 for n in range(CROWD_ROUNDS)])
    racers = [(command, instance, unit) for command in CROWD for instance in two
              for unit in (LEAD, CO_UNIT)]
    for n in range(CROWD_ROUNDS):
        case_id = f"SD-CROWD-{n}"

        answers = race(*[partial(post, i, u, case_id, c, **CROWD[c]) for c, i, u in racers])

        final = [(c, settle(i, u, case_id, c, a, **CROWD[c]))
                 for (c, i, u), a in zip(racers, answers, strict=True)]
        for command in CROWD:
            statuses = sorted(status for c, (status, _) in final if c == command)
            assert statuses == [200, 409, 409, 409], (case_id, command, final)
        refusals = {body["code"] for _, (status, body) in final if status == 409}
        assert refusals == {"command_not_allowed"}, (case_id, final)
        events = history(two[1], case_id)
        assert sorted(advanced(events)) == sorted(CROWD), case_id
        assert len(events) == 3, case_id

    assert two[0].conflicts or two[1].conflicts, "no two saves ever met: nothing raced"


@contextmanager
def saving_together(*instances: Instance) -> Iterator[None]:
    """Each instance's next save waits for the others': they all decide on the same version."""
    barrier = threading.Barrier(len(instances))
    saved = [instance.workflow._commit for instance in instances]
    for instance, commit in zip(instances, saved, strict=True):
        held = [True]

        def together(session: Any, tracking: Tracking | None = None,
                     commit: Any = commit, held: list[bool] = held) -> None:
            if held.pop() if held else False:
                barrier.wait(10)
            commit(session, tracking)

        instance.workflow._commit = together  # type: ignore[method-assign]
    try:
        yield
    finally:
        for instance, commit in zip(instances, saved, strict=True):
            instance.workflow._commit = commit  # type: ignore[method-assign]


FORCED_ROUNDS = 8


@pytest.mark.parametrize("attempts", [5, 1])
def test_given_two_instances_saving_on_the_same_version_when_the_second_save_collides_then_it_decides_again_or_is_answered_409_concurrent_update_and_a_retry_lands(  # noqa: E501
        cluster: Cluster, two: tuple[Instance, Instance], attempts: int):
    cluster.open_cases(two[0], *[fact("foodsafety.sampling.reported", entity_id=CATERING_USCC,
                                      sample_id=f"F{attempts}-{n}", reported_at=now_iso())
                                 for n in range(FORCED_ROUNDS)])
    for instance in two:
        instance.workflow.max_attempts = attempts
    commands = list(CROWD)
    for n in range(FORCED_ROUNDS):
        case_id = f"SD-F{attempts}-{n}"
        keys = [uuid.uuid4().hex for _ in commands]
        before = len(two[0].conflicts) + len(two[1].conflicts)

        with saving_together(*two):
            answers = race(*[partial(post, i, LEAD, case_id, c, key=k, **CROWD[c])
                             for i, c, k in zip(two, commands, keys, strict=True)])

        assert len(two[0].conflicts) + len(two[1].conflicts) == before + 1, case_id
        if attempts > 1:  # the loser loaded the winner's event and decided again
            assert [status for status, _ in answers] == [200, 200], (case_id, answers)
        else:  # it ran out of attempts: a named, retryable answer, then the same key lands
            assert sorted((s, b.get("code")) for s, b in answers) == [
                (200, None), (409, RETRYABLE)], (case_id, answers)
            for instance, command, key, (status, _) in zip(two, commands, keys, answers,
                                                            strict=True):
                if status == 409:
                    again = post(instance, LEAD, case_id, command, key=key, **CROWD[command])
                    assert (again[0], again[1]["outcome"]) == (200, "applied"), case_id
        events = history(two[0], case_id)
        assert sorted(advanced(events)) == sorted(commands), case_id


POOLED_ROUNDS = 120


def test_given_two_instances_with_one_pooled_connection_each_when_they_race_the_same_command_round_after_round_then_no_later_save_fails(  # noqa: E501
        pg_env: dict[str, str]):
    env = {**pg_env, "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
    apps = [Workflow(env=env) for _ in range(2)]
    received = now_iso()
    facts = [fact("foodsafety.entity.registered", entity_id=CATERING_USCC, kind="catering",
                  township="北郊乡")] + [
        fact("foodsafety.complaint.received", complaint_id=f"P-{n}", received_at=received)
        for n in range(POOLED_ROUNDS)]
    apps[0].handle([(message_id(f), commands_for(f)) for f in facts], Tracking("kafka:t:0", 1))
    try:
        for n in range(POOLED_ROUNDS):  # the loser's connection is the one its next save uses
            command = AdvanceCase(f"http#same-{n}", f"CP-P-{n}", "accept_complaint",
                                  datetime.now(UTC), LEAD)

            decisions = race(*[partial(app.act, command) for app in apps])

            assert sorted(d.outcome for d in decisions) == [
                Outcome.APPLIED, Outcome.DUPLICATE_MESSAGE], (n, decisions)
    finally:
        for app in apps:
            app.close()


# 2. a command racing the deadline timers ---------------------------------------------------------

TIMER_ROUNDS = 25
TIMER_OF = {"DeadlineWarned": "warn", "DeadlineOverdue": "overdue"}


def _at(moment: datetime) -> datetime:
    return moment


def _wait_for_timer(index: CaseIndex, case_id: str, now: datetime) -> None:
    deadline = time.monotonic() + 20
    while (case_id, "acceptance", "overdue") not in index.due_timers(now, limit=10_000):
        assert time.monotonic() < deadline, f"the case index never listed {case_id}'s timers"
        time.sleep(0.05)


def test_given_a_due_deadline_when_two_timer_loops_fire_while_the_unit_sends_the_closing_command_then_one_order_is_recorded_and_no_timer_fires_twice(  # noqa: E501
        cluster: Cluster, two: tuple[Instance, Instance]):
    indexes = [CaseIndex(i.workflow.recorder.datastore, i.workflow.recorder,  # type: ignore[attr-defined]
                         postgres=True) for i in two]
    orders: Counter[str] = Counter()
    for n in range(TIMER_ROUNDS):
        case_id = f"CP-T-{n}"
        cluster.open_cases(two[0], fact("foodsafety.complaint.received", complaint_id=f"T-{n}",
                                        received_at=now_iso()))
        due = two[0].workflow.get_case(case_id).deadlines["acceptance"]["due_at"]
        now = due + timedelta(seconds=1)  # the timers' clock: warning and overdue both due
        _wait_for_timer(indexes[0], case_id, now)
        steps = [timer_step(i.workflow, index, lambda _: None, clock=partial(_at, now))
                 for i, index in zip(two, indexes, strict=True)]
        command = partial(post, two[n % 2], LEAD, case_id, "accept_complaint",
                          at=now.isoformat())

        *_, (status, body) = race(*steps, command)

        assert (status, body["outcome"]) == (200, "applied"), (case_id, body)
        events = history(two[1], case_id)
        names = kinds(events)
        assert names.count("Advanced") == 1, (case_id, names)
        assert names.count("DeadlineWarned") <= 1, (case_id, names)
        assert names.count("DeadlineOverdue") <= 1, (case_id, names)
        fired = Counter(f for i in two for f in i.fired if f[0] == case_id)
        assert fired == Counter((case_id, "acceptance", TIMER_OF[name])
                                for name in names if name in TIMER_OF), case_id
        acceptance = two[1].workflow.get_case(case_id).deadlines["acceptance"]
        assert acceptance["status"] == "met"
        assert acceptance["met_at"] == now
        if "DeadlineOverdue" in names:  # the timer came first: the case is late
            assert names.index("DeadlineOverdue") < names.index("Advanced")
            assert acceptance["overdue"] is True
            assert acceptance["escalated_to"] == OFFICE
            orders["overdue, then the command (late)"] += 1
        else:  # the command came first: the met deadline has no timer left to fire
            assert acceptance["overdue"] is False
            orders["the command, no overdue"] += 1
        later = now + timedelta(days=1)
        for instance, index in zip(two, indexes, strict=True):
            timer_step(instance.workflow, index, lambda _: None, clock=partial(_at, later))()
        assert history(two[0], case_id) == events, "a timer fired after the deadline was met"

    assert sum(orders.values()) == TIMER_ROUNDS
    assert two[0].conflicts or two[1].conflicts, "no two saves ever met: nothing raced"


# 3. duplicate commands across a consumer-group rebalance -----------------------------------------

RECALLS = 30


def _recall_commands(stem: str) -> list[tuple[str, bytes]]:
    at = now_iso()
    opens = [{"command_id": f"recall:RV-{stem}-{n}", "case_id": f"RV-{stem}-{n}",
              "command": "open_recall_verification", "by_unit": "projections-recall", "at": at,
              "args": {"entity_id": CATERING_USCC, "township": "北郊乡", "lot_code": f"L{n}",
                       "quantity": "10", "unit": "KGM", "product": "韭菜"}}
             for n in range(RECALLS)]
    starts = [{"command_id": f"start:RV-{stem}-{n}", "case_id": f"RV-{stem}-{n}",
               "command": "confirm_recall_started", "by_unit": OFFICE, "at": at}
              for n in range(RECALLS)]
    return [(c["case_id"], json.dumps(c).encode()) for c in opens + starts]


def _publish(bootstrap: str, topic: str, records: list[tuple[int, str, bytes]]) -> None:
    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            sent = [await producer.send(topic, value, key=key.encode(), partition=partition)
                    for partition, key, value in records]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    asyncio.run(send())


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@dataclass
class Deliveries:
    """Every commands record a member's batch handler is given, and members made to crash."""

    topic: str
    seen: list[tuple[int, int, int]] = field(default_factory=list)  # (member, partition, offset)
    doomed: set[int] = field(default_factory=set)  # crash after recording their next batch
    down: set[int] = field(default_factory=set)  # crashed: every batch fails from then on
    crashed: threading.Event = field(default_factory=threading.Event)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        partition = BatchHandler._partition

        async def delivered(handler: BatchHandler, topic: str, number: int, records: list[Any],
                            translate: Any) -> None:
            member = id(handler.workflow)
            if topic != self.topic:
                return await partition(handler, topic, number, records, translate)
            if member in self.down:
                raise RuntimeError("this member is down")
            self.seen.extend((member, number, r.offset) for r in records)
            await partition(handler, topic, number, records, translate)
            if member in self.doomed:  # recorded in the database, the Kafka offsets not yet
                self.doomed.discard(member)
                self.down.add(member)
                self.crashed.set()
                raise RuntimeError("down after recording a batch, before committing offsets")
            return None

        monkeypatch.setattr(BatchHandler, "_partition", delivered)


def test_given_two_consumers_in_one_group_when_the_same_commands_arrive_three_times_while_members_crash_leave_and_join_then_each_command_is_applied_once(  # noqa: E501
        cluster: Cluster):
    topic = cluster.settings.topics.workflow_commands
    deliveries = Deliveries(topic)
    deliveries.install(cluster.monkeypatch)
    first, second = cluster.start(), cluster.start()
    _until(lambda: bool(first.command_partitions(topic) and second.command_partitions(topic)),
           "the two consumers never shared the commands topic")
    commands = _recall_commands(uuid.uuid4().hex[:6])
    opens, starts = commands[:RECALLS], commands[RECALLS:]
    ids = [f"command#{json.loads(v)['command_id']}" for _, v in commands]
    members = [first, second]

    def publish(batch: list[tuple[str, bytes]], *copies: int) -> None:
        _publish(cluster.settings.kafka_bootstrap, topic, [
            ((n + copy) % 3, key, value) for copy in copies
            for n, (key, value) in enumerate(batch)])

    def decided(mids: list[str]) -> bool:
        counts = Counter(m for i in members for m, _ in i.decided)
        return all(counts[m] >= 3 for m in mids)  # every copy, by one member or another

    # the opening commands, twice: the second member records a batch and crashes before it
    # commits the batch's offsets, then leaves; a third copy, and a new member joins
    deliveries.doomed.add(id(second.workflow))
    publish(opens, 0, 1)
    assert deliveries.crashed.wait(40), "the second member never recorded a batch"
    cluster.stop(second)
    publish(opens, 2)
    members.append(third := cluster.start())
    _until(lambda: bool(third.command_partitions(topic)), "the third member never joined")
    _until(lambda: decided(ids[:RECALLS]), "an opening command was lost")
    # the next commands: a copy, a member joins mid-stream, two more copies
    publish(starts, 0)
    members.append(cluster.start())
    publish(starts, 1, 2)
    _until(lambda: decided(ids), "a start command was lost")

    outcomes = [(m, o) for i in members for m, o in i.decided]
    assert Counter(m for m, o in outcomes if o is Outcome.APPLIED) == Counter(ids)
    assert {o for _, o in outcomes} <= {Outcome.APPLIED, Outcome.DUPLICATE_MESSAGE,
                                        Outcome.DUPLICATE_POSITION}
    records = Counter((p, o) for _, p, o in deliveries.seen)
    assert len(records) == 3 * len(ids), "a published record was never delivered"
    again = {r for r, times in records.items() if times > 1}
    takers = {r: {m for m, p, o in deliveries.seen if (p, o) == r} for r in again}
    assert any(len(members_) > 1 for members_ in takers.values()), \
        "the crashed member's batch never went to another member"
    assert all(i.decided for i in (first, second)), "a member took no part"
    assert any(i.decided for i in members[2:]), "no member that joined took part"
    assert first.workflow.recorder.select_inbox(ids) == set(ids)  # type: ignore[attr-defined]
    for case_id, _ in opens:
        events = history(first, case_id)
        assert kinds(events) == ["Opened", "Advanced"], case_id
        assert advanced(events) == ["confirm_recall_started"], case_id
