"""Answers to producers: one receipt per inbound message, and dead letters for the refused."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class Channel(StrEnum):
    KAFKA = "kafka"
    HTTP = "http"


class Reason(BaseModel):
    """Why a message was refused, machine-readable."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="stable rejection code, e.g. not_json")
    path: str = Field(default="", description="JSON path of the offending field, '' for all")
    message: str = Field(description="what a person should fix")


class Receipt(BaseModel):
    """Published on foodsafety.receipts.v1 for every inbound message, exactly once."""

    model_config = ConfigDict(frozen=True)

    status: ReceiptStatus
    source: str | None = Field(description="CloudEvent source, when it could be read")
    id: str | None = Field(description="CloudEvent id, when it could be read")
    type: str | None = None
    channel: Channel = Field(Channel.KAFKA, description="how the message reached intake")
    inbound_topic: str | None = Field(None, description="Kafka topic of the message (kafka)")
    inbound_partition: int | None = None
    inbound_offset: int | None = None
    routed_to: list[str] = Field(default_factory=list,
                                 description="canonical topics the fact (or its parts) went to")
    facts: int = Field(0, ge=0, description="canonical facts produced (EPCIS documents: many)")
    duplicate_of: str | None = Field(None, description="where the first copy arrived "
                                     "(kafka:<topic>:<partition>:<offset> or http:<request id>)")
    reasons: list[Reason] = Field(default_factory=list)
    processed_at: AwareDatetime
    trace_id: str | None = Field(None, description="W3C trace id of the fact's journey (the "
                                 "traceparent header of every record about it; see "
                                 "contracts/tracecontext.py)")


class DeadLetter(BaseModel):
    """Published on foodsafety.rejected.v1: the original bytes and why they were refused."""

    model_config = ConfigDict(frozen=True)

    original_base64: str = Field(description="the message value exactly as received, base64")
    original_key_base64: str | None = None
    source: str | None = Field(None, description="CloudEvent source, when it could be read")
    id: str | None = Field(None, description="CloudEvent id, when it could be read")
    channel: Channel = Channel.KAFKA
    inbound_topic: str | None = None
    inbound_partition: int | None = None
    inbound_offset: int | None = None
    reasons: list[Reason] = Field(min_length=1)
    rejected_at: AwareDatetime
    trace_id: str | None = Field(None, description="W3C trace id, as in the receipt")
