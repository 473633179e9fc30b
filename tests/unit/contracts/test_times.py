"""Event times: an offset is required, JSON is UTC, the original offset travels beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from contracts.times import OffsetKeepingModel, Timestamp, format_offset, parse_offset

BEIJING = timezone(timedelta(hours=8))


class Observed(OffsetKeepingModel):
    at: Timestamp
    until: Timestamp | None = None


def error_types(data: dict[str, object]) -> list[tuple[object, str]]:
    with pytest.raises(ValidationError) as caught:
        Observed.model_validate(data)
    return [(e["loc"], e["type"]) for e in caught.value.errors()]


def test_a_time_keeps_its_offset_and_local_date():
    observed = Observed.model_validate({"at": "2023-06-01T01:30:00+08:00"})

    assert observed.at == datetime(2023, 5, 31, 17, 30, tzinfo=UTC)  # the same instant
    assert observed.at.utcoffset() == timedelta(hours=8)
    assert observed.at.date() == date(2023, 6, 1)  # the producer's local date


def test_canonical_json_is_utc_with_the_original_offset_beside_it():
    observed = Observed.model_validate({"at": "2023-06-01T09:30:00.25+08:00"})

    assert observed.model_dump(mode="json") == {
        "at": "2023-06-01T01:30:00.250000Z", "at_offset": "+08:00", "until": None}


def test_canonical_json_validates_back_to_the_same_time_and_offset():
    observed = Observed.model_validate({"at": "2023-06-01T09:30:00-05:30",
                                        "until": "2023-06-02T00:00:00Z"})

    again = Observed.model_validate_json(observed.model_dump_json())

    assert again == observed
    assert again.at.utcoffset() == timedelta(hours=-5, minutes=-30)
    assert again.until is not None
    assert again.until.utcoffset() == timedelta(0)


def test_python_dumps_keep_datetimes_and_the_offsets_beside_them():
    observed = Observed(at=datetime(2023, 6, 1, 9, 30, tzinfo=BEIJING))

    assert observed.model_dump() == {"at": observed.at, "until": None, "at_offset": "+08:00"}
    assert observed.model_extra == {}  # the siblings are not the producer's extra fields


def test_extra_fields_beside_the_offsets_are_kept_as_sent():
    observed = Observed.model_validate({"at": "2023-06-01T09:30:00+08:00", "note": "x"})

    assert observed.model_extra == {"note": "x"}
    assert observed.model_dump(mode="json") == {
        "at": "2023-06-01T01:30:00Z", "until": None, "note": "x", "at_offset": "+08:00"}


@pytest.mark.parametrize("text", [
    "2023-06-01T09:30:00",  # no offset
    "2023-06-01 09:30:00",
    "2023-06-01T09:30:00.123",
])
def test_a_time_without_an_offset_is_refused(text):
    assert error_types({"at": text}) == [(("at",), "timestamp_offset_missing")]


@pytest.mark.parametrize(("value", "code"), [
    ("2023-06-01T09:30:00-00:00", "offset_unknown"),
    ("2023-06-01", "timestamp_format"),
    ("yesterday", "timestamp_format"),
    ("2023-06-01T09:30+08:00", "timestamp_format"),  # RFC 3339 needs seconds
    ("2023-02-30T09:30:00+08:00", "timestamp_value"),
    ("2023-06-01T24:30:00+08:00", "timestamp_value"),
    (1685583000, "timestamp_type"),  # Unix seconds carry no offset
    ("0001-01-01T00:00:00+08:00", "timestamp_range"),
])
def test_what_is_not_an_rfc3339_time_with_offset_is_refused(value, code):
    assert error_types({"at": value}) == [(("at",), code)]


def test_a_naive_python_datetime_is_refused():
    assert error_types({"at": datetime(2023, 6, 1, 9, 30)}) == [
        (("at",), "timestamp_offset_missing")]


def test_a_sent_offset_sibling_restores_the_local_time():
    observed = Observed.model_validate({"at": "2023-06-01T01:30:00Z", "at_offset": "+08:00"})

    assert observed.at.isoformat() == "2023-06-01T09:30:00+08:00"


def test_an_offset_sibling_contradicting_the_time_is_refused():
    assert error_types({"at": "2023-06-01T09:30:00+09:00", "at_offset": "+08:00"}) == [
        (("at",), "offset_conflict")]


def test_an_offset_sibling_without_its_time_is_refused():
    assert error_types({"at": "2023-06-01T09:30:00Z", "until_offset": "+08:00"}) == [
        (("until",), "offset_without_time")]


@pytest.mark.parametrize("offset", ["+8:00", "+24:00", "08:00", "+08:60", 8, None])
def test_a_malformed_offset_sibling_is_refused(offset):
    assert error_types({"at": "2023-06-01T01:30:00Z", "at_offset": offset}) == [
        (("at",), "offset_format")]


def test_offsets_are_written_as_sign_hours_minutes():
    assert format_offset(datetime(2023, 1, 1, tzinfo=BEIJING)) == "+08:00"
    assert format_offset(datetime(2023, 1, 1, tzinfo=UTC)) == "+00:00"
    assert parse_offset("-03:30").utcoffset(None) == timedelta(hours=-3, minutes=-30)


def test_the_schema_documents_the_offset_siblings():
    properties = Observed.model_json_schema()["properties"]

    assert properties["at"]["format"] == "date-time"
    assert {"at_offset", "until_offset"} <= set(properties)
    assert Observed.model_json_schema(mode="serialization") == Observed.model_json_schema()
