"""EPCIS 2.0 events to trace facts.

=================================================  ===========================================
event                                              facts
=================================================  ===========================================
any event with an ``errorDeclaration``             one ``corrected`` (nothing else: it repeats
                                                   the event in error)
ObjectEvent ADD/OBSERVE, bizStep shipping          one ``shipped`` per EPC and quantity element
ObjectEvent ADD/OBSERVE, bizStep receiving         one ``received`` per EPC and quantity element
ObjectEvent ADD, bizStep commissioning (CBV         one ``commissioned`` per EPC and quantity
creating_class_instance, GDST hatching, fishing,   element, with the ILMD
farm harvest), or no bizStep and an ILMD
TransformationEvent                                one ``transformed``
AggregationEvent ADD / DELETE                      one ``packed`` / ``unpacked``
anything else                                      none: counted as not mapped
=================================================  ===========================================

Who: a shipment's shipper is the owning (else possessing) party of the ``sourceList``, else the
GDST ``cbvmda:informationProvider`` (the reporting party), else the source location, the
``bizLocation`` or the ``readPoint``; its recipient is the destination party, else the
destination location. A receipt mirrors this. Transformations, commissionings and (un)packings
are done by the GDST ``gdst:productOwner``, else the information provider, else the
``bizLocation`` or ``readPoint``. Raw identifiers are kept; naming them is the read models' job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from contracts.facts import trace
from contracts.receipts import Reason
from services.intake.epcis import lines as what
from services.intake.epcis.masterdata import MasterData
from services.intake.epcis.parse import cbv, parse_offset, parse_time

COMMISSIONING: Final = frozenset({
    "commissioning", "creating_class_instance", "urn:gdst:bizStep:hatching",
    "urn:gdst:bizStep:fishingEvent", "urn:gdst:bizStep:farmHarvest"})


@dataclass(frozen=True)
class Fact:
    """One mapped fact before it is put in its CloudEvent envelope."""

    type: str
    model: BaseModel
    time: datetime
    suffix: str  # makes the CloudEvent id unique among the facts of one event


@dataclass
class EventMapping:
    """What one event became."""

    facts: list[Fact] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)


def map_event(event: dict[str, Any], path: str, event_ref: str,
              master: MasterData) -> EventMapping:
    """The facts of one structurally valid event (no facts and no reasons: not mapped)."""
    result = EventMapping()
    zone = parse_offset(event["eventTimeZoneOffset"])
    raw_time = parse_time(event["eventTime"], zone)
    if zone is None or raw_time is None:  # excluded by the base checks
        return result
    at = raw_time.astimezone(zone)
    kind, action, step = event["type"], event.get("action"), cbv(event.get("bizStep"))
    context = _Context(event, path, event_ref, at, zone, master, result)
    if isinstance(event.get("errorDeclaration"), dict):
        context.corrected()
    elif kind == "ObjectEvent" and action in ("ADD", "OBSERVE") and step in ("shipping",
                                                                              "receiving"):
        context.movement(trace.SHIPPED if step == "shipping" else trace.RECEIVED)
    elif kind == "ObjectEvent" and action == "ADD" and (
            step in COMMISSIONING or (step is None and "ilmd" in event)):
        context.commissioned(step)
    elif kind == "TransformationEvent":
        context.transformed()
    elif kind == "AggregationEvent" and action in ("ADD", "DELETE"):
        context.aggregation(trace.PACKED if action == "ADD" else trace.UNPACKED)
    return result


@dataclass
class _Context:
    event: dict[str, Any]
    path: str
    event_ref: str
    at: datetime
    zone: timezone
    master: MasterData
    result: EventMapping

    def _emit(self, kind: str, data: dict[str, Any], suffix: str = "",
              time: datetime | None = None) -> None:
        fact_type = _MODELS[kind]
        try:
            model = fact_type.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors()[:5]:
                where = ".".join(str(part) for part in error["loc"])
                self.result.reasons.append(Reason(
                    code="epcis.unmappable", path=self.path,
                    message=f"cannot record this event as {kind}: "
                            f"{where + ': ' if where else ''}{error['msg']}"))
            return
        self.result.facts.append(Fact(kind, model, time or self.at, suffix))

    def _lines(self, epc_key: str, quantity_key: str) -> list[what.Line]:
        return what.read_lines(self.event, epc_key, quantity_key, self.path, self.result.reasons)

    def _need_quantity(self, line: what.Line) -> bool:
        if line.quantity is None and not any(r.path.startswith(line.path)
                                             for r in self.result.reasons):
            self.result.reasons.append(Reason(
                code="epcis.quantity_missing", path=line.path,
                message="a lot that moves or is transformed needs its quantity"))
        return line.quantity is not None

    def corrected(self) -> None:
        declaration = self.event["errorDeclaration"]
        declared = parse_time(declaration["declarationTime"], self.zone)
        self._emit(trace.CORRECTED, {
            "event_ref": self.event_ref, "corrected_event_refs": [self.event_ref],
            "reason": cbv(declaration.get("reason")), "declared_at": declared,
            "corrective_event_refs": list(declaration.get("correctiveEventIDs") or []),
            "event_type": self.event["type"], "event_at": self.at,
        }, "/correction", declared)

    def movement(self, kind: str) -> None:
        event = self.event
        source, source_place = what.parties(event, "sourceList", "source")
        target, target_place = what.parties(event, "destinationList", "destination")
        here = what.place(event, "bizLocation") or what.place(event, "readPoint")
        reporter = what.reported_by(event)
        if kind == trace.SHIPPED:  # the shipper reports: its side falls back on the event
            source, source_place = source or reporter or source_place or here, source_place or here
            target = target or target_place
        else:
            target, target_place = target or reporter or target_place or here, target_place or here
            source = source or source_place
        certificate, document, document_type = what.reference(event)
        for index, line in enumerate(self._lines("epcList", "quantityList")):
            if not self._need_quantity(line):
                continue
            product, product_id = what.product(line.lot, self.master)
            self._emit(kind, {
                "event_ref": self.event_ref, "lot_code": line.lot.canonical, "product": product,
                "product_id": product_id, "quantity": line.quantity, "unit": line.unit,
                "from_entity": source, "to_entity": target, "from_location": source_place,
                "to_location": target_place, "at": self.at, "certificate_no": certificate,
                "reference_document": document, "reference_document_type": document_type,
            }, f"/{index}")

    def commissioned(self, step: str | None) -> None:
        ilmd = self._ilmd()
        location = what.place(self.event, "bizLocation") or what.place(self.event, "readPoint")
        for index, line in enumerate(self._lines("epcList", "quantityList")):
            product, product_id = what.product(line.lot, self.master)
            self._emit(trace.COMMISSIONED, {
                "event_ref": self.event_ref, "lot_code": line.lot.canonical, "product": product,
                "product_id": product_id, "quantity": line.quantity, "unit": line.unit,
                "entity_id": what.actor(self.event), "location": location, "at": self.at,
                "step": step, "lot_master_data": ilmd,
            }, f"/{index}")

    def transformed(self) -> None:
        inputs = [line for line in self._lines("inputEPCList", "inputQuantityList")
                  if self._need_quantity(line)]
        outputs = [line for line in self._lines("outputEPCList", "outputQuantityList")
                   if self._need_quantity(line)]
        transformation_id = self.event.get("transformationID")
        self._emit(trace.TRANSFORMED, {
            "event_ref": self.event_ref, "entity_id": what.actor(self.event),
            "location": what.place(self.event, "bizLocation") or what.place(self.event,
                                                                             "readPoint"),
            "at": self.at, "transformation_id": transformation_id,
            "inputs": [{"lot_code": line.lot.canonical,
                        "product": what.product(line.lot, self.master)[0],
                        "quantity": line.quantity, "unit": line.unit} for line in inputs],
            "outputs": [{"lot_code": line.lot.canonical,
                         "product": what.product(line.lot, self.master)[0],
                         "quantity": line.quantity, "unit": line.unit} for line in outputs],
            "lot_master_data": self._ilmd(),
        })

    def aggregation(self, kind: str) -> None:
        contents = self._lines("childEPCs", "childQuantityList")
        self._emit(kind, {
            "event_ref": self.event_ref, "container_id": self.event.get("parentID"),
            "contents": [{"lot_code": line.lot.canonical, "quantity": line.quantity,
                          "unit": line.unit} for line in contents],
            "entity_id": what.actor(self.event),
            "location": what.place(self.event, "bizLocation") or what.place(self.event,
                                                                             "readPoint"),
            "at": self.at,
        })

    def _ilmd(self) -> trace.LotMasterData | None:
        try:
            return what.lot_master_data(self.event)
        except ValidationError:
            return None


_MODELS: Final[dict[str, type[BaseModel]]] = {
    fact_type.type: fact_type.model for fact_type in trace.FACT_TYPES}

