"""Answers to producers: one receipt per inbound message, and dead letters for the refused."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


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
    inbound_topic: str
    inbound_partition: int
    inbound_offset: int
    routed_to: str | None = None
    reasons: list[Reason] = Field(default_factory=list)
    processed_at: AwareDatetime


class DeadLetter(BaseModel):
    """Published on foodsafety.rejected.v1: the original bytes and why they were refused."""

    model_config = ConfigDict(frozen=True)

    original_base64: str = Field(description="the message value exactly as received, base64")
    original_key_base64: str | None = None
    inbound_topic: str
    inbound_partition: int
    inbound_offset: int
    reasons: list[Reason] = Field(min_length=1)
    rejected_at: AwareDatetime
