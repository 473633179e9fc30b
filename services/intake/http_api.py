"""HTTP ingestion for producers that cannot speak Kafka: one CloudEvent, a batch, EPCIS capture.

Every request is authenticated with a producer's bearer token and answered with the receipts,
after the facts, dead letters and receipts are acknowledged by Kafka.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic_core import from_json, to_json

from contracts.receipts import Channel, Receipt, ReceiptStatus
from services.intake.application import Answer, Inbound
from services.intake.decoding import EPCIS_TYPE
from services.intake.producers import Producer, ProducerRegistry
from services.platform.http import ApiError
from services.platform.responses import errors

Publish = Callable[[Sequence[Answer]], Awaitable[None]]
Answerer = Callable[[list[Inbound]], Awaitable[list[Answer]]]

_EXAMPLE_FACT: dict[str, Any] = {
    "specversion": "1.0", "id": "rpt-DC24410202001", "source": "urn:fangxin:lab:kaifeng-fdi",
    "type": "foodsafety.sampling.reported", "time": "2024-05-20T09:00:00+08:00",
    "data": {"sample_id": "DC24410202001", "entity_id": "91410202MA9FXXK41T",
             "lot_code": "urn:epc:class:lgtin:6901234.056789.L240508", "product": "韭菜",
             "category": "蔬菜", "program": "supervisory",
             "sampled_at": "2024-05-08T10:00:00+08:00",
             "reported_at": "2024-05-20T09:00:00+08:00", "lab": "开封市食品药品检验检测中心",
             "items": [{"analyte": "腐霉利", "value": "0.62", "unit": "mg/kg", "limit": "0.2",
                        "qualified": False}], "verdict": "unqualified"},
}


def _body_doc(media_type: str, example: Any, description: str,
              schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description,
                            "content": {media_type: {"schema": schema or {"type": "object"},
                                                     "example": example}}}}


def _receipt(description: str) -> dict[str, Any]:
    return {"model": Receipt, "description": description}


def ingestion_router(answer: Answerer, publish: Publish, producers: ProducerRegistry, *,
                     max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["ingestion"])

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body_bytes:
            raise ApiError(413, "body_too_large", f"the limit is {max_body_bytes} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body_bytes:
                raise ApiError(413, "body_too_large", f"the limit is {max_body_bytes} bytes")
        return body

    def authenticate(request: Request) -> Producer:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        producer = producers.by_token(token) if scheme.lower() == "bearer" and token else None
        if producer is None:
            raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <producer token>'")
        return producer

    async def ingest(producer: Producer, items: list[bytes]) -> list[Receipt]:
        inbound = [Inbound(raw, producer.source.encode(), f"http:{uuid.uuid4()}",
                           channel=Channel.HTTP, producer=producer) for raw in items]
        answers = await answer(inbound)
        await publish(answers)
        return [a.receipt for a in answers]

    def respond(receipts: list[Receipt], *, single: bool) -> JSONResponse:
        rejected = any(r.status is ReceiptStatus.REJECTED for r in receipts)
        body = receipts[0].model_dump(mode="json") if single else [
            r.model_dump(mode="json") for r in receipts]
        return JSONResponse(body, status_code=422 if single and rejected else 200)

    @router.post("/events", summary="Publish one CloudEvent (structured JSON mode)",
                 openapi_extra=_body_doc("application/cloudevents+json", _EXAMPLE_FACT,
                                         "one CloudEvent 1.0"),
                 responses={200: _receipt("accepted or duplicate: the receipt"),
                            422: _receipt("rejected: the receipt with its reasons"),
                            **errors(401, 413)})
    async def post_event(request: Request) -> JSONResponse:
        producer = authenticate(request)
        return respond(await ingest(producer, [await read_body(request)]), single=True)

    @router.post("/events/batch", summary="Publish a batch of CloudEvents",
                 openapi_extra=_body_doc("application/cloudevents-batch+json", [_EXAMPLE_FACT],
                                         "a JSON array of CloudEvents; each element gets "
                                         "its own receipt (one that is not an object is "
                                         "rejected as not_an_object)", {"type": "array"}),
                 responses={200: {"model": list[Receipt],
                                  "description": "one receipt per event, in order"},
                            **errors(400, 401, 413)})
    async def post_batch(request: Request) -> JSONResponse:
        producer = authenticate(request)
        try:
            items = from_json(await read_body(request))
        except ValueError as exc:
            raise ApiError(400, "not_json", f"the batch is not JSON: {exc}") from None
        if not isinstance(items, list):
            raise ApiError(400, "not_a_batch", "a batch is a JSON array of CloudEvents")
        return respond(await ingest(producer, [to_json(item) for item in items]), single=False)

    @router.post("/epcis/capture", summary="Capture an EPCIS 2.0 document",
                 openapi_extra=_body_doc("application/ld+json", {"type": "EPCISDocument"},
                                         "an EPCISDocument (JSON / JSON-LD)"),
                 responses={200: _receipt("accepted or duplicate: the receipt"),
                            422: _receipt("rejected: the receipt with its reasons"),
                            **errors(400, 401, 413)})
    async def capture_epcis(request: Request) -> JSONResponse:
        producer = authenticate(request)
        body = await read_body(request)
        if "*" in producer.source or "?" in producer.source:
            raise ApiError(400, "source_required", "this token covers many sources; send a "
                           "CloudEvent of type org.gs1.epcis.document to /events instead")
        wrapped = _wrap_epcis(body, producer.source, request.headers.get("gs1-capture-id"))
        return respond(await ingest(producer, [wrapped]), single=True)

    return router


def _wrap_epcis(body: bytes, source: str, capture_id: str | None) -> bytes:
    """An EPCIS document in a CloudEvent; its id is the capture id or the document's hash."""
    try:
        document = from_json(body[3:] if body.startswith(b"\xef\xbb\xbf") else body)
    except ValueError:
        return body  # not JSON: intake refuses it with its usual reason
    event = {"specversion": "1.0", "type": EPCIS_TYPE, "source": source,
             "id": capture_id or f"sha256:{hashlib.sha256(body).hexdigest()}",
             "time": datetime.now(UTC).isoformat(), "data": document}
    return to_json(event)
