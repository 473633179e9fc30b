"""Properties of the contracts, checked on generated inputs (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts.identifiers import USCC_CHARSET, Uscc, is_valid_uscc, uscc_check_character
from contracts.registry import FactType, all_fact_types
from contracts.times import OffsetKeepingModel, Timestamp
from tests.unit.contracts import examples

USCC = TypeAdapter(Uscc)
FACT_TYPES = all_fact_types()
FACT_IDS = [ft.schema_name for ft in FACT_TYPES]


class Observed(OffsetKeepingModel):
    at: Timestamp


# --- strategies -------------------------------------------------------------------------------

charset = st.sampled_from(USCC_CHARSET)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    """A unified social credit code with a correct check character."""
    head = "".join(draw(st.lists(charset, min_size=2, max_size=2)))
    division = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    body = "".join(draw(st.lists(charset, min_size=9, max_size=9)))
    first17 = head + division + body
    return first17 + uscc_check_character(first17)


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))
local_times = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9000, 12, 31))

json_scalars = (st.none() | st.booleans() | st.integers() | st.text(max_size=30)
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
# strings that look like the values the fields expect, so that validation gets deep
plausible = (json_values | st.sampled_from([
    "2023-06-01T09:30:00+08:00", "2023-06-01T09:30:00", "+08:00", "-00:00", "北郊乡",
    "township:北郊乡", "market-regulation", "92410202MA46P2LQ8M", "qualified", "unqualified",
    "conforming", "basically_conforming", "nonconforming", "complaint", "12315", "", "1e999",
    "NaN", "seller", "no_mask", "uscc", "food_license", "JY24102020012347",
]))


def field_names(model: type[BaseModel]) -> list[str]:
    names = list(model.model_fields)
    return names + [f"{n}_offset" for n in names]


@st.composite
def fact_like(draw: st.DrawFn, fact_type: FactType) -> Any:
    """Arbitrary JSON, or objects keyed like the fact, or a valid example with a field broken."""
    keys = field_names(fact_type.model)
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(json_values)
    if choice == 1 or fact_type.type not in examples.example_types():
        return draw(st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), plausible,
                                    max_size=len(keys) + 2))
    data = examples.example(fact_type.type)
    for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3)):
        data[key] = draw(plausible)
    return data


# --- unified social credit codes --------------------------------------------------------------

@given(usccs())
def test_a_code_with_its_computed_check_character_is_accepted(code):
    assert is_valid_uscc(code)
    assert USCC.validate_python(code) == code
    assert USCC.validate_python(code.lower()) == code


@given(usccs(), st.integers(min_value=0, max_value=17), st.characters(codec="utf-8"))
def test_any_single_character_change_is_rejected(code, position, replacement):
    if replacement.upper() == code[position] or not replacement.strip():
        return  # not a change once normalised (case, surrounding blanks)
    changed = code[:position] + replacement + code[position + 1:]
    assert not is_valid_uscc(changed)
    with pytest.raises(ValidationError):
        USCC.validate_python(changed)


@given(usccs(), st.integers(min_value=0, max_value=16))
def test_swapping_two_different_neighbours_is_rejected(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    assert not is_valid_uscc(code[:position] + b + a + code[position + 2:])


# --- times ------------------------------------------------------------------------------------

@given(local_times, st.sampled_from(["T", "t", " "]), st.sampled_from(["seconds", "microseconds"]))
def test_times_without_offsets_are_always_rejected(moment, separator, timespec):
    with pytest.raises(ValidationError):
        Observed.model_validate({"at": moment.isoformat(sep=separator, timespec=timespec)})


@given(local_times, offsets)
@example(datetime(2023, 6, 1, 0, 30), timezone(timedelta(hours=8)))
def test_times_with_offsets_keep_instant_and_offset_through_canonical_json(moment, zone):
    text = moment.replace(tzinfo=zone).isoformat()

    observed = Observed.model_validate({"at": text})
    canonical = json.loads(observed.model_dump_json())
    again = Observed.model_validate(canonical)

    assert observed.at == moment.replace(tzinfo=zone)
    assert canonical["at"].endswith("Z")
    assert again.at.utcoffset() == zone.utcoffset(None)
    assert again.at.date() == moment.date()  # the local date survives


@given(st.datetimes(timezones=st.just(UTC)) | local_times)
def test_python_datetimes_need_an_offset_too(moment):
    if moment.tzinfo is None:
        with pytest.raises(ValidationError):
            Observed(at=moment)
    else:
        assert Observed(at=moment).at == moment


# --- every registered model on arbitrary input ------------------------------------------------

@pytest.mark.parametrize("fact_type", FACT_TYPES, ids=FACT_IDS)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validation_never_raises_anything_but_a_validation_error(fact_type, data):
    candidate = data.draw(fact_like(fact_type))
    try:
        fact = fact_type.model.model_validate(candidate)
    except ValidationError:
        return
    # whatever is accepted has a canonical JSON form that validates to the same fact
    canonical = json.loads(fact.model_dump_json())
    assert fact_type.model.model_validate(canonical) == fact
    assert isinstance(fact_type.key(fact), str)
