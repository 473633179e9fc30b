"""The rules of each EPCIS 2.0 event type: action, what (EPCs, quantities), where, why.

After the GS1 EPCIS 2.0 JSON Schema and the standard's text (a parent for Aggregation ADD and
DELETE; ILMD only on an ObjectEvent ADD or a TransformationEvent; a TransformationEvent has no
action).
"""

from __future__ import annotations

import re
from typing import Any, Final

from services.intake.epcis.checks import Checks, is_number
from services.intake.epcis.parse import member

EVENT_TYPES: Final = ("ObjectEvent", "AggregationEvent", "TransactionEvent",
                      "TransformationEvent", "AssociationEvent")
ACTIONS: Final = ("ADD", "OBSERVE", "DELETE")
EPC_LISTS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_LISTS: Final = ("quantityList", "childQuantityList", "inputQuantityList",
                         "outputQuantityList")
_UOM = re.compile(r"[A-Z0-9]{2,3}")


def check_typed_event(checks: Checks, event: dict[str, Any], kind: str, path: str) -> None:
    """The members every standard event type shares, then its own what-dimension rules."""
    action = event.get("action")
    if kind == "TransformationEvent":
        checks.ensure("action" not in event, member(path, "action"),
                      "a TransformationEvent has no action", "unexpected")
    elif checks.required(event, "action", path):
        checks.ensure(action in ACTIONS, member(path, "action"),
                      "action is ADD, OBSERVE or DELETE", "enum")
    for key in ("bizStep", "disposition", "parentID", "transformationID"):
        checks.text(event, key, path)
    for key in ("readPoint", "bizLocation"):
        _check_place(checks, event, key, path)
    for key in EPC_LISTS:
        _check_epcs(checks, event, key, path)
    for key in QUANTITY_LISTS:
        _check_quantities(checks, event, key, path)
    _check_links(checks, event, path)
    if "ilmd" in event:
        checks.ensure(isinstance(event["ilmd"], dict), member(path, "ilmd"),
                      "ilmd is an object")
        checks.ensure(kind == "TransformationEvent" or (kind == "ObjectEvent" and action == "ADD"),
                      member(path, "ilmd"), "ilmd belongs to an ObjectEvent ADD or a "
                      "TransformationEvent", "unexpected")
    _check_what(checks, event, kind, path)


def _check_place(checks: Checks, event: dict[str, Any], key: str, path: str) -> None:
    if key in event and checks.ensure(isinstance(event[key], dict), member(path, key),
                                      f"{key} is an object with an id"):
        checks.text(event[key], "id", member(path, key), required=True)


def _check_epcs(checks: Checks, event: dict[str, Any], key: str, path: str) -> None:
    if key not in event or not checks.ensure(isinstance(event[key], list), member(path, key),
                                             f"{key} is an array of EPC URIs"):
        return
    for index, epc in enumerate(event[key]):
        checks.ensure(isinstance(epc, str) and bool(epc.strip()), member(member(path, key), index),
                      "an EPC is a non-empty string (URN or Digital Link)")


def _check_quantities(checks: Checks, event: dict[str, Any], key: str, path: str) -> None:
    if key not in event or not checks.ensure(isinstance(event[key], list), member(path, key),
                                             f"{key} is an array of quantity elements"):
        return
    for index, element in enumerate(event[key]):
        e_path = member(member(path, key), index)
        if not checks.ensure(isinstance(element, dict), e_path,
                             "a quantity element is an object with an epcClass"):
            continue
        checks.text(element, "epcClass", e_path, required=True)
        if "quantity" in element:
            checks.ensure(is_number(element["quantity"]), member(e_path, "quantity"),
                          "quantity is a number")
        if "uom" in element:
            uom = element["uom"]
            checks.ensure(isinstance(uom, str) and _UOM.fullmatch(uom) is not None,
                          member(e_path, "uom"), "uom is a UN/ECE Recommendation 20 code "
                          "(2-3 capital letters or digits)", "uom")


def _check_links(checks: Checks, event: dict[str, Any], path: str) -> None:
    """bizTransactionList, sourceList, destinationList, sensorElementList."""
    lists = (("bizTransactionList", "bizTransaction", False), ("sourceList", "source", True),
             ("destinationList", "destination", True))
    for key, value_key, typed in lists:
        if key not in event or not checks.ensure(isinstance(event[key], list),
                                                 member(path, key), f"{key} is an array"):
            continue
        for index, entry in enumerate(event[key]):
            e_path = member(member(path, key), index)
            if checks.ensure(isinstance(entry, dict), e_path, f"an entry of {key} is an object"):
                checks.text(entry, value_key, e_path, required=True)
                checks.text(entry, "type", e_path, required=typed)
    sensors, s_path = event.get("sensorElementList"), member(path, "sensorElementList")
    if sensors is None or not checks.ensure(isinstance(sensors, list), s_path,
                                            "sensorElementList is an array"):
        return
    for index, element in enumerate(sensors):
        e_path = member(s_path, index)
        if checks.ensure(isinstance(element, dict), e_path, "a sensor element is an object") and \
                checks.required(element, "sensorReport", e_path):
            checks.ensure(isinstance(element["sensorReport"], list),
                          member(e_path, "sensorReport"), "sensorReport is an array")


def _non_empty(event: dict[str, Any], key: str) -> bool:
    value = event.get(key)
    return isinstance(value, list) and len(value) > 0


def _check_what(checks: Checks, event: dict[str, Any], kind: str, path: str) -> None:
    """Each type's 'what': enough EPCs or quantities to say what the event is about."""
    delete = event.get("action") == "DELETE"
    if kind == "ObjectEvent":
        ok = ("epcList" in event or _non_empty(event, "quantityList")
              or (_non_empty(event, "sensorElementList") and "readPoint" in event))
        message = "an ObjectEvent has an epcList, a quantityList, or sensor data and a readPoint"
    elif kind == "TransactionEvent":
        ok = "epcList" in event or _non_empty(event, "quantityList") or delete
        message = "a TransactionEvent has an epcList or a quantityList"
        checks.ensure(_non_empty(event, "bizTransactionList"), member(path, "bizTransactionList"),
                      "a TransactionEvent has at least one business transaction", "required")
    elif kind == "TransformationEvent":
        inputs = _non_empty(event, "inputEPCList") or _non_empty(event, "inputQuantityList")
        outputs = _non_empty(event, "outputEPCList") or _non_empty(event, "outputQuantityList")
        ok = (inputs and outputs) or ((inputs or outputs) and "transformationID" in event)
        message = ("a TransformationEvent has inputs and outputs (or a transformationID and "
                   "inputs or outputs)")
    else:  # AggregationEvent, AssociationEvent
        ok = _non_empty(event, "childEPCs") or _non_empty(event, "childQuantityList") or delete
        message = f"an {kind} ADD or OBSERVE has childEPCs or a childQuantityList"
        if kind == "AssociationEvent" or event.get("action") in ("ADD", "DELETE"):
            checks.ensure("parentID" in event, member(path, "parentID"),
                          f"an {kind} names its parentID", "required")
    checks.ensure(ok, path, message, "what")
