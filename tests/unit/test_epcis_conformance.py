"""EPCIS 2.0 conformance: every example document of GS1 and of the GDST test set is mapped to
the number of trace facts counted by hand, and every broken rule is refused at its JSON path.

The documents are read from ``../shared/data`` (never copied into the project). They are test
fixtures of this suite: when the directory is missing the tests fail, they do not skip.

How the expected counts were made: each document was read event by event and every event put in
one class of the mapping table of ``services.intake.epcis.mapping`` (an event with an
``errorDeclaration`` is one ``corrected``; a shipping / receiving ObjectEvent one fact per EPC
and quantity element; a commissioning ObjectEvent ADD likewise; a TransformationEvent one fact;
an AggregationEvent ADD / DELETE one fact; the rest not mapped).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from contracts.facts import trace
from contracts.registry import by_type
from services.intake.epcis import map_document

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
GS1 = DATA / "epcis-gs1"
GDST = DATA / "epcis-gdst"
SOURCE = "urn:fangxin:test:epcis"

S, R, T = trace.SHIPPED, trace.RECEIVED, trace.TRANSFORMED
P, U, C, X = trace.PACKED, trace.UNPACKED, trace.COMMISSIONED, trace.CORRECTED

# file -> ({fact type: count}, events not mapped)
EXPECTED: dict[str, tuple[dict[str, int], int]] = {
    # 8 AssociationEvents: not mapped; -g carries an error declaration
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-a.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-b.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-c.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-d.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-e.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-f.jsonld": ({}, 1),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-g.jsonld": ({X: 1}, 0),
    "epcis-gs1/JSON/AssociationEvent/AssociationEvent-h.jsonld": ({}, 1),
    # shipping of 2 SGTINs, receiving of 1
    "epcis-gs1/JSON/EPCISQueryDocument.jsonld": ({S: 2, R: 1}, 0),
    "epcis-gs1/JSON/Example-TransactionEvents-2020_07_03y.jsonld": ({}, 2),
    "epcis-gs1/JSON/Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld": ({}, 1),
    "epcis-gs1/JSON/Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld": ({S: 2, R: 1}, 0),
    "epcis-gs1/JSON/Example_9.6.1-ObjectEvent.jsonld": ({S: 2, R: 1}, 0),
    "epcis-gs1/JSON/Example_9.6.1-with-comment.jsonld": ({S: 2, R: 1}, 0),
    "epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld": ({R: 1}, 0),
    "epcis-gs1/JSON/Example_9.6.3-AggregationEvent.jsonld": ({}, 1),  # OBSERVE
    "epcis-gs1/JSON/Example_9.6.4-TransformationEvent.jsonld": ({T: 1}, 0),
    # receiving of 10 SGTINs; inspecting not mapped
    "epcis-gs1/JSON/PersistentDisposition-example.jsonld": ({R: 10}, 1),
    "epcis-gs1/JSON/WithDigitalLinkID/Example_9.6.1-ObjectEventWithDigitalLink.jsonld": (
        {S: 2, R: 1}, 0),
    "epcis-gs1/JSON/WithDigitalLinkID/Example_9.6.2-ObjectEventWithDigitalLink.jsonld": (
        {R: 1}, 0),
    "epcis-gs1/JSON/WithDigitalLinkID/Example_9.6.3-AggregationEventWithDigitalLink.jsonld": (
        {}, 1),
    "epcis-gs1/JSON/WithDigitalLinkID/Example_9.6.4-TransformationEventWithDigitalLink.jsonld": (
        {T: 1}, 0),
    "epcis-gs1/JSON/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld": (
        {X: 1, T: 1}, 0),
    "epcis-gs1/JSON/WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration"
    ".jsonld": ({X: 1, R: 1}, 0),
    # each "all possible fields" event carries an error declaration
    "epcis-gs1/JSON/WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld": (
        {X: 1}, 0),
    "epcis-gs1/JSON/WithFullCombinationOfFields/association_event_all_possible_fields.jsonld": (
        {X: 1}, 0),
    "epcis-gs1/JSON/WithFullCombinationOfFields/object_event_all_possible_fields.jsonld": (
        {X: 1}, 0),
    "epcis-gs1/JSON/WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld": (
        {X: 1}, 0),
    "epcis-gs1/JSON/WithFullCombinationOfFields/transformation_event_all_possible_fields"
    ".jsonld": ({X: 1}, 0),
    # sensor data: inspecting / sensor_reporting observations; 12 is declared in error,
    # 8 packs a lot on an SSCC, 11 is a TransactionEvent
    "epcis-gs1/JSON/WithSensorData/SensorDataExample1.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample1b.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample2.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample3.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample4.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample5.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample6.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample7.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample8.jsonld": ({P: 1}, 0),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample9.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample10.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample11.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample12.jsonld": ({X: 1}, 0),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample13.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample14.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample15.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample16.jsonld": ({}, 1),
    "epcis-gs1/JSON/WithSensorData/SensorDataExample17.jsonld": ({}, 1),
    # GDST: a processing transformation and two packings on one SSCC
    "epcis-gdst/EPCISQueryDocument.GDST.jsonld": ({T: 1, P: 2}, 0),
    "epcis-gdst/EPCISQueryDocument_with_masterdata.jsonld": ({C: 1}, 0),
    # 2 x (ship, receive, transform), storing + 2 landings not mapped, 2 fishing events
    "epcis-gdst/epcisdocument-example01.jsonld": ({S: 2, R: 2, T: 2, C: 2}, 3),
    "epcis-gdst/farm_harvest_event_object.jsonld": ({C: 1}, 0),
    # hatching, fishing, feed commissioning; 2 ships, 3 receipts, 3 transformations,
    # 2 packings, 2 unpackings; transshipment and landing not mapped
    "epcis-gdst/gdst_data_withmasterdata.jsonld": ({C: 3, S: 2, R: 3, T: 3, P: 2, U: 2}, 2),
    "epcis-gdst/traceback_tests.jsonld": ({C: 3, S: 4, R: 5, T: 3, P: 2, U: 2}, 2),
}

# each breaks one GDST rule: (facts without the profile, {(code, path)} with it)
EL = "$.epcisBody.eventList[0]"
GDST_INVALID: dict[str, tuple[dict[str, int], set[tuple[str, str]]]] = {
    "gdst_certification_invalid_type.jsonld": ({C: 1}, {
        ("gdst.invalid", f"{EL}.ilmd['cbvmda:certificationList'].certification[0]"
                         "['gdst:certificationType']")}),
    "gdst_event_missing_information_provider.jsonld": ({C: 1}, {
        ("gdst.required", f"{EL}['cbvmda:informationProvider']")}),
    "gdst_farm_harvest_event_invalid.jsonld": ({T: 1}, {
        ("gdst.required", f"{EL}['gdst:humanWelfarePolicy']"),
        ("gdst.required", f"{EL}.ilmd['gdst:aquacultureMethod']"),
        ("gdst.invalid", f"{EL}.ilmd['cbvmda:productionMethodForFishAndSeafoodCode']")}),
    "gdst_feedmill_missing_protein_source.jsonld": ({C: 1}, {
        ("gdst.required", f"{EL}.ilmd['gdst:proteinSource']")}),
    "gdst_fishing_event_invalid.jsonld": ({C: 1}, {
        ("gdst.invalid", f"{EL}.ilmd['cbvmda:productionMethodForFishAndSeafoodCode']"),
        ("gdst.required", f"{EL}.ilmd['cbvmda:vesselCatchInformationList']")}),
    "gdst_hatching_missing_broodstock.jsonld": ({C: 1}, {
        ("gdst.required", f"{EL}['gdst:humanWelfarePolicy']"),
        ("gdst.required", f"{EL}['gdst:productOwner']"),
        ("gdst.required", f"{EL}['cbvmda:informationProvider']"),
        ("gdst.required", f"{EL}.ilmd['gdst:broodstockSource']")}),
    "gdst_processing_missing_lot_number.jsonld": ({T: 1}, {
        ("gdst.required", f"{EL}.ilmd['cbvmda:lotNumber']")}),
    "gdst_vessel_invalid_imo.jsonld": ({C: 1}, {
        ("gdst.invalid", f"{EL}.ilmd['cbvmda:vesselCatchInformationList']"
                         "['cbvmda:vesselCatchInformation'][0]['gdst:imoNumber']")}),
}


def read(relative: str) -> bytes:
    return (DATA / relative).read_bytes()


def load(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(read(relative).decode("utf-8-sig"))
    return loaded


def mapped(document: dict[str, Any] | bytes, *profiles: str, document_id: str = "doc-1") -> Any:
    return map_document(document, source=SOURCE, document_id=document_id,
                        profiles=frozenset(profiles))


def test_the_shared_example_documents_are_there():
    assert DATA.is_dir(), f"the EPCIS example documents are missing: {DATA}"
    assert (GS1 / "JSON").is_dir()
    assert (GDST / "invalid").is_dir()


def test_the_table_covers_every_valid_example_document():
    found = {p.relative_to(DATA).as_posix() for p in (GS1 / "JSON").rglob("*.json*")}
    found |= {p.relative_to(DATA).as_posix() for p in GDST.glob("*.jsonld")}
    assert found == set(EXPECTED)
    assert {p.name for p in (GDST / "invalid").glob("*.jsonld")} == set(GDST_INVALID)


@pytest.mark.parametrize("relative", EXPECTED)
def test_every_valid_document_is_accepted_with_the_counted_facts(relative):
    counts, unmapped = EXPECTED[relative]
    mapping = mapped(read(relative))
    assert mapping.reasons == []
    assert mapping.counts() == counts
    assert mapping.unmapped == unmapped
    assert len(mapping.facts) == sum(counts.values())
    assert len({fact.id for fact in mapping.facts}) == len(mapping.facts)
    registered = by_type()
    for fact in mapping.facts:
        assert fact.source == SOURCE
        assert fact.id.startswith("doc-1:")
        fact_type = registered[fact.type]
        model = fact_type.model.model_validate(fact.data)
        assert fact.subject == fact_type.key(model)


@pytest.mark.parametrize("relative", EXPECTED)
def test_mapping_is_stable(relative):
    first, again = mapped(read(relative)), mapped(load(relative))
    assert [f.model_dump() for f in first.facts] == [f.model_dump() for f in again.facts]


@pytest.mark.parametrize("name", GDST_INVALID)
def test_a_gdst_violation_is_accepted_without_the_profile(name):
    mapping = mapped(read(f"epcis-gdst/invalid/{name}"))
    assert mapping.reasons == []
    assert mapping.counts() == GDST_INVALID[name][0]


@pytest.mark.parametrize("name", GDST_INVALID)
def test_a_gdst_violation_is_refused_with_the_profile_naming_the_rule(name):
    mapping = mapped(read(f"epcis-gdst/invalid/{name}"), "gdst")
    assert mapping.facts == []
    assert {(r.code, r.path) for r in mapping.reasons} == GDST_INVALID[name][1]
    for reason in mapping.reasons:
        assert reason.message.startswith("GDST ")
        member = reason.path.rsplit("[", 1)[-1].strip("[]'")
        assert member in reason.message


def test_the_gdst_reference_document_passes_the_profile():
    mapping = mapped(read("epcis-gdst/gdst_data_withmasterdata.jsonld"), "gdst")
    assert mapping.reasons == []
    assert len(mapping.facts) == 15


@pytest.mark.parametrize(("relative", "first"), [
    # the GDST schema treats every commissioning ObjectEvent / TransformationEvent as a feed
    # mill event too, so processing without gdst:proteinSource is refused
    ("epcis-gdst/EPCISQueryDocument.GDST.jsonld", "gdst:proteinSource"),
    ("epcis-gdst/EPCISQueryDocument_with_masterdata.jsonld", "cbvmda:lotNumber"),
    ("epcis-gdst/epcisdocument-example01.jsonld", "gdst:certificationType"),
    ("epcis-gdst/farm_harvest_event_object.jsonld", "gdst:humanWelfarePolicy"),
    ("epcis-gdst/traceback_tests.jsonld", "gdst:broodstockSource"),  # "domestic"
])
def test_other_example_documents_break_a_gdst_rule(relative, first):
    mapping = mapped(read(relative), "gdst")
    assert mapping.facts == []
    assert first in mapping.reasons[0].path


# --- GDST rules on documents derived from the fixtures ----------------------------------------

def gdst_event(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    document = load(f"epcis-gdst/invalid/{name}")
    return document, document["epcisBody"]["eventList"][0]


def break_welfare(event: dict[str, Any]) -> None:
    event["gdst:humanWelfarePolicy"] = "Sometimes"


def drop_owner(event: dict[str, Any]) -> None:
    del event["gdst:productOwner"]


def flag_of_three_letters(event: dict[str, Any]) -> None:
    catch = event["ilmd"]["cbvmda:vesselCatchInformationList"]["cbvmda:vesselCatchInformation"]
    catch[0]["gdst:imoNumber"] = "IMO1234567"
    catch[0]["cbvmda:vesselFlagState"] = "USA"


def lower_case_broodstock(event: dict[str, Any]) -> None:
    event["ilmd"]["gdst:broodstockSource"] = "domestic"


@pytest.mark.parametrize(("name", "change", "named"), [
    ("gdst_event_missing_information_provider.jsonld", break_welfare, "humanWelfarePolicy"),
    ("gdst_event_missing_information_provider.jsonld", drop_owner, "productOwner"),
    ("gdst_vessel_invalid_imo.jsonld", flag_of_three_letters, "vesselFlagState"),
    ("gdst_certification_invalid_type.jsonld", lower_case_broodstock, "broodstockSource"),
])
def test_more_gdst_rules_are_enforced(name, change, named):
    document, event = gdst_event(name)
    change(event)
    assert mapped(document).reasons == []
    refused = mapped(document, "gdst").reasons
    assert refused
    assert any(named in r.path and named in r.message for r in refused)


# --- reading ----------------------------------------------------------------------------------

def test_a_leading_byte_order_mark_is_tolerated_in_bytes():
    raw = read("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld")
    with_bom, without = mapped(b"\xef\xbb\xbf" + raw), mapped(raw)
    assert with_bom.reasons == []
    assert [f.model_dump() for f in with_bom.facts] == [f.model_dump() for f in without.facts]


def test_comments_in_the_json_are_tolerated():
    raw = read("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld").decode("utf-8")
    commented = raw.replace('"epcisBody": {', '// the events\n  "epcisBody": { /* body */', 1)
    assert commented != raw
    assert mapped(commented.encode()).counts() == {R: 1}


def test_seven_digit_fractions_are_read_to_the_microsecond():
    mapping = mapped(read("epcis-gdst/gdst_data_withmasterdata.jsonld"))
    hatching = trace.TraceCommissioned.model_validate(mapping.facts[0].data)
    assert hatching.at == datetime(2021, 12, 1, 11, 9, 40, 793000, tzinfo=UTC)
    document = load("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld")
    document["epcisBody"]["eventList"][0]["eventTime"] = "2013-06-08T14:58:56.1234567+08:00"
    fact = mapped(document).facts[0]
    assert fact.time.microsecond == 123456


def test_the_event_time_is_given_in_the_event_time_zone_offset():
    fact = mapped(read("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld")).facts[0]
    received = trace.TraceReceived.model_validate(fact.data)
    assert received.at == datetime(2013, 6, 8, 14, 58, 56, 591000, tzinfo=UTC)
    assert received.at.utcoffset() == timedelta(hours=2)
    assert fact.data["at_offset"] == "+02:00"


def test_an_event_time_without_offset_is_read_in_the_event_time_zone_offset():
    fact = mapped(read("epcis-gdst/EPCISQueryDocument_with_masterdata.jsonld")).facts[0]
    zone = timezone(timedelta(hours=3))
    assert fact.time == datetime(2023, 6, 29, 12, 4, 13, 13000, tzinfo=zone)


# --- what the facts say -----------------------------------------------------------------------

def test_epc_urns_and_digital_links_give_the_same_lots():
    def input_lots(relative: str) -> list[str]:
        fact = mapped(read(relative)).facts[0]
        return [i["lot_code"] for i in fact.data["inputs"]]

    urns = input_lots("epcis-gs1/JSON/Example_9.6.4-TransformationEvent.jsonld")
    links = input_lots("epcis-gs1/JSON/WithDigitalLinkID/"
                       "Example_9.6.4-TransformationEventWithDigitalLink.jsonld")
    assert urns == links
    assert "https://id.gs1.org/01/00614141777778/10/987" in urns


def test_a_shipment_names_its_parties_and_documents():
    mapping = mapped(read("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld"))
    received = mapping.facts[0].data
    assert received["lot_code"] == "https://id.gs1.org/01/04012345123456/10/998877"
    assert (received["quantity"], received["unit"]) == ("200", "KGM")
    assert received["from_entity"] == "urn:epc:id:sgln:4012345.00001.0"  # possessing party
    assert received["to_entity"] == "urn:epc:id:sgln:0614141.00001.0"  # owning party
    assert received["to_location"] == "urn:epc:id:sgln:0614141.00777.0"
    shipped = mapped(read("epcis-gs1/JSON/Example_9.6.1-ObjectEvent.jsonld")).facts[0].data
    assert shipped["from_entity"] == "urn:epc:id:sgln:0614141.07346.1234"  # its read point
    assert shipped["to_entity"] is None
    assert (shipped["reference_document"], shipped["reference_document_type"]) == (
        "http://transaction.acme.com/po/12345678", "po")
    assert (shipped["quantity"], shipped["unit"]) == ("1", "EA")


def test_without_a_party_the_other_side_is_named_by_its_location():
    document = load("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld")
    event = event_of(document)
    event["sourceList"] = [s for s in event["sourceList"] if s["type"] == "location"]
    received = mapped(document).facts[0].data
    assert received["from_entity"] == received["from_location"] == (
        "urn:epc:id:sgln:4012345.00225.0")
    event["bizStep"] = "shipping"
    event["destinationList"] = [d for d in event["destinationList"] if d["type"] == "location"]
    shipped = mapped(document).facts[0].data
    assert shipped["to_entity"] == shipped["to_location"] == "urn:epc:id:sgln:0614141.00777.0"
    assert shipped["from_entity"] == "urn:epc:id:sgln:4012345.00225.0"


def test_master_data_is_kept_and_names_the_products():
    mapping = mapped(read("epcis-gdst/gdst_data_withmasterdata.jsonld"))
    master = mapping.master_data
    assert master.products["urn:gdst:example.org:product:class:processor.2u"].name == (
        "Can of Tuna")
    assert master.locations["urn:epc:id:sgln:08600031303.1.1"].attributes["vesselID"] == (
        "VESSEL1")
    assert master.parties
    products = Counter(f.data.get("product") for f in mapping.facts)
    assert products["Farmed Tuna"] >= 2
    shipped = next(f.data for f in mapping.facts if f.type == S)
    assert shipped["product_id"] == "urn:gdst:example.org:product:class:fishfarm.1u"


def test_a_commissioning_keeps_its_lot_master_data():
    mapping = mapped(read("epcis-gdst/gdst_data_withmasterdata.jsonld"))
    feed = next(f.data for f in mapping.facts if f.type == C and f.data["step"] == "commissioning")
    assert feed["lot_master_data"]["lot_number"] == "FF11252021"
    assert feed["lot_master_data"]["country_of_origin"] == "US"
    assert feed["lot_master_data"]["other"]["gdst:proteinSource"] == "wild caught"
    assert feed["entity_id"] == "urn:gdst:example.org:party:feedmill.1u"


def test_packing_and_unpacking_follow_the_pallet():
    mapping = mapped(read("epcis-gdst/traceback_tests.jsonld"))
    packed = [f.data for f in mapping.facts if f.type == P]
    assert packed[1]["container_id"] == "urn:epc:id:sscc:08600031303.0005"
    assert packed[1]["contents"][0]["lot_code"] == "urn:epc:id:sscc:08600031303.0004"
    unpacked = [f.data for f in mapping.facts if f.type == U]
    assert unpacked[0]["contents"] == []  # DELETE without children: everything inside


def test_repeated_event_ids_still_give_distinct_fact_ids():
    mapping = mapped(read("epcis-gdst/traceback_tests.jsonld"))
    refs = Counter(f.data["event_ref"] for f in mapping.facts)
    assert max(refs.values()) > 1  # the fixture reuses eventIDs
    assert len({f.id for f in mapping.facts}) == len(mapping.facts)


# --- error declarations -----------------------------------------------------------------------

def test_an_error_declaration_becomes_a_correction_of_the_earlier_event():
    mapping = mapped(read("epcis-gs1/JSON/WithErrorDeclaration/"
                          "ErrorDeclarationAndCorrectiveEvent.jsonld"))
    corrected = next(f for f in mapping.facts if f.type == X)
    fact = trace.TraceCorrected.model_validate(corrected.data)
    assert fact.corrected_event_refs == ["urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"]
    assert fact.corrective_event_refs == ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]
    assert fact.reason == "incorrect_data"
    assert fact.declared_at == datetime(2020, 1, 14, 23, tzinfo=UTC)
    assert fact.event_type == "TransformationEvent"
    assert corrected.time == fact.declared_at
    corrective = next(f for f in mapping.facts if f.type == T)
    assert corrective.data["event_ref"] == fact.corrective_event_refs[0]


def test_an_event_and_its_error_declaration_in_one_document_are_both_kept():
    document = load("epcis-gs1/JSON/WithErrorDeclaration/"
                    "Example_9.6.1-ObjectEvent-with-error-declaration.jsonld")
    original = dict(document["epcisBody"]["eventList"][0])
    del original["errorDeclaration"]
    document["epcisBody"]["eventList"].insert(0, original)
    mapping = mapped(document)
    assert mapping.counts() == {S: 2, X: 1, R: 1}
    refs = {f.data.get("event_ref") for f in mapping.facts if f.type in (S, X)}
    assert len(refs) == 1
    assert len({f.id for f in mapping.facts}) == 4


def test_an_event_without_id_and_its_declaration_share_a_hashed_ref():
    document = load("epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld")
    event = document["epcisBody"]["eventList"][0]
    del event["eventID"]
    declared = dict(event, errorDeclaration={"declarationTime": "2013-06-09T10:00:00Z",
                                             "reason": "did_not_occur"},
                    recordTime="2013-06-09T10:00:01Z")
    document["epcisBody"]["eventList"].append(declared)
    mapping = mapped(document)
    received, correction = mapping.facts
    assert received.data["event_ref"].startswith("sha256:")
    assert correction.data["corrected_event_refs"] == [received.data["event_ref"]]
    assert correction.data["reason"] == "did_not_occur"


# --- refusals ---------------------------------------------------------------------------------

BASE = "epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld"
E0 = "$.epcisBody.eventList[0]"


def event_of(document: dict[str, Any]) -> dict[str, Any]:
    first: dict[str, Any] = document["epcisBody"]["eventList"][0]
    return first


@pytest.mark.parametrize(("change", "code", "path"), [
    (lambda d: d.update(type="EPCISMessage"), "epcis.document_type", "$.type"),
    (lambda d: d.pop("@context"), "epcis.required", "$['@context']"),
    (lambda d: d.pop("creationDate"), "epcis.required", "$.creationDate"),
    (lambda d: d.update(schemaVersion=2), "epcis.type", "$.schemaVersion"),
    (lambda d: d["epcisBody"].update(eventList={}), "epcis.type", "$.epcisBody.eventList"),
    (lambda d: d.update(epcisHeader=[]), "epcis.type", "$.epcisHeader"),
    (lambda d: event_of(d).pop("eventTime"), "epcis.required", f"{E0}.eventTime"),
    (lambda d: event_of(d).update(eventTime="yesterday"), "epcis.time", f"{E0}.eventTime"),
    (lambda d: event_of(d).update(eventTimeZoneOffset="+15:00"), "epcis.offset",
     f"{E0}.eventTimeZoneOffset"),
    (lambda d: event_of(d).pop("action"), "epcis.required", f"{E0}.action"),
    (lambda d: event_of(d).update(action="MOVE"), "epcis.enum", f"{E0}.action"),
    (lambda d: event_of(d).update(type="Event"), "epcis.event_type", f"{E0}.type"),
    (lambda d: event_of(d).update(ilmd={"x:y": 1}), "epcis.unexpected", f"{E0}.ilmd"),
    (lambda d: event_of(d).pop("quantityList"), "epcis.what", E0),
    (lambda d: event_of(d)["quantityList"][0].pop("epcClass"), "epcis.required",
     f"{E0}.quantityList[0].epcClass"),
    (lambda d: event_of(d)["quantityList"][0].update(quantity="200"), "epcis.type",
     f"{E0}.quantityList[0].quantity"),
    (lambda d: event_of(d)["quantityList"][0].update(uom="kg"), "epcis.uom",
     f"{E0}.quantityList[0].uom"),
    (lambda d: event_of(d)["sourceList"][0].pop("type"), "epcis.required",
     f"{E0}.sourceList[0].type"),
    (lambda d: event_of(d).update(readPoint="urn:epc:id:sgln:0614141.00777.0"), "epcis.type",
     f"{E0}.readPoint"),
    (lambda d: event_of(d).update(errorDeclaration={"reason": "incorrect_data"}),
     "epcis.required", f"{E0}.errorDeclaration.declarationTime"),
    # mapping refusals: the structure is EPCIS, but no trace fact can be made of it
    (lambda d: event_of(d)["quantityList"][0].update(quantity=0), "epcis.quantity",
     f"{E0}.quantityList[0].quantity"),
    (lambda d: event_of(d)["quantityList"][0].update(uom="A93"), "epcis.unit",
     f"{E0}.quantityList[0].uom"),
    (lambda d: event_of(d)["quantityList"][0].pop("quantity"), "epcis.quantity_missing",
     f"{E0}.quantityList[0]"),
    (lambda d: event_of(d)["quantityList"][0].update(epcClass="LOT\x07"), "epcis.lot_code",
     f"{E0}.quantityList[0].epcClass"),
    (lambda d: [event_of(d).pop(k) for k in ("destinationList", "bizLocation", "readPoint")],
     "epcis.unmappable", E0),
])
def test_a_broken_rule_is_refused_at_its_path(change, code, path):
    document = load(BASE)
    change(document)
    mapping = mapped(document)
    assert mapping.facts == []
    assert (code, path) in {(r.code, r.path) for r in mapping.reasons}, mapping.reasons


@pytest.mark.parametrize(("change", "code", "path"), [
    (lambda d: d["epcisBody"]["queryResults"].pop("queryName"), "epcis.required",
     "$.epcisBody.queryResults.queryName"),
    (lambda d: d["epcisBody"]["queryResults"].pop("resultsBody"), "epcis.required",
     "$.epcisBody.queryResults.resultsBody"),
    (lambda d: d["epcisBody"].update(queryResults=None, eventList=[]), "epcis.type",
     "$.epcisBody.queryResults"),
    (lambda d: d["epcisBody"].pop("queryResults"), "epcis.required",
     "$.epcisBody.queryResults"),
])
def test_a_broken_query_document_is_refused_at_its_path(change, code, path):
    document = load("epcis-gs1/JSON/EPCISQueryDocument.jsonld")
    change(document)
    assert (code, path) in {(r.code, r.path) for r in mapped(document).reasons}


def test_aggregation_add_or_delete_needs_a_parent():
    document = load("epcis-gs1/JSON/WithSensorData/SensorDataExample8.jsonld")
    event_of(document).pop("parentID")
    assert ("epcis.required", f"{E0}.parentID") in {
        (r.code, r.path) for r in mapped(document).reasons}


def test_a_transformation_has_no_action():
    document = load("epcis-gs1/JSON/Example_9.6.4-TransformationEvent.jsonld")
    event_of(document)["action"] = "ADD"
    assert ("epcis.unexpected", f"{E0}.action") in {
        (r.code, r.path) for r in mapped(document).reasons}


@pytest.mark.parametrize(("raw", "code"), [
    (b"", "epcis.not_json"), (b"{", "epcis.not_json"), (b"\xff\xfe{}", "epcis.bad_encoding"),
    (b"[]", "epcis.not_object"), (b"42", "epcis.not_object"),
    (b"[" * 100 + b"]" * 100, "epcis.not_object"),
    (b'{"type": "EPCISDocument", "x": ' + b"[" * 70 + b"]" * 70 + b"}", "epcis.too_deep"),
])
def test_unreadable_documents_are_refused(raw, code):
    mapping = mapped(raw)
    assert [r.code for r in mapping.reasons] == [code]
    assert mapping.reasons[0].path == "$"


def test_an_unknown_profile_is_refused():
    mapping = mapped(read(BASE), "fda204")
    assert [r.code for r in mapping.reasons] == ["epcis.unknown_profile"]


def test_a_very_long_document_id_still_gives_valid_fact_ids():
    mapping = mapped(read(BASE), document_id="d" * 300)
    assert mapping.reasons == []
    assert len(mapping.facts[0].id) <= 256
