"""What the trace read model offers: its page type and the view protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.trace.rows import Rows

DEFAULT_DEPTH = 10
DEFAULT_LIMIT = 500
MAX_DEPTH = 50


@dataclass(frozen=True)
class TracePage:
    """One page of an upstream or downstream trace.

    ``lots`` are the lots reached on this page with their depth (links walked from the lot
    asked about: transformations, packing and unpacking); ``movements`` are the shipments,
    receipts, commissionings and the links themselves, each with ``flags``: ``corrected``
    (declared in error, kept), ``quantity_mismatch``, ``receipt_without_shipment``,
    ``shipment_without_receipt``. ``next_cursor`` is None on the last page.
    """

    lot: str
    direction: str
    depth: int
    lots: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


class TraceView(Protocol):
    """What the projection, the spreadsheet and the HTTP API need from the trace read model."""

    def write(self, rows: Rows, tracking: Tracking) -> None: ...
    def write_events(self, events: Sequence[CloudEvent | CaseEvent],
                     tracking: Tracking) -> int: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...
    def lot(self, lot: str) -> dict[str, Any] | None: ...
    def lots(self, codes: list[str]) -> dict[str, dict[str, Any]]: ...
    def entities(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def upstream(  # noqa: PLR0917 - the positional order is the documented API
            self, lot: str, depth: int = ..., since: datetime | None = ...,
            until: datetime | None = ..., limit: int = ...,
            cursor: str | None = ...) -> TracePage: ...
    def downstream(  # noqa: PLR0917 - the positional order is the documented API
            self, lot: str, depth: int = ..., since: datetime | None = ...,
            until: datetime | None = ..., limit: int = ...,
            cursor: str | None = ...) -> TracePage: ...
    def mismatches(self, lot: str) -> list[dict[str, Any]]: ...
    def recall_scope(self, lot: str, depth: int = ..., since: datetime | None = ...,
                     until: datetime | None = ...) -> list[dict[str, Any]]: ...
    def dossier(self, entity_id: str) -> dict[str, Any] | None: ...
    def trace_events(self, lot: str, depth: int = ..., since: datetime | None = ...,
                     until: datetime | None = ...) -> list[dict[str, Any]]: ...
    def events_between(self, since: datetime, until: datetime,
                       limit: int = ...) -> list[dict[str, Any]]: ...
    def digest(self) -> str: ...
    def analyze(self) -> None: ...
