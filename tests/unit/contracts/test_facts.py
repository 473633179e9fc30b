"""The supervision facts: valid examples pass, each broken rule is refused at its field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from contracts import topics
from contracts.facts import complaint, entity, inspection, kitchen, sampling, summary
from contracts.registry import all_fact_types, by_type
from tests.unit.contracts.examples import CATERING_USCC, DROP, example, example_types

ENTITY = "foodsafety.entity.registered"
INSPECTION = "foodsafety.inspection.recorded"
SAMPLING = "foodsafety.sampling.reported"
COMPLAINT = "foodsafety.complaint.received"
SUMMARY = "foodsafety.summary.submitted"
KITCHEN = "foodsafety.kitchen.alerted"


def validate(fact_type: str, data: dict[str, Any]) -> Any:
    return by_type()[fact_type].model.model_validate(data)


def refused_at(fact_type: str, data: dict[str, Any]) -> set[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as caught:
        validate(fact_type, data)
    return {tuple(error["loc"]) for error in caught.value.errors()}


def general_items(failing: int, *, key_fails: bool = False) -> list[dict[str, Any]]:
    items = [{"code": f"2.{n}", "key": False, "conforming": n >= failing} for n in range(12)]
    return [{"code": "1.1", "key": True, "conforming": not key_fails}, *items]


# --- every fact type --------------------------------------------------------------------------

def test_my_fact_types_are_registered_on_supervision():
    registered = {ft.type: ft for ft in all_fact_types()}
    for module in (entity, inspection, sampling, complaint, summary, kitchen):
        assert registered[module.TYPE].topic == topics.SUPERVISION
        assert registered[module.TYPE].version == 1


@pytest.mark.parametrize("fact_type", example_types())
def test_a_realistic_example_is_accepted(fact_type):
    assert validate(fact_type, example(fact_type)) is not None


@pytest.mark.parametrize("fact_type", example_types())
def test_the_canonical_form_validates_to_the_same_fact(fact_type):
    fact = validate(fact_type, example(fact_type))

    canonical = fact.model_dump(mode="json")

    assert validate(fact_type, canonical) == fact
    assert validate(fact_type, canonical).model_dump(mode="json") == canonical


@pytest.mark.parametrize("fact_type", example_types())
def test_unknown_optional_fields_are_kept(fact_type):
    fact = validate(fact_type, example(fact_type, x_source_system="龙亭智慧监管平台"))

    assert fact.model_extra == {"x_source_system": "龙亭智慧监管平台"}
    assert fact.model_dump(mode="json")["x_source_system"] == "龙亭智慧监管平台"


@pytest.mark.parametrize("fact_type", example_types())
def test_facts_are_immutable(fact_type):
    fact = validate(fact_type, example(fact_type))
    with pytest.raises(ValidationError):
        fact.entity_id = "other"  # frozen, whatever the field


@pytest.mark.parametrize(("fact_type", "key"), [
    (ENTITY, "92410202MA46P2LQ8M"),
    (INSPECTION, CATERING_USCC),
    (SAMPLING, "91410202MA9F7D2W1T"),
    (COMPLAINT, CATERING_USCC),
    (SUMMARY, "9"),
    (KITCHEN, "92410202MA47C8RT5K"),
])
def test_the_kafka_key_is_the_entity_or_the_action(fact_type, key):
    fact_type_ = by_type()[fact_type]
    assert fact_type_.key(fact_type_.model.model_validate(example(fact_type))) == key


@pytest.mark.parametrize(("fact_type", "time_field"), [
    (ENTITY, "registered_at"), (INSPECTION, "inspected_at"), (SAMPLING, "sampled_at"),
    (COMPLAINT, "received_at"), (SUMMARY, "submitted_at"), (KITCHEN, "observed_at"),
])
def test_a_time_without_offset_is_refused_in_every_fact(fact_type, time_field):
    data = example(fact_type, **{time_field: "2023-06-01T09:30:00"})
    assert refused_at(fact_type, data) == {(time_field,)}


# --- entity -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"entity_id": "92410202MA46P2LQ8N"}, "entity_id"),  # wrong check character
    ({"entity_id": "9241020"}, "entity_id"),
    ({"id_scheme": "food_license", "entity_id": "JY2410202"}, "entity_id"),
    ({"id_scheme": "tax_number"}, "id_scheme"),
    ({"name": "  "}, "name"),
    ({"name": DROP}, "name"),
    ({"kind": "restaurant"}, "kind"),
    ({"township": "朱仙镇"}, "township"),  # in Kaifeng, but not in Longting
    ({"risk_grade": "E"}, "risk_grade"),
])
def test_an_invalid_registration_is_refused_at_the_field(changes, field):
    assert refused_at(ENTITY, example(ENTITY, **changes)) == {(field,)}


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("北书店街道办事处", "北书店街道"),
    ("北书店办事处", "北书店街道"),
    ("township:北郊乡", "北郊乡"),
    ("liuyuankou", "柳园口乡"),
    (" 水稻乡 ", "水稻乡"),
])
def test_the_township_is_normalised_to_its_canonical_name(spelling, canonical):
    assert validate(ENTITY, example(ENTITY, township=spelling)).township == canonical


def test_a_business_may_be_registered_under_its_food_licence():
    fact = validate(ENTITY, example(ENTITY, id_scheme="food_license",
                                    entity_id="jy24102020012347", kind="catering"))
    assert fact.entity_id == "JY24102020012347"


def test_risk_grade_and_registration_time_are_optional():
    fact = validate(ENTITY, example(ENTITY, risk_grade=DROP, registered_at=DROP))
    assert fact.risk_grade is None
    assert fact.registered_at is None


# --- inspection -------------------------------------------------------------------------------

@pytest.mark.parametrize(("failing", "result"), [
    (0, "conforming"),
    (1, "basically_conforming"),
    (8, "basically_conforming"),  # the threshold itself
    (9, "nonconforming"),
])
def test_the_result_follows_the_count_of_failed_general_items(failing, result):
    data = example(INSPECTION, items=general_items(failing), result=result, rectify_by=DROP)
    assert validate(INSPECTION, data).result == result


def test_one_failed_key_item_makes_the_inspection_nonconforming():
    data = example(INSPECTION, items=general_items(0, key_fails=True), result="nonconforming")
    assert validate(INSPECTION, data).result == "nonconforming"


@pytest.mark.parametrize(("items", "claimed"), [
    (general_items(0, key_fails=True), "basically_conforming"),
    (general_items(9), "basically_conforming"),
    (general_items(2), "conforming"),
    (general_items(0), "nonconforming"),
])
def test_a_result_disagreeing_with_the_items_is_refused(items, claimed):
    assert refused_at(INSPECTION, example(INSPECTION, items=items, result=claimed)) == {
        ("result",)}


def test_an_inspection_before_any_rule_set_is_refused_at_the_result():
    data = example(INSPECTION, inspected_at="2015-06-01T10:00:00+08:00",
                   rectify_by="2015-06-10T10:00:00+08:00")
    assert refused_at(INSPECTION, data) == {("result",)}


@pytest.mark.parametrize(("changes", "field"), [
    ({"inspectors": ["41020221001"]}, "inspectors"),
    ({"inspectors": ["41020221001", " 41020221001"]}, "inspectors"),
    ({"inspectors": ["41020221001", ""]}, "inspectors"),
    ({"items": []}, "items"),
    ({"rectify_by": "2023-04-12T09:00:00+08:00"}, "rectify_by"),  # before the inspection
    ({"rectify_by": "2023-04-12T02:20:00Z"}, "rectify_by"),  # the same instant
    ({"reinspection_of": "LTJC-2023-0412"}, "reinspection_of"),
    ({"result": "passed"}, "result"),
    ({"inspected_at": DROP}, "inspected_at"),
])
def test_an_invalid_inspection_is_refused_at_the_field(changes, field):
    refused = refused_at(INSPECTION, example(INSPECTION, **changes))
    assert {loc[0] for loc in refused} == {field}


def test_checklist_item_codes_are_distinct():
    items = [{"code": "1.1", "key": True, "conforming": True}] * 2
    assert refused_at(INSPECTION, example(INSPECTION, items=items, result="conforming",
                                          rectify_by=DROP)) == {("items",)}


def test_a_reinspection_names_the_earlier_inspection():
    data = example(INSPECTION, inspection_id="LTJC-2023-0431", reinspection_of="LTJC-2023-0412",
                   items=general_items(0), result="conforming", rectify_by=DROP)
    assert validate(INSPECTION, data).reinspection_of == "LTJC-2023-0412"


# --- sampling ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"reported_at": "2023-05-31T09:30:00+08:00"}, "reported_at"),
    ({"verdict": "qualified"}, "verdict"),  # but an item failed
    ({"items": []}, "items"),
    ({"program": "whatever"}, "program"),
    ({"lot_code": ""}, "lot_code"),
])
def test_an_invalid_sampling_result_is_refused_at_the_field(changes, field):
    assert refused_at(SAMPLING, example(SAMPLING, **changes)) == {(field,)}


def test_a_result_reported_at_the_sampling_instant_is_accepted():
    data = example(SAMPLING, reported_at="2023-06-01T01:30:00Z")
    assert validate(SAMPLING, data).reported_at == validate(SAMPLING, data).sampled_at


def test_a_qualified_verdict_needs_every_item_qualified():
    items = [{"analyte": "铅(以Pb计)", "value": "0.05", "unit": "mg/kg", "limit": "≤0.1",
              "qualified": True}]
    assert validate(SAMPLING, example(SAMPLING, items=items, verdict="qualified")).verdict \
        is sampling.Verdict.QUALIFIED


# --- complaint --------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"respondent": {"name": "夜市烧烤摊"}}, "respondent"),  # no address, no entity id
    ({"respondent": {}}, "respondent"),
    ({"complainant": {"name": "王某", "address": "开封市龙亭区"}}, "complainant"),  # no phone
    ({"complainant": {"name": "王某", "phone": "call me", "address": "开封市"}}, "complainant"),
    ({"kind": "inquiry"}, "kind"),
    ({"channel": "wechat"}, "channel"),
    ({"summary": ""}, "summary"),
])
def test_an_invalid_complaint_is_refused_at_the_field(changes, field):
    refused = refused_at(COMPLAINT, example(COMPLAINT, **changes))
    assert {loc[0] for loc in refused} == {field}


def test_an_anonymous_report_needs_no_personal_data():
    data = example(COMPLAINT, kind="report", channel="hotline_12345",
                   complainant={"real_name": False})
    assert validate(COMPLAINT, data).complainant.name is None


def test_a_real_name_report_needs_name_and_phone():
    data = example(COMPLAINT, kind="report", complainant={"real_name": True, "name": "李某"})
    assert refused_at(COMPLAINT, data) == {("complainant",)}


def test_an_unregistered_respondent_is_named_with_address_and_keyed_by_complaint():
    data = example(COMPLAINT, respondent={"name": "无名早餐摊", "address": "龙亭区宋都御街北口"})
    fact_type = by_type()[COMPLAINT]
    assert fact_type.key(fact_type.model.model_validate(data)) == "1231541020220230618001"


def test_the_complainant_is_marked_as_personal_data():
    schema = complaint.ComplaintReceived.model_json_schema()
    assert schema["$defs"]["Complainant"]["x-personal-data"] is True
    assert complaint.PERSONAL_DATA_FIELDS == ("complainant",)


# --- summary ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"action": 14}, "action"),
    ({"action": 0}, "action"),
    ({"year": 2021}, "year"),
    ({"unit": "tax-bureau"}, "unit"),
    ({"unit": "township:朱仙镇"}, "unit"),
    ({"document_ref": DROP}, "document_ref"),
])
def test_an_invalid_summary_is_refused_at_the_field(changes, field):
    assert refused_at(SUMMARY, example(SUMMARY, **changes)) == {(field,)}


def test_a_township_unit_is_normalised():
    fact = validate(SUMMARY, example(SUMMARY, unit="township:北书店办事处", action=1))
    assert fact.unit == "township:北书店街道"


# --- kitchen ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"alert": "sleeping"}, "alert"),
    ({"observed_at": 1688355730}, "observed_at"),
    ({"entity_id": DROP}, "entity_id"),
])
def test_an_invalid_kitchen_alert_is_refused_at_the_field(changes, field):
    assert refused_at(KITCHEN, example(KITCHEN, **changes)) == {(field,)}


def test_camera_and_snapshot_are_optional():
    fact = validate(KITCHEN, example(KITCHEN, camera_id=DROP, snapshot_ref=DROP))
    assert fact.camera_id is None


def test_a_part_of_a_fact_that_declares_a_time_is_refused_at_definition():
    from contracts.facts.base import FactPart  # noqa: PLC0415
    from contracts.times import Timestamp  # noqa: PLC0415

    with pytest.raises(TypeError, match="derive it from FactModel"):
        type("TimedPart", (FactPart,), {"__annotations__": {"at": Timestamp}})
