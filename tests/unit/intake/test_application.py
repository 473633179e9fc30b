"""The intake application: one receipt per message; facts routed once; refusals explained."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from contracts import topics, tracecontext
from contracts.receipts import Channel
from services.intake.application import Answer, Inbound
from services.intake.producers import Producer
from tests.factories import as_bytes, sampling_fact
from tests.unit.intake.helpers import LAB, at, make_intake, registry


def statuses(answers: list[Answer]) -> list[str]:
    return [a.receipt.status.value for a in answers]


def test_an_accepted_fact_goes_to_its_topic_keyed_by_business_then_its_receipt(tmp_path: Path):
    answer, = make_intake(tmp_path).answer([at(0, as_bytes(sampling_fact("S1",
                                                                          entity_id="E9")))])

    fact, receipt = answer.publications
    assert (fact.topic, fact.key) == (topics.SUPERVISION, b"E9")
    assert json.loads(fact.value)["data"]["sample_id"] == "S1"
    assert (b"message-id", f"{LAB}#evt-S1".encode()) in [(k.encode(), v) for k, v in
                                                         fact.headers]
    assert receipt.topic == topics.RECEIPTS
    assert answer.receipt.status.value == "accepted"
    assert answer.receipt.routed_to == [topics.SUPERVISION]
    assert (answer.receipt.inbound_partition, answer.receipt.inbound_offset) == (0, 0)


def test_a_second_copy_in_the_same_batch_is_a_duplicate_of_the_first(tmp_path: Path):
    raw = as_bytes(sampling_fact("S2"))

    answers = make_intake(tmp_path).answer([at(0, raw), at(1, raw)])

    assert statuses(answers) == ["accepted", "duplicate"]
    assert answers[1].receipt.duplicate_of == "kafka:in:0:0"
    assert [p.topic for p in answers[1].publications] == [topics.RECEIPTS]


def test_a_record_processed_again_after_a_crash_is_accepted_again(tmp_path: Path):
    intake = make_intake(tmp_path)
    raw = as_bytes(sampling_fact("S3"))
    intake.answer([at(5, raw)])

    replay = intake.answer([at(5, raw)])

    assert statuses(replay) == ["accepted"]  # same position: not lost, not a duplicate


def test_duplicates_are_remembered_across_restarts(tmp_path: Path):
    raw = as_bytes(sampling_fact("S4"))
    make_intake(tmp_path).answer([at(0, raw)])

    later = make_intake(tmp_path).answer([at(0, raw, partition=2)])

    assert statuses(later) == ["duplicate"]


def test_an_unknown_source_is_refused_and_dead_lettered_with_its_bytes(tmp_path: Path):
    raw = as_bytes(sampling_fact("S5", source="urn:someone:else"))

    answer, = make_intake(tmp_path).answer([at(3, raw)])

    letter, receipt = answer.publications
    assert [r.code for r in answer.receipt.reasons] == ["unauthorized_source"]
    assert letter.topic == topics.REJECTED
    assert base64.b64decode(json.loads(letter.value)["original_base64"]) == raw
    assert receipt.topic == topics.RECEIPTS


def test_a_source_may_publish_only_its_registered_types(tmp_path: Path):
    producers = registry(Producer(source=LAB, types=frozenset({"foodsafety.entity.registered"})))

    answer, = make_intake(tmp_path, producers).answer([at(0, as_bytes(sampling_fact("S6")))])

    assert [(r.code, r.path) for r in answer.receipt.reasons] == [("unauthorized_source", "type")]


def test_an_http_token_covers_only_its_own_source(tmp_path: Path):
    other = Producer(source="urn:fangxin:lab:other", types=frozenset({"*"}))
    producers = registry(other, Producer(source=LAB, types=frozenset({"*"})))
    message = Inbound(as_bytes(sampling_fact("S7")), None, "http:1", channel=Channel.HTTP,
                      producer=other)

    answer, = make_intake(tmp_path, producers).answer([message])

    assert [(r.code, r.path) for r in answer.receipt.reasons] == [("unauthorized_source",
                                                                   "source")]


def test_every_message_of_a_mixed_batch_gets_exactly_one_receipt(tmp_path: Path):
    good = as_bytes(sampling_fact("S8"))
    batch = [at(i, raw) for i, raw in enumerate([good, b"{", good, None, b"[]"])]

    answers = make_intake(tmp_path).answer(batch)

    assert statuses(answers) == ["accepted", "rejected", "duplicate", "rejected", "rejected"]
    assert all([p.topic for p in a.publications].count(topics.RECEIPTS) == 1 for a in answers)


def traces(answer: Answer) -> set[str | None]:
    return {tracecontext.trace_of(p.headers) for p in answer.publications}


def test_every_record_about_a_fact_carries_the_trace_of_the_fact(tmp_path: Path):
    raw = as_bytes(sampling_fact("S9"))

    first, copy = make_intake(tmp_path).answer([at(0, raw), at(1, raw)])

    journey = tracecontext.trace_id(f"{LAB}#evt-S9")
    assert traces(first) == traces(copy) == {journey}  # the fact, its receipts: one trace
    assert first.receipt.trace_id == copy.receipt.trace_id == journey


def test_an_unreadable_message_is_traced_by_where_it_arrived(tmp_path: Path):
    refused, = make_intake(tmp_path).answer([at(3, b"not json")])

    assert traces(refused) == {tracecontext.trace_id("kafka:in:0:3")}
    assert refused.receipt.trace_id == tracecontext.trace_id("kafka:in:0:3")
