"""The sortable traceability spreadsheet (FSMA 204 §1.1455(c)(3)(ii) style) as CSV.

One row per critical tracking event and lot, sorted by event time, with the key data elements of
``rules.md`` §10 (the rule fixes no headers; these are the practical KDE set):

- ``EventType`` is the CTE: Harvesting, Cooling, Initial Packing, First Land-Based Receiving
  (from a commissioning's business step), Shipping, Receiving, Transformation; a commissioning
  with another step is ``Commissioning``. Packing and Unpacking rows (pallets, cases) are not
  CTEs but are kept: they are what ties a shipped SSCC to the lots inside it.
- A transformation gives one row per input lot and output lot, sharing the ``EventID``: ``TLC``
  is the output, ``InputTLCs`` the input, with the input's description and quantity.
- ``EventLocation``, ``ShipFrom``, ``ShipTo`` and ``TLCSource`` name the business as
  ``name (id)`` when it is registered, else its id or location as the fact gave it.
- ``TLCSource`` is where the lot code was assigned (its commissioning or transformation);
  ``HarvestDate`` comes from the lot master data.
- When a movement carries a 合格证 and no other reference document, the certificate is its
  reference document (type ``certificate``).
- ``ErrorDeclared`` is ``yes`` for an event declared in error: kept, not hidden.

Cells are left empty when the facts lack the element. A cell that a spreadsheet program would
run as a formula (starting with ``=``, ``+``, ``@``, or ``-`` not followed by a digit) gets a
leading apostrophe. The text starts with a UTF-8 byte order mark by default, so that Excel reads
the Chinese names correctly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from services.projections.trace.interface import DEFAULT_DEPTH, TraceView

COLUMNS: Final = (
    "EventType", "EventID", "TLC", "ProductDescription", "Quantity", "UOM", "EventDate",
    "EventLocation", "ShipFrom", "ShipTo", "TLCSource", "TLCSourceReference", "HarvestDate",
    "InputTLCs", "InputProductDescription", "InputQuantity", "InputUOM", "Container",
    "ReferenceDocumentType", "ReferenceDocumentNumber", "ErrorDeclared")

_KINDS: Final = {"shipped": "Shipping", "received": "Receiving",
                 "transformed": "Transformation", "packed": "Packing", "unpacked": "Unpacking"}
_STEPS: Final = (("landing", "First Land-Based Receiving"), ("fishing", "Harvesting"),
                 ("harvest", "Harvesting"), ("cooling", "Cooling"),
                 ("packing", "Initial Packing"))
_FORMULA: Final = ("=", "+", "@", "\t", "\r")


def event_type(event: Mapping[str, Any]) -> str:
    """The CTE name of an event row."""
    if event["kind"] == "commissioned":
        step = (event.get("step") or "").lower()
        return next((name for key, name in _STEPS if key in step), "Commissioning")
    return _KINDS.get(event["kind"], str(event["kind"]))


def _tlc(event: Mapping[str, Any]) -> str | None:
    kind = event["kind"]
    if kind == "packed":
        return event.get("from_lot")
    if kind in ("transformed", "unpacked"):
        return event.get("to_lot")
    return event.get("lot_code")


def _container(event: Mapping[str, Any]) -> str | None:
    return {"packed": event.get("to_lot"), "unpacked": event.get("from_lot")}.get(event["kind"])


def _ilmd(lot: Mapping[str, Any]) -> dict[str, Any]:
    raw = lot.get("origin_ilmd")
    if isinstance(raw, str):
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else {}
    return raw if isinstance(raw, dict) else {}


def spreadsheet_rows(events: Iterable[Mapping[str, Any]], lots: Mapping[str, Mapping[str, Any]],
                     entities: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """Spreadsheet rows of trace events (items of a trace page or of ``events_between``),
    with the lots and entities they name, sorted by time."""

    def party(entity_id: str | None) -> str | None:
        known = entities.get(entity_id) if entity_id else None
        return f"{known['name']} ({entity_id})" if known else entity_id

    rows: list[dict[str, str]] = []
    for event in events:
        kind, tlc = event["kind"], _tlc(event)
        lot = lots.get(tlc) if tlc else None
        lot = lot or {}
        if kind == "shipped":
            where = event.get("from_location") or party(event.get("from_entity"))
        elif kind == "received":
            where = event.get("to_location") or party(event.get("to_entity"))
        else:
            where = event.get("location") or party(event.get("entity_id"))
        moved = kind in ("shipped", "received")
        document = (event.get("reference_document_type"), event.get("reference_document"))
        if document == (None, None) and event.get("certificate_no"):
            document = ("certificate", event["certificate_no"])
        values = {
            "EventType": event_type(event), "EventID": event.get("event_ref") or event["fact"],
            "TLC": tlc, "ProductDescription": event.get("product") or lot.get("product"),
            "Quantity": event.get("quantity"), "UOM": event.get("unit"),
            "EventDate": event["at"], "EventLocation": where,
            "ShipFrom": party(event.get("from_entity")) if moved else None,
            "ShipTo": party(event.get("to_entity")) if moved else None,
            "TLCSource": lot.get("origin_location") or party(lot.get("origin_entity")),
            "TLCSourceReference": lot.get("origin_entity"),
            "HarvestDate": _ilmd(lot).get("harvest_date"),
            "InputTLCs": event.get("from_lot") if kind == "transformed" else None,
            "InputProductDescription": event.get("input_product"),
            "InputQuantity": event.get("input_quantity"), "InputUOM": event.get("input_unit"),
            "Container": _container(event),
            "ReferenceDocumentType": document[0], "ReferenceDocumentNumber": document[1],
            "ErrorDeclared": "yes" if "corrected" in event.get("flags", ()) else None,
        }
        rows.append({name: "" if values[name] is None else str(values[name])
                     for name in COLUMNS})
    rows.sort(key=lambda r: (r["EventDate"], r["EventID"], r["TLC"], r["InputTLCs"]))
    return rows


def _safe(cell: str) -> str:
    if cell.startswith(_FORMULA) or (cell.startswith("-") and not cell[1:2].isdigit()):
        return "'" + cell
    return cell


def to_csv(rows: Iterable[Mapping[str, str]], *, excel_bom: bool = True) -> str:
    """The rows as CSV (RFC 4180, CRLF line ends), the header first."""
    out = io.StringIO()
    if excel_bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_safe(row.get(name, "")) for name in COLUMNS])
    return out.getvalue()


def _render(view: TraceView, events: list[dict[str, Any]], *, excel_bom: bool) -> str:
    lot_codes = [code for e in events if (code := _tlc(e))]
    lots = view.lots(lot_codes) if lot_codes else {}
    ids = {e.get(k) for e in events for k in ("from_entity", "to_entity", "entity_id")}
    ids |= {lot.get("origin_entity") for lot in lots.values()}
    known = sorted(i for i in ids if i)
    entities = view.entities(known) if known else {}
    return to_csv(spreadsheet_rows(events, lots, entities), excel_bom=excel_bom)


def lot_spreadsheet(view: TraceView, lot: str, *, depth: int = DEFAULT_DEPTH,
                    since: datetime | None = None, until: datetime | None = None,
                    excel_bom: bool = True) -> str:
    """The spreadsheet of a lot's upstream and downstream trace."""
    events = view.trace_events(lot, depth, since, until)
    return _render(view, events, excel_bom=excel_bom)


def range_spreadsheet(view: TraceView, since: datetime, until: datetime, *,
                      excel_bom: bool = True) -> str:
    """The spreadsheet of every event with its time in ``[since, until)``."""
    return _render(view, view.events_between(since, until), excel_bom=excel_bom)
