"""The 'what' of an EPCIS event as lines (lot, quantity, unit), and the 'who / where' of it.

An instance-level EPC (an SGTIN item, an SSCC) counts as one ``EA``; a quantity element without a
``uom`` is a count (``EA``) too, as EPCIS says. Every line is normalised with
:func:`contracts.lots.parse_lot` and its unit checked against the curated Recommendation 20 list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from contracts.facts.trace import LotMasterData
from contracts.lots import ParsedLot, parse_lot
from contracts.quantities import to_decimal, unit_code
from contracts.receipts import Reason
from services.intake.epcis.masterdata import MasterData
from services.intake.epcis.parse import cbv, extension, local_name, member

COUNT: Final = "EA"
_GDST_LOT = re.compile(r"(?P<head>urn:gdst:[^:]+:product:)lot:class:(?P<cls>[^.]*\.[^.]*)\..+")
_REFERENCE_ORDER: Final = ("desadv", "bol", "inv", "po", "recadv", "prodorder", "rma")
_ILMD_FIELDS: Final = {
    "lotNumber": "lot_number", "productionDate": "production_date",
    "harvestDate": "harvest_date", "harvestStartDate": "harvest_date",
    "harvestEndDate": "harvest_end_date", "bestBeforeDate": "best_before_date",
    "itemExpirationDate": "expiry_date", "expirationDate": "expiry_date",
    "countryOfOrigin": "country_of_origin", "origin": "origin",
}
_ILMD_LIMITS: Final = {"lot_number": 300, "origin": 300}


@dataclass(frozen=True)
class Line:
    """One lot (or item, or logistic unit) an event is about."""

    lot: ParsedLot
    quantity: Decimal | None
    unit: str | None
    path: str


def read_lines(event: dict[str, Any], epc_key: str, quantity_key: str, path: str,
               reasons: list[Reason]) -> list[Line]:
    """The lines of one what-pair (e.g. ``inputEPCList`` + ``inputQuantityList``)."""
    lines: list[Line] = []
    for index, epc in enumerate(event.get(epc_key) or []):
        lot = _lot(epc, member(member(path, epc_key), index), reasons)
        if lot is not None:
            lines.append(Line(lot, Decimal(1), COUNT, member(member(path, epc_key), index)))
    for index, element in enumerate(event.get(quantity_key) or []):
        e_path = member(member(path, quantity_key), index)
        lot = _lot(element["epcClass"], member(e_path, "epcClass"), reasons)
        quantity, unit = _amount(element, e_path, reasons)
        if lot is not None:
            lines.append(Line(lot, quantity, unit, e_path))
    return lines


def _lot(raw: str, path: str, reasons: list[Reason]) -> ParsedLot | None:
    try:
        return parse_lot(raw)
    except ValueError as exc:
        reasons.append(Reason(code="epcis.lot_code", path=path, message=str(exc)))
        return None


def _amount(element: dict[str, Any], path: str,
            reasons: list[Reason]) -> tuple[Decimal | None, str | None]:
    if "quantity" not in element:
        return None, None
    try:
        quantity = to_decimal(element["quantity"])
    except ValueError as exc:
        reasons.append(Reason(code="epcis.quantity", path=member(path, "quantity"),
                              message=str(exc)))
        return None, None
    if quantity <= 0:
        reasons.append(Reason(code="epcis.quantity", path=member(path, "quantity"),
                              message="a quantity is above zero"))
        return None, None
    if "uom" not in element:
        return quantity, COUNT
    try:
        return quantity, unit_code(element["uom"])
    except ValueError as exc:
        reasons.append(Reason(code="epcis.unit", path=member(path, "uom"), message=str(exc)))
        return None, None


def product_id(lot: ParsedLot) -> str | None:
    """The product class of a lot: its GTIN, or the GDST product class of a GDST lot URN."""
    if lot.product_class:
        return lot.product_class
    match = _GDST_LOT.fullmatch(lot.canonical)
    return f"{match['head']}class:{match['cls']}" if match else None


def product(lot: ParsedLot, master: MasterData) -> tuple[str, str | None]:
    """A product description (master-data name, else the product id, else the lot) and its id."""
    pid = product_id(lot)
    name = master.product_name(pid, lot.canonical)
    return (name or pid or lot.canonical), pid


def place(event: dict[str, Any], key: str) -> str | None:
    """The id of ``readPoint`` or ``bizLocation``."""
    value = event.get(key)
    return value.get("id") if isinstance(value, dict) else None


def parties(event: dict[str, Any], key: str, value_key: str) -> tuple[str | None, str | None]:
    """(party, location) from ``sourceList`` / ``destinationList``: owning before possessing."""
    found: dict[str, str] = {}
    for entry in event.get(key) or []:
        kind = cbv(entry.get("type"))
        if kind is not None and isinstance(entry.get(value_key), str):
            found.setdefault(kind, entry[value_key])
    return found.get("owning_party") or found.get("possessing_party"), found.get("location")


def reported_by(event: dict[str, Any]) -> str | None:
    """The party that reported the event (GDST ``cbvmda:informationProvider``)."""
    value = extension(event, "informationProvider")
    return value if isinstance(value, str) and value.strip() else None


def actor(event: dict[str, Any]) -> str | None:
    """The business acting in a transformation, commissioning or (un)packing."""
    owner = extension(event, "productOwner")
    for candidate in (owner, reported_by(event), place(event, "bizLocation"),
                      place(event, "readPoint")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return None


def reference(event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(certificate number, reference document, its type) from the business transactions."""
    typed = [(cbv(t.get("type")), t["bizTransaction"]) for t in
             event.get("bizTransactionList") or [] if isinstance(t.get("bizTransaction"), str)]
    certificate = next((ref for kind, ref in typed if kind == "cert"), None)
    if certificate is None:
        info = event.get("certificationInfo")
        certificate = info if isinstance(info, str) else None
    documents = sorted((t for t in typed if t[0] != "cert"),
                       key=lambda t: _REFERENCE_ORDER.index(t[0])
                       if t[0] in _REFERENCE_ORDER else len(_REFERENCE_ORDER))
    kind, ref = documents[0] if documents else (None, None)
    return certificate, ref, kind


def lot_master_data(event: dict[str, Any]) -> LotMasterData | None:
    """The ILMD of an event as lot master data; what has no field of its own goes to ``other``."""
    ilmd = event.get("ilmd")
    if not isinstance(ilmd, dict) or not ilmd:
        return None
    known: dict[str, str] = {}
    other: dict[str, Any] = {}
    for key, value in ilmd.items():
        name = _ILMD_FIELDS.get(local_name(key))
        limit = _ILMD_LIMITS.get(name or "", 40)
        if (name is not None and name not in known and isinstance(value, str)
                and 0 < len(value.strip()) <= limit):
            known[name] = value.strip()
        else:
            other[key] = value
    return LotMasterData.model_validate({**known, "other": other})
