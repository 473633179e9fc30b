"""Rows of the supervision facts (the entity dossier) and of the workflow's case events.

No personal data: a complaint's complainant is not read, nor its free-text summary.
"""

from __future__ import annotations

from typing import Any

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.facts import complaint, entity, inspection, sampling
from services.projections.trace.rows import (
    Rows,
    json_text,
    keep_latest,
    lot_or_none,
    merge_case,
    rank_of,
    text_of,
    utc_text,
)


def _entity(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    registered = data.get("registered_at")
    at = utc_text(event.time)  # the latest registration fact wins, whatever registered_at says
    entity_id = str(data["entity_id"])
    keep_latest(rows.entities, entity_id, {
        "entity_id": entity_id, "id_scheme": text_of(data, "id_scheme"),
        "name": str(data["name"]), "kind": str(data["kind"]), "township": str(data["township"]),
        "address": text_of(data, "address"), "risk_grade": text_of(data, "risk_grade"),
        "registered_at": utc_text(registered) if registered else None,
        "rank": rank_of(at, event.source, event.id)})


def _supervision(rows: Rows, event: CloudEvent, kind: str, record_id: str, *, entity_id: str,
                 at: str, result: str | None, details: dict[str, Any]) -> None:
    keep_latest(rows.supervision, (kind, record_id), {
        "kind": kind, "record_id": record_id, "entity_id": entity_id, "at": at, "result": result,
        "details": json_text(details), "rank": rank_of(at, event.source, event.id)})


def _inspection(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    items = data.get("items") or []
    details = {"nonconforming_items": [i["code"] for i in items if not i.get("conforming")],
               "key_items_failed": [i["code"] for i in items
                                    if i.get("key") and not i.get("conforming")],
               "rectify_by": None if data.get("rectify_by") is None
               else utc_text(data["rectify_by"]),
               "reinspection_of": data.get("reinspection_of")}
    _supervision(rows, event, "inspection", str(data["inspection_id"]),
                 entity_id=str(data["entity_id"]), at=utc_text(data["inspected_at"]),
                 result=str(data["result"]), details=details)


def _sampling(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    details = {"lot_code": lot_or_none(data.get("lot_code")), "product": data.get("product"),
               "category": data.get("category"), "program": data.get("program"),
               "lab": data.get("lab"), "reported_at": utc_text(data["reported_at"]),
               "unqualified_items": [i["analyte"] for i in data.get("items") or []
                                     if not i.get("qualified")]}
    _supervision(rows, event, "sampling", str(data["sample_id"]),
                 entity_id=str(data["entity_id"]), at=utc_text(data["sampled_at"]),
                 result=str(data["verdict"]), details=details)


def _complaint(rows: Rows, event: CloudEvent, data: dict[str, Any]) -> None:
    respondent = data.get("respondent") or {}
    if not respondent.get("entity_id"):
        return  # not about a registered business: no dossier to add it to
    # No complainant (personal data) and no free-text summary (it may quote personal data):
    # the case in the workflow holds them, behind its own access rules.
    details = {"kind": data.get("kind"), "channel": data.get("channel"),
               "lot_code": lot_or_none(data.get("lot_code"))}
    _supervision(rows, event, "complaint", str(data["complaint_id"]),
                 entity_id=str(respondent["entity_id"]), at=utc_text(data["received_at"]),
                 result=None, details=details)


def case_rows(rows: Rows, event: CaseEvent) -> None:
    data = event.data
    assignment = data.get("assignment") or {}
    state = data.get("state")
    row = {
        "case_id": event.case_id, "kind": event.kind, "entity_id": text_of(data, "entity_id"),
        "opened_at": utc_text(event.occurred_at) if event.type == "case.opened" else None,
        "closed_at": utc_text(event.occurred_at) if event.type == "case.closed" else None,
        "lead": text_of(assignment, "lead"),
        "co_units": json_text([str(u) for u in assignment.get("co_units") or []])
        if assignment else None,
        "township_unit": text_of(assignment, "township_unit"),
        "state": None if state is None else str(state),
        "state_version": event.version if state is not None else 0}
    current = rows.cases.get(event.case_id)
    rows.cases[event.case_id] = row if current is None else merge_case(current, row)


HANDLERS = {entity.TYPE: _entity, inspection.TYPE: _inspection, sampling.TYPE: _sampling,
            complaint.TYPE: _complaint}
