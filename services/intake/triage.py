"""Triage of one inbound message: accept it for a canonical topic, or refuse it with reasons.

Pure: bytes in, a decision out. The transport around it publishes what this decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts import topics
from contracts.envelope import CloudEvent
from contracts.facts import sampling
from contracts.receipts import Reason


@dataclass(frozen=True)
class Route:
    """Where a fact type goes and what keys it there."""

    model: type[BaseModel]
    topic: str
    key: Callable[[Any], str]


ROUTES: dict[str, Route] = {
    sampling.TYPE: Route(sampling.SamplingReported, topics.SUPERVISION, lambda d: d.entity_id),
}


@dataclass(frozen=True)
class Accepted:
    event: CloudEvent
    topic: str
    key: str


@dataclass(frozen=True)
class Rejected:
    reasons: list[Reason]
    envelope: dict[str, Any] = field(default_factory=dict)


def triage(raw: bytes | None, *, max_bytes: int) -> Accepted | Rejected:
    """Decide what to do with the bytes of one inbound message."""
    document = _json_object(raw or b"", max_bytes)
    if isinstance(document, Rejected):
        return document
    known = {k: v for k in ("source", "id", "type") if isinstance(v := document.get(k), str)}
    try:
        event = CloudEvent.model_validate(document)
    except ValidationError as exc:
        return Rejected(_reasons("envelope", exc), known)
    route = ROUTES.get(event.type)
    if route is None:
        return Rejected([Reason(code="unknown_type", path="type",
                                message=f"no fact type {event.type!r}")], known)
    try:
        data = route.model.model_validate(event.data)
    except ValidationError as exc:
        return Rejected(_reasons("data", exc), known)
    return Accepted(event, route.topic, route.key(data))


def _json_object(raw: bytes, max_bytes: int) -> dict[str, Any] | Rejected:
    if len(raw) > max_bytes:
        return Rejected([Reason(code="too_large",
                                message=f"{len(raw)} bytes, limit is {max_bytes}")])
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return Rejected([Reason(code="not_json", message=f"not JSON text: {exc}"[:300])])
    if not isinstance(document, dict):
        return Rejected([Reason(code="not_an_object", message="a CloudEvent is a JSON object")])
    return document


def _reasons(prefix: str, exc: ValidationError) -> list[Reason]:
    code = "invalid_envelope" if prefix == "envelope" else "invalid_data"
    return [
        Reason(code=code, path=".".join([prefix if prefix == "data" else "",
                                         *map(str, err["loc"])]).lstrip("."),
               message=err["msg"])
        for err in exc.errors()[:20]
    ]
