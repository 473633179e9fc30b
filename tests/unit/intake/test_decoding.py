"""Decoding inbound bytes: a typed CloudEvent, or reasons a producer can act on."""

from __future__ import annotations

import pytest

from contracts.registry import by_type
from services.intake.decoding import Decoded, FactDecoder, Refused
from tests.factories import as_bytes, sampling_fact

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def decoder() -> FactDecoder:
    return FactDecoder(by_type(), max_bytes=LIMIT)


def refusal(decoded: Decoded | Refused) -> list[tuple[str, str]]:
    assert isinstance(decoded, Refused), decoded
    return [(r.code, r.path) for r in decoded.reasons]


def test_a_valid_fact_decodes_to_its_typed_model(decoder: FactDecoder):
    decoded = decoder.decode(as_bytes(sampling_fact("S1")))

    assert isinstance(decoded, Decoded)
    assert decoded.fact_type is not None
    assert decoded.fact_type.type == "foodsafety.sampling.reported"
    assert type(decoded.data).__name__ == "SamplingReported"


def test_a_leading_byte_order_mark_is_tolerated(decoder: FactDecoder):
    assert isinstance(decoder.decode(b"\xef\xbb\xbf" + as_bytes(sampling_fact("S2"))), Decoded)


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "not_json"),
    (b"", "not_json"),
    (b'{"a": 1} trailing', "not_json"),
    (b"\xff\xfe{}", "bad_encoding"),
    (b'{"id": "\xc3\x28"}', "bad_encoding"),
    (b"[" * 5000 + b"]" * 5000, "too_deep"),
    (b"[1, 2]", "not_an_object"),
    (b'"a string"', "not_an_object"),
])
def test_unreadable_bytes_are_refused_with_one_code(decoder: FactDecoder, raw: bytes, code: str):
    assert [c for c, _ in refusal(decoder.decode(raw))] == [code]


def test_an_oversize_message_is_refused_before_parsing(decoder: FactDecoder):
    assert refusal(decoder.decode(b" " * (LIMIT + 1))) == [("too_large", "")]


def test_a_missing_envelope_attribute_is_named(decoder: FactDecoder):
    fact = sampling_fact("S3")
    del fact["time"]

    decoded = decoder.decode(as_bytes(fact))

    assert refusal(decoded) == [("invalid_envelope", "time")]
    assert isinstance(decoded, Refused)
    assert decoded.envelope == {"source": fact["source"], "id": "evt-S3",
                                "type": "foodsafety.sampling.reported"}


def test_a_time_without_offset_is_refused(decoder: FactDecoder):
    fact = sampling_fact("S4")
    fact["time"] = "2024-05-20T09:00:00"

    assert refusal(decoder.decode(as_bytes(fact))) == [("invalid_envelope", "time")]


def test_a_missing_type_and_an_unknown_type_are_told_apart(decoder: FactDecoder):
    unknown, missing = sampling_fact("S5"), sampling_fact("S6")
    unknown["type"] = "foodsafety.weather.reported"
    del missing["type"]

    assert refusal(decoder.decode(as_bytes(unknown))) == [("unknown_type", "type")]
    assert refusal(decoder.decode(as_bytes(missing))) == [("invalid_envelope", "type")]


def test_invalid_data_points_at_the_field(decoder: FactDecoder):
    fact = sampling_fact("S7")
    fact["data"]["items"][0]["qualified"] = "perhaps"

    assert refusal(decoder.decode(as_bytes(fact))) == [
        ("invalid_data", "data.items[0].qualified")]


def test_a_schema_version_the_platform_lacks_is_refused(decoder: FactDecoder):
    fact = sampling_fact("S8")
    fact["dataschema"] = "urn:fangxin:schema:foodsafety.sampling.reported.v9"

    assert refusal(decoder.decode(as_bytes(fact))) == [("unsupported_version", "dataschema")]
