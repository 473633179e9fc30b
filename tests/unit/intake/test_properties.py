"""No input crashes intake: whatever the bytes, each message gets one receipt and a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import topics
from services.intake.application import Intake
from tests.factories import sampling_fact
from tests.unit.intake.helpers import at, make_intake

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children,
                                                                      max_size=4),
    max_leaves=20,
)
FIELDS = ["specversion", "id", "source", "type", "time", "data", "datacontenttype"]


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Intake:
    return make_intake(Path(tmp_path_factory.mktemp("intake")))


def answered_once(intake: Intake, raws: list[bytes]) -> None:
    answers = intake.answer([at(i, raw) for i, raw in enumerate(raws)])
    assert len(answers) == len(raws)
    for answer in answers:
        receipts = [p for p in answer.publications if p.topic == topics.RECEIPTS]
        assert len(receipts) == 1
        if answer.receipt.status.value == "rejected":
            assert answer.receipt.reasons
            assert all(r.code and r.message for r in answer.receipt.reasons)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_random_bytes_are_answered(intake: Intake, raws: list[bytes]):
    answered_once(intake, raws)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(json_values, min_size=1, max_size=5))
def test_random_json_is_answered(intake: Intake, documents: list[Any]):
    answered_once(intake, [json.dumps(d).encode() for d in documents])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=json_values, drop=st.booleans(),
       data_field=st.sampled_from(list(sampling_fact("X")["data"])), data_value=json_values)
def test_a_valid_envelope_with_one_field_broken_is_answered(
        intake: Intake, field: str, value: Any, drop: bool, data_field: str, data_value: Any):
    fact = sampling_fact("P1")
    if drop:
        fact.pop(field)
    else:
        fact[field] = value
    if isinstance(fact.get("data"), dict):
        fact["data"][data_field] = data_value
    answered_once(intake, [json.dumps(fact).encode()])
