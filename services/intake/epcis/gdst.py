"""The GDST seafood profile: the key data elements GDST 1.x makes mandatory, and their formats.

Follows the GDST extension of the EPCIS JSON Schema (``GdstHatchingEvent``, ``GdstFishingEvent``
...), including how its conditions apply: a rule's ILMD requirements bind only when the event has
an ``ilmd``, an event may fall under several rules (a commissioning ObjectEvent is both a
processing and a feed-mill event), and members are matched by their literal JSON-LD keys
(``gdst:productOwner``, ``cbvmda:lotNumber``). Each refusal names the rule and the member.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from contracts.receipts import Reason
from services.intake.epcis.checks import Checks
from services.intake.epcis.parse import event_list_path, events, member, parse_time

PROFILE: Final = "gdst"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_CERTIFICATE_KEYS: Final = ("gdst:certificationType", "certificationAgency",
                            "certificationStandard", "certificationValue",
                            "certificationIdentification")

Check = Callable[[Checks, Any, str, str], None]  # (checks, value, path, "rule: member")


def _is(ok: Callable[[Any], bool], wants: str) -> Check:
    def check(checks: Checks, value: Any, path: str, label: str) -> None:
        checks.ensure(ok(value), path, f"{label} {wants}", "invalid")
    return check


def _rule(label: str) -> str:
    return label.split(": ", 1)[0]


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _pattern(regex: str) -> Callable[[Any], bool]:
    compiled = re.compile(regex)
    return lambda value: isinstance(value, str) and compiled.search(value) is not None


URI = _is(lambda v: isinstance(v, str) and _URI.fullmatch(v) is not None, "must be a URI")
TEXT = _is(_text, "must be a string")
TIME = _is(lambda v: isinstance(v, str) and parse_time(v) is not None,
           "must be an RFC 3339 date-time with an offset")
COUNTRY = _is(lambda v: isinstance(v, str) and _COUNTRY.fullmatch(v) is not None,
              "must be an ISO 3166 alpha-2 country code (two capitals)")


def _one_of(*allowed: str) -> Check:
    return _is(lambda v: v in allowed, "must be one of " + ", ".join(allowed))


def _members(checks: Checks, obj: dict[str, Any], path: str, rule: str,
             spec: dict[str, tuple[bool, Check]]) -> None:
    for key, (required, check) in spec.items():
        if key in obj:
            check(checks, obj[key], member(path, key), f"{rule}: {key}")
        elif required:
            checks.add("required", member(path, key), f"{rule}: {key} is required")


def _certifications(checks: Checks, value: Any, path: str, label: str) -> None:
    rule = _rule(label)
    if not checks.ensure(isinstance(value, dict), path, f"{rule}: cbvmda:certificationList "
                         "must be an object with a certification array", "invalid"):
        return
    for key in value:
        if key != "certification":
            checks.add("unexpected", member(path, key),
                       f"{rule}: cbvmda:certificationList has only certification")
    items, c_path = value.get("certification"), member(path, "certification")
    if "certification" not in value:
        checks.add("required", c_path, f"{rule}: certification is required")
        return
    if not checks.ensure(isinstance(items, list), c_path,
                         f"{rule}: certification must be an array", "invalid"):
        return
    for index, item in enumerate(items):
        i_path = member(c_path, index)
        if not checks.ensure(isinstance(item, dict), i_path,
                             f"{rule}: a certification is an object", "invalid"):
            continue
        _members(checks, item, i_path, rule, {
            "gdst:certificationType": (True, _is(_pattern(r"^urn:gdst:certType:"),
                                                 "must match urn:gdst:certType:...")),
            "certificationAgency": (True, TEXT), "certificationStandard": (True, TEXT),
            "certificationValue": (False, TEXT), "certificationIdentification": (True, TEXT)})
        for key in item:
            if key not in _CERTIFICATE_KEYS:
                checks.add("unexpected", member(i_path, key),
                           f"{rule}: a certification has no member {key}")


CERTIFICATIONS: Final = {"cbvmda:certificationList": (False, _certifications)}
BASE: Final = {"gdst:productOwner": (True, URI), "cbvmda:informationProvider": (True, URI)}
HUMAN_WELFARE: Final = {"gdst:humanWelfarePolicy": (True, _one_of("None", "Internal",
                                                                    "3P Audit"))}
LOT: Final = {"cbvmda:lotNumber": (True, TEXT)}
DATES: Final = {"cbvmda:itemExpirationDate": (False, TIME), "cbvmda:productionDate": (False, TIME),
                "cbvmda:countryOfOrigin": (False, COUNTRY)}
VESSEL: Final = {
    "cbvmda:economicZone": (True, _is(_pattern(r"^urn:gdst:eez:"), "must match urn:gdst:eez:...")),
    "cbvmda:fishingGearTypeCode": (True, _is(_pattern(r"^urn:gdst:gear:"),
                                             "must match urn:gdst:gear:...")),
    "cbvmda:vesselFlagState": (True, COUNTRY),
    "cbvmda:vesselID": (True, TEXT), "cbvmda:vesselName": (True, TEXT),
    "gdst:fisheryImprovementProject": (True, TEXT),
    "gdst:gpsAvailability": (True, _is(lambda v: isinstance(v, bool), "must be true or false")),
    "gdst:imoNumber": (True, _is(_pattern(r"^IMO[0-9]{7,8}$"),
                                 "must be IMO followed by 7 or 8 digits")),
    "gdst:rfmoArea": (True, _is(_pattern(r"^urn:gdst:rfmo:"), "must match urn:gdst:rfmo:...")),
    "gdst:satelliteTrackingAuthority": (True, TEXT), "gdst:subnationalPermitArea": (True, TEXT),
    "gdst:vesselPublicRegistry": (True, TEXT), "gdst:vesselTripDate": (True, TIME),
    "cbvmda:catchArea": (True, _is(_pattern(r"^urn:gdst:fao:"), "must match urn:gdst:fao:...")),
}


def _vessels(checks: Checks, value: Any, path: str, label: str) -> None:
    rule = _rule(label)
    if not checks.ensure(isinstance(value, dict), path, f"{rule}: "
                         "cbvmda:vesselCatchInformationList must be an object", "invalid"):
        return
    catches, c_path = value.get("cbvmda:vesselCatchInformation"), member(
        path, "cbvmda:vesselCatchInformation")
    if "cbvmda:vesselCatchInformation" not in value:
        checks.add("required", c_path, f"{rule}: cbvmda:vesselCatchInformation is required")
    elif checks.ensure(isinstance(catches, list), c_path,
                       f"{rule}: cbvmda:vesselCatchInformation must be an array", "invalid"):
        for index, catch in enumerate(catches):
            if checks.ensure(isinstance(catch, dict), member(c_path, index),
                             f"{rule}: a vessel catch is an object", "invalid"):
                _members(checks, catch, member(c_path, index), rule, VESSEL)


# rule name -> (members of the event, members of its ILMD when it has one)
RULES: Final[dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {
    "GDST hatching event": ({**HUMAN_WELFARE, **BASE}, {**CERTIFICATIONS, **LOT,
        "gdst:broodstockSource": (True, _one_of("Domestic", "Wild Sources"))}),
    "GDST shipping event": ({**CERTIFICATIONS, **BASE}, {}),
    "GDST receiving event": ({**CERTIFICATIONS, **BASE}, {}),
    "GDST fishing event": ({**HUMAN_WELFARE, **BASE}, {**CERTIFICATIONS, **LOT,
        "cbvmda:productionMethodForFishAndSeafoodCode": (True, _one_of("MARINE_FISHERY")),
        "cbvmda:vesselCatchInformationList": (True, _vessels)}),
    "GDST transshipment event": ({**HUMAN_WELFARE, **BASE,
                                  "cbvmda:unloadingPort": (False, TEXT)}, {}),
    "GDST landing event": ({**HUMAN_WELFARE, **BASE, "cbvmda:unloadingPort": (False, TEXT)}, {}),
    "GDST farm harvest event": ({**HUMAN_WELFARE, **BASE}, {**CERTIFICATIONS, **LOT,
        "gdst:aquacultureMethod": (True, TEXT),
        "cbvmda:productionMethodForFishAndSeafoodCode": (True, _one_of("AQUACULTURE"))}),
    "GDST aggregation event": (BASE, {}),
    "GDST processing event": (BASE, {**DATES, **LOT}),
    "GDST feed mill event": ({**HUMAN_WELFARE, **BASE}, {**CERTIFICATIONS, **DATES, **LOT,
        "gdst:proteinSource": (True, TEXT)}),
}
_BY_STEP: Final = {
    "shipping": "GDST shipping event", "receiving": "GDST receiving event",
    "urn:gdst:bizStep:fishingEvent": "GDST fishing event",
    "urn:gdst:bizStep:transshipment": "GDST transshipment event",
    "urn:gdst:bizStep:landing": "GDST landing event",
    "urn:gdst:bizStep:farmHarvest": "GDST farm harvest event",
    "urn:gdst:bizStep:commingling": "GDST processing event",
    "commissioning": "GDST processing event",
}


def rules_for(event: dict[str, Any]) -> list[str]:
    """The GDST rules an event falls under (as the GDST schema's conditions select them)."""
    kind, step, ilmd = event.get("type"), event.get("bizStep"), event.get("ilmd")
    found = []
    if kind == "ObjectEvent" and step == "urn:gdst:bizStep:hatching":
        found.append("GDST hatching event")
    if isinstance(step, str) and step in _BY_STEP:
        found.append(_BY_STEP[step])
    if kind == "AggregationEvent":
        found.append("GDST aggregation event")
    feed_mill_ilmd = ilmd is None or (isinstance(ilmd, dict) and isinstance(
        ilmd.get("gdst:proteinSource", ""), str))
    if kind in ("ObjectEvent", "TransformationEvent") and step == "commissioning" \
            and feed_mill_ilmd:
        found.append("GDST feed mill event")
    return found


def check_gdst(document: dict[str, Any]) -> list[Reason]:
    """Every GDST rule the events of a (structurally valid) document break."""
    checks = Checks("gdst")
    path = event_list_path(document)
    for index, event in enumerate(events(document)):
        e_path = member(path, index)
        for rule in rules_for(event):
            event_members, ilmd_members = RULES[rule]
            _members(checks, event, e_path, rule, event_members)
            ilmd = event.get("ilmd")
            if isinstance(ilmd, dict) and ilmd_members:
                _members(checks, ilmd, member(e_path, "ilmd"), rule, ilmd_members)
    unique: dict[tuple[str, str], Reason] = {}
    for reason in checks.reasons:
        unique.setdefault((reason.code, reason.path), reason)
    return list(unique.values())
