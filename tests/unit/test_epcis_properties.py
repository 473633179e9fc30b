"""Whatever arrives, ``map_document`` answers: facts that validate, or reasons with paths.

Random JSON, random bytes and the GS1 / GDST example documents (read from ``../shared/data``)
with random parts replaced, removed or added never make it raise, never reach its last-resort
guard (``epcis.unprocessable``, which would mean a bug), and never half-apply a document.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.registry import by_type
from services.intake.epcis import map_document

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
DOCUMENTS = (
    "epcis-gs1/JSON/Example_9.6.1-ObjectEvent.jsonld",
    "epcis-gs1/JSON/Example_9.6.2-ObjectEvent.jsonld",
    "epcis-gs1/JSON/Example_9.6.3-AggregationEvent.jsonld",
    "epcis-gs1/JSON/Example_9.6.4-TransformationEvent.jsonld",
    "epcis-gs1/JSON/EPCISQueryDocument.jsonld",
    "epcis-gs1/JSON/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld",
    "epcis-gs1/JSON/WithFullCombinationOfFields/object_event_all_possible_fields.jsonld",
    "epcis-gs1/JSON/WithSensorData/SensorDataExample8.jsonld",
    "epcis-gdst/gdst_data_withmasterdata.jsonld",
    "epcis-gdst/EPCISQueryDocument_with_masterdata.jsonld",
    "epcis-gdst/invalid/gdst_vessel_invalid_imo.jsonld",
)
REGISTERED = by_type()

json_scalars = (st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=20)
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=15,
)
# values an EPCIS document might plausibly hold, so that the checks get deep
epcis_values = json_values | st.sampled_from([
    "ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent",
    "AssociationEvent", "ADD", "OBSERVE", "DELETE", "shipping", "receiving", "commissioning",
    "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-receiving",
    "urn:gdst:bizStep:fishingEvent", "urn:epc:class:lgtin:4012345.012345.998877",
    "urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:idpat:sgtin:4012345.066666.*",
    "urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/01/04012345123456/10/998877",
    "LT-20230612-001", "2023-06-01T09:30:00.1234567+08:00", "2023-06-01T09:30:00",
    "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+14:00", "+08:00", "-00:00", "+14:00",
    "KGM", "kg", "A93", "EA", "", " ", "\x00", "x" * 600, 0, -1, 1e308, 2.5,
    {"id": "urn:epc:id:sgln:0614141.00777.0"}, [{"epcClass": "urn:x", "quantity": 1}],
    {"declarationTime": "2023-06-01T09:30:00Z", "correctiveEventIDs": ["urn:uuid:1"]},
])


@cache
def original(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_bytes().decode("utf-8-sig"))
    return loaded


def containers(node: Any, under_events: bool = False) -> list[Any]:
    """Every object and array in a JSON value (those inside an event list first)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict | list):
            found.append(current)
            stack.extend(current.values() if isinstance(current, dict) else current)
    if under_events:
        return [c for c in found if c is not node]
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[dict[str, Any], frozenset[str]]:
    name = draw(st.sampled_from(DOCUMENTS))
    document = copy.deepcopy(original(name))
    body = document.get("epcisBody", {})
    for _ in range(draw(st.integers(1, 4))):
        targets = containers(body if draw(st.booleans()) else document)
        target = draw(st.sampled_from(targets))
        value = copy.deepcopy(draw(epcis_values))
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            operation = draw(st.sampled_from(["replace", "delete", "add"]))
            if operation == "replace":
                target[key] = value
            elif operation == "delete":
                del target[key]
            else:
                target[draw(st.sampled_from([
                    "type", "action", "bizStep", "eventTime", "ilmd", "errorDeclaration",
                    "parentID", "uom", "quantity", "epcList", "x:extension"]))] = value
        elif isinstance(target, list) and target:
            index = draw(st.integers(0, len(target) - 1))
            if draw(st.booleans()):
                target[index] = value
            else:
                target.insert(index, value)
    profiles = draw(st.sampled_from([frozenset(), frozenset({"gdst"})]))
    return document, profiles


def assert_answered(document: Any, profiles: frozenset[str] = frozenset()) -> None:
    mapping = map_document(document, source="urn:test", document_id="doc",
                           profiles=profiles)
    assert "epcis.unprocessable" not in {r.code for r in mapping.reasons}, mapping.reasons
    for reason in mapping.reasons:  # every refusal has a reason: a code, a path, a message
        assert reason.code.startswith(("epcis.", "gdst.")), reason
        assert reason.message, reason
    if mapping.reasons:
        assert mapping.facts == []  # nothing half-applied
        assert all(r.path.startswith("$") for r in mapping.reasons)
        return
    assert len({fact.id for fact in mapping.facts}) == len(mapping.facts)
    for fact in mapping.facts:
        fact_type = REGISTERED[fact.type]
        model = fact_type.model.model_validate(fact.data)
        assert fact.subject == fact_type.key(model)
        assert len(fact.id) <= 256


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_random_json_never_makes_it_raise(value):
    assert_answered(value)
    assert_answered(json.dumps(value))
    assert_answered(json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.text(max_size=100))
def test_random_bytes_and_text_never_make_it_raise(raw, text):
    assert_answered(raw)
    assert_answered(b"\xef\xbb\xbf" + raw)
    assert_answered(text)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["type", "@context", "schemaVersion", "creationDate", "epcisBody",
                     "epcisHeader"]),
    epcis_values | st.fixed_dictionaries({"eventList": st.lists(
        st.dictionaries(st.sampled_from([
            "type", "action", "bizStep", "eventTime", "eventTimeZoneOffset", "eventID",
            "epcList", "quantityList", "parentID", "childEPCs", "inputEPCList",
            "outputQuantityList", "ilmd", "errorDeclaration", "sourceList", "readPoint"]),
            epcis_values, max_size=8), max_size=3)}),
    max_size=6))
def test_document_shaped_json_never_makes_it_raise(document):
    assert_answered(document)
    assert_answered(document, frozenset({"gdst"}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_example_documents_never_make_it_raise(case):
    document, profiles = case
    assert_answered(document, profiles)
    assert_answered(json.dumps(document).encode(), profiles)


def test_the_unmutated_examples_are_accepted():
    for name in DOCUMENTS:
        assert_answered(copy.deepcopy(original(name)))
