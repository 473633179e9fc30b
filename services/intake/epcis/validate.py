"""The base EPCIS 2.0 structure every document must have (after the GS1 EPCIS JSON Schema).

Written as code rather than a JSON Schema so that each refusal names its rule in words and
points at the member with a JSON path. Two readings are deliberately lenient: an ``eventTime``
without an offset is read in the event's ``eventTimeZoneOffset`` (an EPCIS 1.x habit seen in
GDST data), and members outside the standard are allowed (extensions are JSON-LD keys).
"""

from __future__ import annotations

import re
from typing import Any, Final

from contracts.receipts import Reason
from services.intake.epcis.checks import Checks
from services.intake.epcis.parse import (
    DOCUMENT_TYPES,
    EVENT_OFFSET,
    event_list_path,
    events,
    member,
    parse_offset,
)
from services.intake.epcis.rules import EVENT_TYPES, check_typed_event

_VERSION = re.compile(r"\d+(\.\d+)*")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
BODY: Final = "$.epcisBody"


def check_document(document: dict[str, Any]) -> list[Reason]:
    """Every violation of the base EPCIS 2.0 structure, with its JSON path."""
    checks = Checks()
    kind = document.get("type")
    if not checks.ensure(kind in DOCUMENT_TYPES, "$.type",
                         "type is EPCISDocument or EPCISQueryDocument", "document_type"):
        return checks.reasons
    checks.required(document, "@context", "$")
    version = document.get("schemaVersion")
    if (kind == "EPCISDocument" or "schemaVersion" in document) and checks.required(
            document, "schemaVersion", "$"):
        checks.ensure(isinstance(version, str) and _VERSION.fullmatch(version) is not None,
                      "$.schemaVersion", "schemaVersion is a version string, e.g. 2.0")
    checks.time(document, "creationDate", "$", required=kind == "EPCISDocument")
    _check_header(checks, document)
    if _check_body(checks, document):
        path = event_list_path(document)
        for index, event in enumerate(events(document)):
            check_event(checks, event, member(path, index))
    return checks.reasons


def _check_header(checks: Checks, document: dict[str, Any]) -> None:
    header = document.get("epcisHeader")
    if header is None or not checks.ensure(isinstance(header, dict), "$.epcisHeader",
                                           "epcisHeader is an object"):
        return
    master = header.get("epcisMasterData")
    path = "$.epcisHeader.epcisMasterData"
    if master is not None and checks.ensure(isinstance(master, dict), path,
                                            "epcisMasterData is an object"):
        check_vocabularies(checks, master.get("vocabularyList"), member(path, "vocabularyList"))


def check_vocabularies(checks: Checks, vocabularies: Any, path: str) -> None:
    """A vocabulary list: vocabularies with a type, elements with an id, attributes with an id."""
    if vocabularies is None or not checks.ensure(isinstance(vocabularies, list), path,
                                                 "vocabularyList is an array"):
        return
    for v_index, vocabulary in enumerate(vocabularies):
        v_path = member(path, v_index)
        if not checks.ensure(isinstance(vocabulary, dict), v_path, "a vocabulary is an object"):
            continue
        checks.text(vocabulary, "type", v_path, required=True)
        elements = vocabulary.get("vocabularyElementList", [])
        e_list = member(v_path, "vocabularyElementList")
        if not checks.ensure(isinstance(elements, list), e_list,
                             "vocabularyElementList is an array"):
            continue
        for e_index, element in enumerate(elements):
            e_path = member(e_list, e_index)
            if checks.ensure(isinstance(element, dict), e_path, "a vocabulary element is an "
                             "object"):
                checks.text(element, "id", e_path, required=True)
                _check_attributes(checks, element.get("attributes", []),
                                  member(e_path, "attributes"))


def _check_attributes(checks: Checks, attributes: Any, path: str) -> None:
    if not checks.ensure(isinstance(attributes, list), path, "attributes is an array"):
        return
    for index, attribute in enumerate(attributes):
        a_path = member(path, index)
        if checks.ensure(isinstance(attribute, dict), a_path, "an attribute is an object"):
            checks.text(attribute, "id", a_path, required=True)


def _check_body(checks: Checks, document: dict[str, Any]) -> bool:
    """Whether the path to the event list holds; its members checked on the way."""
    if not checks.required(document, "epcisBody", "$"):
        return False
    body, path = document["epcisBody"], BODY
    if not checks.ensure(isinstance(body, dict), path, "epcisBody is an object"):
        return False
    if document["type"] == "EPCISQueryDocument":
        results, path = body.get("queryResults"), member(path, "queryResults")
        if not (checks.required(body, "queryResults", BODY) and checks.ensure(
                isinstance(results, dict), path, "queryResults is an object")):
            return False
        if checks.required(results, "queryName", path):
            checks.ensure(isinstance(results["queryName"], str), member(path, "queryName"),
                          "queryName is a string")
        parent, body, path = path, results.get("resultsBody"), member(path, "resultsBody")
        if not (checks.required(results, "resultsBody", parent) and checks.ensure(
                isinstance(body, dict), path, "resultsBody is an object")):
            return False
        check_vocabularies(checks, body.get("vocabularyList"), member(path, "vocabularyList"))
    return checks.required(body, "eventList", path) and checks.ensure(
        isinstance(body["eventList"], list), member(path, "eventList"), "eventList is an array")


def check_event(checks: Checks, event: Any, path: str) -> None:
    """The common EPCIS event members, then the rules of the event's type."""
    if not checks.ensure(isinstance(event, dict), path, "an event is a JSON object"):
        return
    kind = event.get("type")
    if checks.required(event, "type", path) and checks.ensure(
            isinstance(kind, str), member(path, "type"), "an event type is a string"):
        checks.ensure(kind in EVENT_TYPES or _URI.fullmatch(kind) is not None,
                      member(path, "type"),
                      f"{kind!r} is neither an EPCIS event type nor an extension event URI",
                      "event_type")
    zone = None
    if checks.required(event, "eventTimeZoneOffset", path):
        offset = event["eventTimeZoneOffset"]
        if checks.ensure(isinstance(offset, str) and EVENT_OFFSET.fullmatch(offset) is not None,
                         member(path, "eventTimeZoneOffset"),
                         "eventTimeZoneOffset is ±HH:MM from -14:00 to +14:00", "offset"):
            zone = parse_offset(offset)
    checks.time(event, "eventTime", path, required=True, zone=zone)
    checks.time(event, "recordTime", path, zone=zone)
    checks.text(event, "eventID", path)
    declaration, d_path = event.get("errorDeclaration"), member(path, "errorDeclaration")
    if declaration is not None and checks.ensure(isinstance(declaration, dict), d_path,
                                                 "errorDeclaration is an object"):
        checks.time(declaration, "declarationTime", d_path, required=True, zone=zone)
        checks.text(declaration, "reason", d_path)
        _check_ids(checks, declaration.get("correctiveEventIDs", []),
                   member(d_path, "correctiveEventIDs"))
    if kind in EVENT_TYPES:
        check_typed_event(checks, event, kind, path)


def _check_ids(checks: Checks, ids: Any, path: str) -> None:
    if checks.ensure(isinstance(ids, list), path, "correctiveEventIDs is an array"):
        for index, ref in enumerate(ids):
            checks.ensure(isinstance(ref, str) and bool(ref.strip()), member(path, index),
                          "an event ID is a non-empty string")
