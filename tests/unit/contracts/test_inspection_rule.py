"""The inspection result rule is data chosen by the inspection date, with its source."""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple

import pytest
from pydantic import ValidationError

from contracts.facts.inspection import InspectionRecorded
from contracts.rules import Confidence
from contracts.rules.inspection_result import (
    InspectionResult,
    default_inspection_result_rules,
    load_inspection_result_rules,
)
from tests.unit.contracts.examples import example


class Item(NamedTuple):
    key: bool
    conforming: bool


def general_failures(n: int) -> list[Item]:
    return [Item(key=True, conforming=True)] + [Item(key=False, conforming=False)] * n


def test_the_shipped_threshold_is_eight_from_a_secondary_source():
    rule_set = default_inspection_result_rules().in_force(date(2023, 4, 12))

    assert rule_set.general_nonconforming_max_for_basically_conforming == 8
    assert rule_set.confidence is Confidence.SECONDARY
    assert "2016" in rule_set.source


@pytest.mark.parametrize(("failures", "result"), [
    (0, InspectionResult.CONFORMING),
    (8, InspectionResult.BASICALLY_CONFORMING),
    (9, InspectionResult.NONCONFORMING),
])
def test_the_rule_classifies_by_failed_general_items(failures, result):
    rules = default_inspection_result_rules()
    assert rules.classify(general_failures(failures), date(2023, 1, 1)) is result


def test_a_key_failure_outweighs_everything_else():
    items = [Item(key=True, conforming=False)]
    assert default_inspection_result_rules().classify(items, date(2023, 1, 1)) is \
        InspectionResult.NONCONFORMING


def test_no_rule_is_in_force_before_the_first_set():
    with pytest.raises(LookupError):
        default_inspection_result_rules().in_force(date(2015, 12, 31))


@pytest.fixture
def stricter_from_2024(tmp_path):
    shipped = json.loads(default_inspection_result_rules().model_dump_json())
    shipped["sets"].append({
        "id": "test-2024", "effective_from": "2024-01-01",
        "general_nonconforming_max_for_basically_conforming": 3,
        "source": "a test rule set", "confidence": "R"})
    path = tmp_path / "inspection_result.v1.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")
    return load_inspection_result_rules(path)


def test_the_rule_set_is_chosen_by_the_local_inspection_date(stricter_from_2024):
    rules = stricter_from_2024
    assert rules.in_force(date(2023, 12, 31)).id == "cfda-2016-58"
    assert rules.in_force(date(2024, 1, 1)).id == "test-2024"
    assert rules.classify(general_failures(5), date(2024, 6, 1)) is \
        InspectionResult.NONCONFORMING


def test_an_inspection_is_judged_by_the_rules_in_the_validation_context(stricter_from_2024):
    items = [{"code": f"2.{n}", "key": False, "conforming": n >= 5} for n in range(10)]
    # 2024-01-01 00:30 in Beijing is still 2023 in UTC: the local date decides
    data = example("foodsafety.inspection.recorded", items=items, result="basically_conforming",
                   inspected_at="2024-01-01T00:30:00+08:00",
                   rectify_by="2024-01-15T17:00:00+08:00")

    assert InspectionRecorded.model_validate(data).result == "basically_conforming"
    with pytest.raises(ValidationError, match="test-2024"):
        InspectionRecorded.model_validate(
            data, context={"inspection_result_rules": stricter_from_2024})


def test_two_sets_on_one_date_are_refused(tmp_path):
    shipped = json.loads(default_inspection_result_rules().model_dump_json())
    shipped["sets"].append({**shipped["sets"][0], "id": "duplicate"})
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")

    with pytest.raises(ValidationError, match="same date"):
        load_inspection_result_rules(path)
