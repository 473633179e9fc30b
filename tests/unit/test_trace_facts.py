"""Trace and certificate facts: realistic examples pass; each rule is refused at its field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import topics
from contracts.facts import certificate, trace
from contracts.registry import all_fact_types

LOT_URN = "urn:epc:class:lgtin:6901234.056789.LT2306"
LOT = "https://id.gs1.org/01/06901234567892/10/LT2306"
MARKET = "91410202MA9F7D2W1T"
FARM = "93410202MA45X1Y2ZB"

EXAMPLES: dict[str, dict[str, Any]] = {
    trace.SHIPPED: {
        "event_ref": "urn:uuid:0c1a5b52-7a43-4d2b-9d8e-1f3a6b2c9e01",
        "lot_code": LOT_URN, "product": "韭菜", "quantity": "120.5", "unit": "kg",
        "from_entity": FARM, "to_entity": MARKET, "at": "2023-06-12T05:30:00+08:00",
        "certificate_no": "HGZ-410202-20230612-0031", "reference_document": "DN-0612-17",
        "reference_document_type": "desadv",
    },
    trace.RECEIVED: {
        "lot_code": "LT-20230612-001", "product": "韭菜", "quantity": 120, "unit": "KGM",
        "from_entity": FARM, "to_entity": MARKET, "at": "2023-06-12T07:10:00+08:00",
    },
    trace.TRANSFORMED: {
        "entity_id": "92410202MA46P2LQ8M", "at": "2023-06-13T10:00:00+08:00",
        "inputs": [{"lot_code": LOT, "quantity": 20, "unit": "KGM"}],
        "outputs": [{"lot_code": "LT-20230613-JZ01", "product": "韭菜盒子", "quantity": 400,
                     "unit": "个"}],
    },
    trace.PACKED: {
        "container_id": "urn:epc:id:sscc:0614141.1234567890",
        "contents": [{"lot_code": LOT, "quantity": 100, "unit": "KGM"},
                     {"lot_code": "urn:epc:id:sgtin:0614141.107346.2017"}],
        "entity_id": FARM, "at": "2023-06-12T05:00:00+08:00",
    },
    trace.UNPACKED: {
        "container_id": "https://id.gs1.org/00/106141412345678908", "contents": [],
        "entity_id": MARKET, "at": "2023-06-12T07:20:00+08:00",
    },
    trace.COMMISSIONED: {
        "lot_code": LOT, "product": "韭菜", "quantity": 500, "unit": "KGM", "entity_id": FARM,
        "at": "2023-06-11T18:00:00+08:00", "step": "commissioning",
        "lot_master_data": {"lot_number": "LT2306", "harvest_date": "2023-06-11",
                            "origin": "开封市龙亭区北郊乡", "country_of_origin": "CN"},
    },
    trace.CORRECTED: {
        "corrected_event_refs": ["urn:uuid:0c1a5b52-7a43-4d2b-9d8e-1f3a6b2c9e01"],
        "reason": "incorrect_data", "declared_at": "2023-06-12T09:00:00+08:00",
        "corrective_event_refs": ["urn:uuid:5e0f-corrective"],
    },
    certificate.TYPE: {
        "certificate_no": "HGZ-410202-20230612-0031", "lot_code": LOT_URN, "product": "韭菜",
        "quantity": 120.5, "unit": "公斤", "producer": "开封市龙亭区北郊乡绿源蔬菜专业合作社",
        "producer_id": FARM, "origin": "河南省开封市龙亭区北郊乡",
        "issued_at": "2023-06-12T05:00:00+08:00", "basis": "self_test",
        "issuer_type": "cooperative", "promises": ["不使用禁用农药兽药", "农药兽药残留不超标"],
    },
}

MODELS = {ft.type: ft for ft in (*trace.FACT_TYPES, *certificate.FACT_TYPES)}


def example(fact_type: str, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLES[fact_type])
    data.update(changes)
    return data


def validate(fact_type: str, data: dict[str, Any]) -> Any:
    return MODELS[fact_type].model.model_validate(data)


def refused_fields(fact_type: str, data: dict[str, Any]) -> set[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as caught:
        validate(fact_type, data)
    return {tuple(error["loc"]) for error in caught.value.errors()}


def test_every_trace_fact_type_is_registered_on_the_trace_topic_at_version_1():
    registered = {ft.type: ft for ft in all_fact_types()}
    for name in EXAMPLES:
        assert registered[name].topic == topics.TRACE
        assert registered[name].version == 1


@pytest.mark.parametrize("fact_type", EXAMPLES)
def test_a_realistic_example_is_accepted_and_survives_its_canonical_json(fact_type):
    fact = validate(fact_type, example(fact_type))
    canonical = json.loads(fact.model_dump_json())
    assert validate(fact_type, canonical) == fact


@pytest.mark.parametrize(("fact_type", "key"), [
    (trace.SHIPPED, LOT), (trace.RECEIVED, "LT-20230612-001"),
    (trace.TRANSFORMED, "LT-20230613-JZ01"),
    (trace.PACKED, "https://id.gs1.org/00/106141412345678908"),
    (trace.UNPACKED, "https://id.gs1.org/00/106141412345678908"),
    (trace.COMMISSIONED, LOT), (trace.CORRECTED, "urn:uuid:0c1a5b52-7a43-4d2b-9d8e-1f3a6b2c9e01"),
    (certificate.TYPE, LOT),
])
def test_the_kafka_key_is_the_lot_the_container_or_the_corrected_event(fact_type, key):
    assert MODELS[fact_type].key(validate(fact_type, example(fact_type))) == key


def test_the_key_of_a_transformation_without_outputs_is_its_first_input():
    fact = validate(trace.TRANSFORMED, example(trace.TRANSFORMED, outputs=[]))
    assert MODELS[trace.TRANSFORMED].key(fact) == LOT


def test_lot_codes_and_units_are_normalised():
    fact = validate(trace.SHIPPED, example(trace.SHIPPED))
    assert fact.lot_code == LOT
    assert fact.unit == "KGM"
    assert fact.quantity == Decimal("120.5")
    made = validate(trace.TRANSFORMED, example(trace.TRANSFORMED))
    assert made.outputs[0].unit == "H87"


def test_times_keep_their_offset_and_travel_in_utc():
    fact = validate(trace.SHIPPED, example(trace.SHIPPED))
    canonical = json.loads(fact.model_dump_json())
    assert canonical["at"] == "2023-06-11T21:30:00Z"
    assert canonical["at_offset"] == "+08:00"
    assert fact.at.date().isoformat() == "2023-06-12"


@pytest.mark.parametrize("fact_type", EXAMPLES)
def test_a_time_without_an_offset_is_refused(fact_type):
    field = {trace.CORRECTED: "declared_at", certificate.TYPE: "issued_at"}.get(fact_type, "at")
    assert refused_fields(fact_type, example(fact_type, **{field: "2023-06-12T05:30:00"})) == {
        (field,)}


@pytest.mark.parametrize(("fact_type", "changes", "field"), [
    (trace.SHIPPED, {"quantity": 0}, ("quantity",)),
    (trace.SHIPPED, {"quantity": "-3"}, ("quantity",)),
    (trace.SHIPPED, {"unit": "斤"}, ("unit",)),
    (trace.SHIPPED, {"unit": "bushel"}, ("unit",)),
    (trace.SHIPPED, {"lot_code": "  "}, ("lot_code",)),
    (trace.SHIPPED, {"product": ""}, ("product",)),
    (trace.RECEIVED, {"quantity": None}, ("quantity",)),
    (trace.TRANSFORMED, {"entity_id": ""}, ("entity_id",)),
    (trace.TRANSFORMED, {"inputs": [{"lot_code": LOT, "unit": "KGM"}]}, ("inputs", 0,
                                                                          "quantity")),
    (trace.PACKED, {"contents": [{"lot_code": LOT, "quantity": -1, "unit": "KGM"}]},
     ("contents", 0, "quantity")),
    (trace.CORRECTED, {"corrected_event_refs": []}, ("corrected_event_refs",)),
    (certificate.TYPE, {"basis": "inspection_quarantine"}, ("basis",)),
    (certificate.TYPE, {"certificate_no": ""}, ("certificate_no",)),
    (certificate.TYPE, {"origin": None}, ("origin",)),
])
def test_an_invalid_fact_is_refused_at_the_field(fact_type, changes, field):
    assert field in refused_fields(fact_type, example(fact_type, **changes))


@pytest.mark.parametrize(("fact_type", "changes", "message"), [
    (trace.SHIPPED, {"from_entity": None}, "shipper"),
    (trace.RECEIVED, {"to_entity": None}, "recipient"),
    (trace.TRANSFORMED, {"inputs": [], "outputs": []}, "at least one"),
    (trace.PACKED, {"contents": []}, "what was packed"),
    (trace.COMMISSIONED, {"unit": None}, "together"),
])
def test_a_fact_without_its_essential_party_or_lots_is_refused(fact_type, changes, message):
    with pytest.raises(ValidationError, match=message):
        validate(fact_type, example(fact_type, **changes))


def test_a_shipment_need_not_name_its_recipient_nor_a_receipt_its_source():
    validate(trace.SHIPPED, example(trace.SHIPPED, to_entity=None))
    validate(trace.RECEIVED, example(trace.RECEIVED, from_entity=None))


def test_unpacking_without_contents_means_everything_inside():
    assert validate(trace.UNPACKED, example(trace.UNPACKED)).contents == []


def test_facts_are_immutable():
    fact = validate(trace.SHIPPED, example(trace.SHIPPED))
    with pytest.raises(ValidationError):
        fact.quantity = Decimal(1)


@pytest.mark.parametrize("basis", [b.value for b in certificate.CertificateBasis])
def test_every_certificate_basis_of_the_template_is_accepted(basis):
    assert validate(certificate.TYPE, example(certificate.TYPE, basis=basis)).basis == basis


def test_every_field_is_described():
    models = [ft.model for ft in MODELS.values()] + [
        trace.LotMasterData, trace.TransformInput, trace.TransformOutput, trace.PackedContent]
    for model in models:
        assert model.__doc__, model
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
