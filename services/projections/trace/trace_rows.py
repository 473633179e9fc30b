"""Rows of the trace facts and certificates: movements, links and their edges, lot descriptions,
corrections (see :mod:`.rows` for the keys)."""

from __future__ import annotations

from typing import Any

from contracts.envelope import CloudEvent
from contracts.facts import certificate, trace
from services.projections.trace.rows import (
    Row,
    Rows,
    json_text,
    lot_text,
    quantity_of,
    rank_of,
    text_of,
    utc_text,
)


def _movement(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    kind = "shipped" if event.type == trace.SHIPPED else "received"
    lot, at = lot_text(data["lot_code"]), utc_text(data["at"])
    rank = rank_of(at, event.source, event.id)
    rows.movements.append({
        "source": event.source, "fact_id": event.id, "kind": kind,
        "event_ref": text_of(data, "event_ref"), "lot_code": lot,
        "product": text_of(data, "product"), "product_id": text_of(data, "product_id"),
        "quantity": quantity_of(data["quantity"]), "unit": text_of(data, "unit"),
        "from_entity": text_of(data, "from_entity"), "to_entity": text_of(data, "to_entity"),
        "from_location": text_of(data, "from_location"),
        "to_location": text_of(data, "to_location"),
        "entity_id": None, "location": None, "at": at,
        "certificate_no": text_of(data, "certificate_no"),
        "reference_document": text_of(data, "reference_document"),
        "reference_document_type": text_of(data, "reference_document_type"), "step": None})
    rows.seen(lot, at)
    rows.product(lot, text_of(data, "product"), text_of(data, "product_id"), rank)
    if data.get("certificate_no"):
        rows.lot_certificate(lot, str(data["certificate_no"]), rank)


def _commissioned(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    lot, at = lot_text(data["lot_code"]), utc_text(data["at"])
    rank = rank_of(at, event.source, event.id)
    rows.movements.append({
        "source": event.source, "fact_id": event.id, "kind": "commissioned",
        "event_ref": text_of(data, "event_ref"), "lot_code": lot,
        "product": text_of(data, "product"), "product_id": text_of(data, "product_id"),
        "quantity": quantity_of(data.get("quantity")), "unit": text_of(data, "unit"),
        "from_entity": None, "to_entity": None, "from_location": None, "to_location": None,
        "entity_id": text_of(data, "entity_id"), "location": text_of(data, "location"), "at": at,
        "certificate_no": None, "reference_document": None, "reference_document_type": None,
        "step": text_of(data, "step")})
    rows.seen(lot, at)
    rows.product(lot, text_of(data, "product"), text_of(data, "product_id"), rank)
    rows.origin(lot, _origin("commissioned", data, at, rank, data.get("step")))


def _origin(kind: str, data: dict[str, Any], at: str, rank: str, step: object) -> Row:
    ilmd = data.get("lot_master_data")
    return {"origin_kind": kind, "origin_entity": text_of(data, "entity_id"),
            "origin_location": text_of(data, "location"), "origin_at": at,
            "origin_step": None if step is None else str(step),
            "origin_ilmd": None if ilmd is None else json_text(ilmd), "origin_rank": rank}


def _link(event: CloudEvent, data: dict[str, Any], seq: int, kind: str, at: str) -> Row:
    return {"source": event.source, "fact_id": event.id, "seq": seq, "kind": kind,
            "event_ref": text_of(data, "event_ref"), "entity_id": text_of(data, "entity_id"),
            "location": text_of(data, "location"), "at": at, "from_lot": None, "to_lot": None,
            "product": None, "quantity": None, "unit": None, "input_product": None,
            "input_quantity": None, "input_unit": None,
            "transformation_id": text_of(data, "transformation_id")}


def _edge(rows: Rows, link: Row, direction: str, ends: tuple[str, str], via: str) -> None:
    from_lot, to_lot = ends
    rows.edges.append({"dir": direction, "from_lot": from_lot, "to_lot": to_lot, "via": via,
                       "at": link["at"], "source": link["source"], "fact_id": link["fact_id"],
                       "seq": link["seq"]})


def _transformed(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    at = utc_text(data["at"])
    rank = rank_of(at, event.source, event.id)
    inputs: list[dict[str, Any] | None] = list(data.get("inputs") or []) or [None]
    outputs: list[dict[str, Any] | None] = list(data.get("outputs") or []) or [None]
    seq = 0
    for output in outputs:
        out_lot = None if output is None else lot_text(output["lot_code"])
        if output is not None and out_lot is not None:
            rows.seen(out_lot, at)
            rows.product(out_lot, text_of(output, "product"), None, rank)
            rows.origin(out_lot, _origin("transformed", data, at, rank, "transforming"))
        for item in inputs:
            link = _link(event, data, seq, "transformed", at)
            seq += 1
            in_lot = None if item is None else lot_text(item["lot_code"])
            if output is not None:
                link.update(to_lot=out_lot, product=text_of(output, "product"),
                            quantity=quantity_of(output["quantity"]), unit=text_of(output, "unit"))
            if item is not None and in_lot is not None:
                link.update(from_lot=in_lot, input_product=text_of(item, "product"),
                            input_quantity=quantity_of(item["quantity"]),
                            input_unit=text_of(item, "unit"))
                rows.seen(in_lot, at)
                rows.product(in_lot, text_of(item, "product"), None, rank)
            rows.links.append(link)
            if in_lot is not None and out_lot is not None:
                _edge(rows, link, "down", (in_lot, out_lot), "transformed")
                _edge(rows, link, "up", (out_lot, in_lot), "transformed")


def _aggregation(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    kind = "packed" if event.type == trace.PACKED else "unpacked"
    at, parent = utc_text(data["at"]), lot_text(data["container_id"])
    rows.seen(parent, at)
    contents: list[dict[str, Any] | None] = list(data.get("contents") or []) or [None]
    for seq, content in enumerate(contents):
        link = _link(event, data, seq, kind, at)
        child = None if content is None else lot_text(content["lot_code"])
        ends = (child, parent) if kind == "packed" else (parent, child)
        link.update(from_lot=ends[0], to_lot=ends[1])
        if content is not None:
            link.update(quantity=quantity_of(content.get("quantity")),
                        unit=text_of(content, "unit"))
        rows.links.append(link)
        if child is None:
            continue  # unpacking "everything": the pairs are known from the packing
        rows.seen(child, at)
        for direction in ("down", "up"):  # containment is followed both ways in both traces
            _edge(rows, link, direction, (child, parent), "up")
            _edge(rows, link, direction, (parent, child), "down")


def _corrected(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    declared = utc_text(data["declared_at"])
    for ref in data["corrected_event_refs"]:
        rows.corrections.append({
            "corrected_ref": str(ref), "source": event.source, "fact_id": event.id,
            "correction_ref": text_of(data, "event_ref"), "reason": text_of(data, "reason"),
            "declared_at": declared,
            "corrective_refs": json_text(list(data.get("corrective_event_refs") or []))})


def _certificate(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    lot, issued = lot_text(data["lot_code"]), utc_text(data["issued_at"])
    rank = rank_of(issued, event.source, event.id)
    number = str(data["certificate_no"])
    rows.certificates.append({
        "source": event.source, "fact_id": event.id, "certificate_no": number, "lot_code": lot,
        "product": text_of(data, "product"), "quantity": quantity_of(data.get("quantity")),
        "unit": text_of(data, "unit"), "producer": text_of(data, "producer"),
        "producer_id": text_of(data, "producer_id"), "origin": text_of(data, "origin"),
        "issued_at": issued, "basis": text_of(data, "basis"),
        "issuer_type": text_of(data, "issuer_type")})
    rows.seen(lot, issued)
    rows.product(lot, text_of(data, "product"), None, rank)
    rows.lot_certificate(lot, number, rank)


HANDLERS = {
    trace.SHIPPED: _movement, trace.RECEIVED: _movement, trace.COMMISSIONED: _commissioned,
    trace.TRANSFORMED: _transformed, trace.PACKED: _aggregation, trace.UNPACKED: _aggregation,
    trace.CORRECTED: _corrected, certificate.TYPE: _certificate,
}
