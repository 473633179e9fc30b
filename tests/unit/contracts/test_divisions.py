"""The divisions and units of Longting are configuration that validation reads."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts.divisions import (
    DivisionKind,
    canonical_township,
    default_divisions,
    load_divisions,
)
from contracts.facts.entity import EntityRegistered
from contracts.facts.summary import SummarySubmitted
from contracts.units import all_unit_ids, canonical_unit
from tests.unit.contracts.examples import example


def test_longting_has_six_subdistricts_and_three_townships():
    divisions = default_divisions()

    assert len(divisions.of_kind(DivisionKind.SUBDISTRICT)) == 6
    assert [d.name for d in divisions.of_kind(DivisionKind.TOWNSHIP)] == [
        "北郊乡", "柳园口乡", "水稻乡"]
    assert divisions.district.code == "410202"
    assert divisions.find("北郊乡").code == "410202201"  # type: ignore[union-attr]


def test_every_division_is_a_township_unit_of_the_plan():
    ids = all_unit_ids()

    assert "market-regulation" in ids
    assert "district-food-safety-office" in ids
    assert {f"township:{name}" for name in default_divisions().names()} <= set(ids)
    assert len(ids) == 15 + 9


def test_an_unknown_name_is_refused_with_the_accepted_names():
    with pytest.raises(ValueError, match="北郊乡"):
        canonical_township("朱仙镇")


def test_a_department_id_must_be_exact():
    assert canonical_unit(" health ") == "health"
    with pytest.raises(ValueError, match="not a unit"):
        canonical_unit("Health")


@pytest.fixture
def other_district(tmp_path):
    path = tmp_path / "divisions.json"
    path.write_text(json.dumps({
        "district": {"name": "顺河回族区", "code": "410203"},
        "divisions": [{"name": "东郊乡", "kind": "township", "aliases": ["东郊"]}],
    }, ensure_ascii=False), encoding="utf-8")
    return path


def test_divisions_load_from_another_file(other_district):
    divisions = load_divisions(other_district)

    assert divisions.names() == ("东郊乡",)
    assert canonical_township("东郊", divisions) == "东郊乡"


def test_a_validation_run_may_use_other_divisions(other_district):
    context = {"divisions": load_divisions(other_district)}
    data = example("foodsafety.entity.registered", township="东郊")

    assert EntityRegistered.model_validate(data, context=context).township == "东郊乡"
    with pytest.raises(ValidationError):
        EntityRegistered.model_validate(example("foodsafety.entity.registered"),
                                        context=context)
    summary = example("foodsafety.summary.submitted", unit="township:东郊乡")
    assert SummarySubmitted.model_validate(summary, context=context).unit == "township:东郊乡"


def test_an_ambiguous_divisions_file_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({
        "district": {"name": "某区", "code": "410299"},
        "divisions": [{"name": "甲乡", "kind": "township", "aliases": ["乙乡"]},
                      {"name": "乙乡", "kind": "township"}],
    }, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(ValidationError, match="names both"):
        load_divisions(path)
