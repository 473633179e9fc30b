"""Traceability facts (追溯): where a lot came from, what became of it and where it went.

``shipped`` / ``received`` / ``transformed`` are the platform's public trace facts; ``packed`` /
``unpacked`` let a trace follow lots through pallets and cases, ``commissioned`` records where a
lot began (with its lot master data), and ``corrected`` records that an earlier fact was in error
(an EPCIS error declaration; facts are never edited). GS1 EPCIS 2.0 documents are mapped to these
facts by intake; market traceability systems may send them directly.

Every fact carries an ``event_ref``: the EPCIS ``eventID`` when there is one, otherwise a stable
hash. A ``corrected`` fact points at earlier facts through it.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from contracts import topics
from contracts.facts.base import FactModel, FactPart
from contracts.lots import LotCode
from contracts.quantities import PositiveDecimal, UnitCode
from contracts.registry import FactType
from contracts.times import Timestamp

SHIPPED = "foodsafety.trace.shipped"
RECEIVED = "foodsafety.trace.received"
TRANSFORMED = "foodsafety.trace.transformed"
PACKED = "foodsafety.trace.packed"
UNPACKED = "foodsafety.trace.unpacked"
COMMISSIONED = "foodsafety.trace.commissioned"
CORRECTED = "foodsafety.trace.corrected"

Text = Annotated[str, Field(min_length=1, max_length=300)]
Ref = Annotated[str, Field(min_length=1, max_length=512)]


class LotMasterData(FactPart):
    """Lot master data (EPCIS ILMD, 批次信息) stated where a lot was created."""

    lot_number: Text | None = Field(None, description="the lot number as printed")
    production_date: str | None = Field(None, max_length=40,
                                        description="production date or time, as sent")
    harvest_date: str | None = Field(None, max_length=40,
                                     description="harvest date or start of harvest, as sent")
    harvest_end_date: str | None = Field(None, max_length=40,
                                         description="end of the harvest period, as sent")
    best_before_date: str | None = Field(None, max_length=40,
                                         description="best-before date (保质期至), as sent")
    expiry_date: str | None = Field(None, max_length=40,
                                    description="use-by / item expiration date, as sent")
    country_of_origin: str | None = Field(None, max_length=40,
                                          description="country of origin, ISO 3166 code")
    origin: Text | None = Field(None, description="place of origin (产地) in words")
    other: dict[str, Any] = Field(default_factory=dict,
                                  description="the other ILMD fields, by their JSON-LD key")


class _Movement(FactModel):
    """A lot changing hands (发货 / 收货)."""

    event_ref: Ref | None = Field(None, description="EPCIS eventID or a stable hash of the event")
    lot_code: LotCode = Field(description="the lot (or item, or logistic unit) that moved")
    product: Text = Field(description="product description: master-data name, else its id")
    product_id: Text | None = Field(None, description="product class id (GTIN or GDST class)")
    quantity: PositiveDecimal = Field(description="how much moved")
    unit: UnitCode = Field(description="UN/ECE Recommendation 20 unit of the quantity")
    from_entity: Text | None = Field(None, description="the shipper: party id, else its location")
    to_entity: Text | None = Field(None, description="the recipient: party id, else its location")
    from_location: Text | None = Field(None, description="where the lot left from")
    to_location: Text | None = Field(None, description="where the lot went to")
    at: Timestamp = Field(description="when it was shipped or received")
    certificate_no: Text | None = Field(None, description="合格证 number travelling with the lot")
    reference_document: Text | None = Field(
        None, description="reference document number (despatch advice, bill of lading, PO...)")
    reference_document_type: Text | None = Field(
        None, description="type of the reference document, e.g. desadv, bol, inv, po")


class TraceShipped(_Movement):
    """A business shipped a lot to another (FSMA 204 shipping CTE); the shipper is known."""

    @model_validator(mode="after")
    def _shipper_known(self) -> Self:
        if self.from_entity is None:
            raise ValueError("a shipment names its shipper (from_entity)")
        return self


class TraceReceived(_Movement):
    """A business received a lot (FSMA 204 receiving CTE); the recipient is known."""

    @model_validator(mode="after")
    def _recipient_known(self) -> Self:
        if self.to_entity is None:
            raise ValueError("a receipt names its recipient (to_entity)")
        return self


class TransformInput(FactPart):
    """A lot used up by a transformation."""

    lot_code: LotCode = Field(description="the input lot")
    product: Text | None = Field(None, description="product description of the input")
    quantity: PositiveDecimal = Field(description="how much of the lot was used")
    unit: UnitCode = Field(description="UN/ECE Recommendation 20 unit of the quantity")


class TransformOutput(FactPart):
    """A lot produced by a transformation."""

    lot_code: LotCode = Field(description="the new lot (new traceability lot code)")
    product: Text = Field(description="product description of the output")
    quantity: PositiveDecimal = Field(description="how much was produced")
    unit: UnitCode = Field(description="UN/ECE Recommendation 20 unit of the quantity")


class TraceTransformed(FactModel):
    """Input lots became output lots at a business (加工, 分装, 混批; FSMA 204 transformation)."""

    event_ref: Ref | None = Field(None, description="EPCIS eventID or a stable hash of the event")
    entity_id: Text = Field(description="the business that transformed: party id, else location")
    location: Text | None = Field(None, description="where the transformation happened")
    at: Timestamp = Field(description="when the transformation was completed")
    inputs: list[TransformInput] = Field(default_factory=list, description="lots used")
    outputs: list[TransformOutput] = Field(default_factory=list, description="lots produced")
    transformation_id: Text | None = Field(None, description="EPCIS transformationID linking "
                                           "the events of one transformation")
    lot_master_data: LotMasterData | None = Field(None, description="ILMD of the outputs")

    @model_validator(mode="after")
    def _has_lots(self) -> Self:
        if not self.inputs and not self.outputs:
            raise ValueError("a transformation has at least one input or output lot")
        return self


class PackedContent(FactPart):
    """A lot, item or inner container inside a logistic unit."""

    lot_code: LotCode = Field(description="the child lot, item or container")
    quantity: PositiveDecimal | None = Field(None, description="how much, when stated")
    unit: UnitCode | None = Field(None, description="unit of the quantity, when stated")


class _Aggregation(FactModel):
    event_ref: Ref | None = Field(None, description="EPCIS eventID or a stable hash of the event")
    container_id: LotCode = Field(description="the parent logistic unit, e.g. an SSCC pallet")
    contents: list[PackedContent] = Field(default_factory=list,
                                          description="the children packed or unpacked")
    entity_id: Text | None = Field(None, description="the business that packed or unpacked, "
                                   "when stated")
    location: Text | None = Field(None, description="where it happened")
    at: Timestamp = Field(description="when it happened")


class TracePacked(_Aggregation):
    """Lots or items were packed into a container (装箱 / 码托; EPCIS AggregationEvent ADD)."""

    @model_validator(mode="after")
    def _has_contents(self) -> Self:
        if not self.contents:
            raise ValueError("packing names what was packed")
        return self


class TraceUnpacked(_Aggregation):
    """Lots or items were taken out of a container (拆箱); no contents means all of them."""


class TraceCommissioned(FactModel):
    """A lot came into being at a business (生产 / 捕捞 / 收获 / 孵化), with its lot master data."""

    event_ref: Ref | None = Field(None, description="EPCIS eventID or a stable hash of the event")
    lot_code: LotCode = Field(description="the new lot or item")
    product: Text = Field(description="product description: master-data name, else its id")
    product_id: Text | None = Field(None, description="product class id (GTIN or GDST class)")
    quantity: PositiveDecimal | None = Field(None, description="how much, when stated")
    unit: UnitCode | None = Field(None, description="unit of the quantity, when stated")
    entity_id: Text | None = Field(None, description="the business that created the lot, "
                                   "when stated")
    location: Text | None = Field(None, description="where the lot was created")
    at: Timestamp = Field(description="when the lot was created")
    step: Text | None = Field(None, description="business step, e.g. commissioning, "
                              "urn:gdst:bizStep:fishingEvent")
    lot_master_data: LotMasterData | None = Field(None, description="ILMD of the lot")

    @model_validator(mode="after")
    def _unit_with_quantity(self) -> Self:
        if (self.quantity is None) != (self.unit is None):
            raise ValueError("quantity and unit come together")
        return self


class TraceCorrected(FactModel):
    """Earlier facts were declared in error (EPCIS errorDeclaration); they stay, marked wrong."""

    event_ref: Ref | None = Field(None, description="event ref of the error declaration itself")
    corrected_event_refs: list[Ref] = Field(min_length=1,
                                            description="event refs of the facts in error")
    reason: Text | None = Field(None, description="why: did_not_occur, incorrect_data or a URI")
    declared_at: Timestamp = Field(description="when the error was declared")
    corrective_event_refs: list[Ref] = Field(default_factory=list,
                                             description="event refs of the facts that replace "
                                                         "them, if any")
    event_type: Text | None = Field(None, description="EPCIS type of the event in error")
    event_at: Timestamp | None = Field(None, description="event time of the event in error")


def _output_or_input(fact: TraceTransformed) -> str:
    return fact.outputs[0].lot_code if fact.outputs else fact.inputs[0].lot_code


FACT_TYPES: tuple[FactType, ...] = (
    FactType(type=SHIPPED, version=1, model=TraceShipped, topic=topics.TRACE,
             key=lambda fact: fact.lot_code),
    FactType(type=RECEIVED, version=1, model=TraceReceived, topic=topics.TRACE,
             key=lambda fact: fact.lot_code),
    FactType(type=TRANSFORMED, version=1, model=TraceTransformed, topic=topics.TRACE,
             key=_output_or_input),
    FactType(type=PACKED, version=1, model=TracePacked, topic=topics.TRACE,
             key=lambda fact: fact.container_id),
    FactType(type=UNPACKED, version=1, model=TraceUnpacked, topic=topics.TRACE,
             key=lambda fact: fact.container_id),
    FactType(type=COMMISSIONED, version=1, model=TraceCommissioned, topic=topics.TRACE,
             key=lambda fact: fact.lot_code),
    FactType(type=CORRECTED, version=1, model=TraceCorrected, topic=topics.TRACE,
             key=lambda fact: fact.corrected_event_refs[0]),
)
