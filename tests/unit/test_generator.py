"""The data generator: deterministic, valid facts, bad messages refused as promised, truth."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from contracts.receipts import ReceiptStatus
from contracts.registry import by_type
from contracts.topics import Topics
from fangxin.generator import Dataset, generate
from fangxin.generator.files import read_messages, write_dataset
from services.intake.application import Inbound, Intake
from services.intake.decoding import Decoded, FactDecoder
from services.intake.dedupe import SQLiteSeenStore
from services.intake.producers import ProducerRegistry
from tests.unit.intake.helpers import no_epcis

PRODUCERS = Path(__file__).resolve().parents[2] / "deploy" / "local" / "producers.json"
MAX_BYTES = 1_048_576  # intake's default limit


@pytest.fixture(scope="module")
def smoke() -> Dataset:
    return generate(size="smoke")


@pytest.fixture(scope="module")
def default() -> Dataset:
    return generate()


def test_same_seed_and_size_give_the_same_bytes(smoke):
    again = generate(size="smoke")
    assert [m.value for m in again.messages] == [m.value for m in smoke.messages]
    assert [m.key for m in again.messages] == [m.key for m in smoke.messages]
    assert again.truth == smoke.truth
    other = generate(seed=7, size="smoke")
    assert [m.value for m in other.messages] != [m.value for m in smoke.messages]


def test_the_smoke_set_is_quick_and_near_its_size():
    started = time.monotonic()
    dataset = generate(seed=11, size="smoke")
    assert time.monotonic() - started < 5
    assert 1_000 <= len(dataset.messages) <= 2_200


def test_an_int_size_is_roughly_the_message_count():
    assert 2_400 <= len(generate(seed=3, size=3_000).messages) <= 3_600


def test_every_fact_validates_and_its_source_may_publish_it(smoke):
    decoder = FactDecoder(by_type(), max_bytes=MAX_BYTES)
    producers = ProducerRegistry.load(PRODUCERS)
    for message in smoke.messages:
        if message.kind == "bad":
            continue
        decoded = decoder.decode(message.value)
        assert isinstance(decoded, Decoded), (message.value[:300], decoded)
        assert decoded.event.type == message.fact_type
        assert producers.check(decoded.event.source, decoded.event.type) is None
    assert {m.fact_type for m in smoke.messages if m.kind == "fact"} == set(
        smoke.truth.facts_by_type)


def test_intake_accepts_the_facts_and_refuses_each_bad_message_with_its_code(smoke, tmp_path):
    intake = Intake(FactDecoder(by_type(), max_bytes=MAX_BYTES), ProducerRegistry.load(PRODUCERS),
                    SQLiteSeenStore(tmp_path / "seen.sqlite"), Topics(), no_epcis)
    inbound = [Inbound(m.value, m.key, f"kafka:in:0:{n}", topic="in", partition=0, offset=n)
               for n, m in enumerate(smoke.messages)]
    receipts = [a.receipt for start in range(0, len(inbound), 500)
                for a in intake.answer(inbound[start:start + 500])]
    expected = {"fact": ReceiptStatus.ACCEPTED, "duplicate": ReceiptStatus.DUPLICATE,
                "bad": ReceiptStatus.REJECTED}
    for message, receipt in zip(smoke.messages, receipts, strict=True):
        assert receipt.status is expected[message.kind], (message, receipt)
        if message.kind == "bad":
            assert message.expected_code in {r.code for r in receipt.reasons}, receipt


def test_duplicates_are_exact_resends_of_earlier_facts(smoke):
    seen: set[bytes] = set()
    for message in smoke.messages:
        if message.kind == "fact":
            seen.add(message.value)
        elif message.kind == "duplicate":
            assert message.value in seen
    assert smoke.truth.duplicates > 0


def test_the_truth_counts_the_messages(smoke):
    truth, messages = smoke.truth, smoke.messages
    kinds = Counter(m.kind for m in messages)
    assert truth.messages == len(messages)
    assert (truth.accepted, truth.duplicates, truth.rejected) == (
        kinds["fact"], kinds["duplicate"], kinds["bad"])
    assert sum(truth.rejected_by_code.values()) == truth.rejected
    assert Counter(m.expected_code for m in messages if m.kind == "bad") == Counter(
        truth.rejected_by_code)
    assert sum(truth.facts_by_type.values()) == truth.accepted
    assert dict(Counter(m.fact_type for m in messages if m.kind == "fact")) == \
        truth.facts_by_type
    assert sum(truth.businesses_by_kind.values()) == \
        truth.facts_by_type["foodsafety.entity.registered"]
    assert truth.cases_by_kind["AS"] == 39
    assert truth.cases_by_kind["SD"] == truth.samples_unqualified
    json.dumps(truth.__dict__, default=lambda o: o.__dict__)


def test_the_default_set_is_realistic(default):
    truth = default.truth
    assert 30_000 <= truth.messages <= 50_000
    assert 0.01 <= truth.samples_unqualified / truth.samples <= 0.05
    coverage = {year: c["ratio"] for year, c in truth.canteen_coverage.items()}
    assert coverage["2022"] < 0.9 < coverage["2024"]
    assert all(0.8 <= ratio <= 1 for ratio in coverage.values())
    assert 60 <= truth.businesses_by_kind["school_canteen"] <= 90
    assert len(truth.businesses_by_township) == 9
    assert 0.005 <= truth.rejected / truth.messages <= 0.02
    assert 0.01 <= truth.duplicates / truth.messages <= 0.02
    assert all(truth.cases_by_kind[kind] > 0 for kind in truth.cases_by_kind)


def test_the_traced_lot_has_farms_upstream_and_businesses_downstream(default):
    traced = default.truth.traced_lot
    assert traced is not None
    assert len(traced.upstream) >= 2
    assert all(u["certificate_no"] for u in traced.upstream)
    assert traced.downstream
    assert {d["entity_id"] for d in traced.downstream} <= set(traced.recall_scope)
    reports = [json.loads(m.value) for m in default.messages
               if m.fact_type == "foodsafety.sampling.reported" and m.kind == "fact"]
    sample = next(r["data"] for r in reports if r["data"]["sample_id"] == traced.sample_id)
    assert sample["verdict"] == "unqualified"
    assert sample["lot_code"] == traced.lot_code


def test_files_round_trip(smoke, tmp_path):
    out = tmp_path / "set.jsonl"
    assert write_dataset(out, smoke.messages, smoke.truth) == len(smoke.messages)
    assert read_messages(out) == smoke.messages
    truth = json.loads((tmp_path / "set.jsonl.truth.json").read_text())
    assert truth["messages"] == len(smoke.messages)


def test_a_cloudevent_or_an_epcis_document_is_one_message(smoke, tmp_path):
    event = tmp_path / "event.json"
    event.write_bytes(smoke.messages[0].value)
    [message] = read_messages(event)
    assert message.value == smoke.messages[0].value
    document = tmp_path / "doc.jsonld"
    document.write_text(json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0",
                                    "epcisBody": {"eventList": []}}))
    [wrapped] = read_messages(document)
    envelope = json.loads(wrapped.value)
    assert envelope["type"] == "org.gs1.epcis.document"
    assert envelope["data"]["type"] == "EPCISDocument"


@pytest.mark.parametrize("seed", range(1, 9))
def test_any_seed_gives_a_complete_small_set(seed):
    truth = generate(seed=seed, size=400).truth
    assert truth.traced_lot is not None
    assert truth.accepted > 0


def test_a_single_line_of_json_lines_is_read_as_such(smoke, tmp_path):
    out = tmp_path / "one.jsonl"
    write_dataset(out, smoke.messages[:1], smoke.truth)
    assert read_messages(out) == smoke.messages[:1]
