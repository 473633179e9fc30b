"""Intake triage: every inbound message is accepted for a topic or refused with reasons."""

from __future__ import annotations

import json

import pytest

from contracts import topics
from services.intake.triage import Accepted, Rejected, triage
from tests.factories import as_bytes, sampling_fact

LIMIT = 64 * 1024


def codes(decision: Accepted | Rejected) -> list[str]:
    assert isinstance(decision, Rejected)
    return [r.code for r in decision.reasons]


def test_a_valid_sampling_fact_goes_to_supervision_keyed_by_business():
    decision = triage(as_bytes(sampling_fact("S1", entity_id="E-9")), max_bytes=LIMIT)

    assert isinstance(decision, Accepted)
    assert (decision.topic, decision.key) == (topics.SUPERVISION, "E-9")
    assert decision.event.data["sample_id"] == "S1"


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "not_json"),
    (b"\xff\xfe\x00garbage", "not_json"),
    (b"[1, 2]", "not_an_object"),
    (b"", "not_json"),
    (b"[" * 100_000 + b"]" * 100_000, "not_json"),
])
def test_unreadable_bytes_are_refused_with_a_code(raw: bytes, code: str):
    assert codes(triage(raw, max_bytes=1_000_000)) == [code]


def test_an_oversize_message_is_refused_before_parsing():
    assert codes(triage(b" " * (LIMIT + 1), max_bytes=LIMIT)) == ["too_large"]


def test_a_missing_envelope_field_is_named_in_the_reason():
    fact = sampling_fact("S2")
    del fact["time"]

    decision = triage(as_bytes(fact), max_bytes=LIMIT)

    assert isinstance(decision, Rejected)
    assert [(r.code, r.path) for r in decision.reasons] == [("invalid_envelope", "time")]
    assert decision.envelope["id"] == "evt-S2"


def test_an_unknown_type_is_refused():
    fact = sampling_fact("S3")
    fact["type"] = "foodsafety.weather.reported"

    assert codes(triage(as_bytes(fact), max_bytes=LIMIT)) == ["unknown_type"]


def test_invalid_data_points_at_the_field():
    fact = sampling_fact("S4")
    fact["data"]["program"] = "whatever"

    decision = triage(json.dumps(fact).encode(), max_bytes=LIMIT)

    assert isinstance(decision, Rejected)
    assert [(r.code, r.path) for r in decision.reasons] == [("invalid_data", "data.program")]
