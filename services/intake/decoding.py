"""Decoding inbound bytes into a typed CloudEvent in one validation pass.

Every registered fact type becomes one variant of a union discriminated by ``type``, so the raw
bytes are parsed and validated once on the fast path. Only a refused message is parsed again,
leniently, to name the producer in its receipt and to explain each refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model
from pydantic_core import ErrorDetails, from_json

from contracts.envelope import CloudEvent
from contracts.receipts import Reason
from contracts.registry import FactType
from services.intake.codes import Code

EPCIS_TYPE = "org.gs1.epcis.document"
BOM = b"\xef\xbb\xbf"
NUL_ESCAPE = b"\\u0000"  # how JSON spells U+0000 (a raw NUL byte is not JSON at all)
_VERSION = re.compile(r"(?:\.v|/v)(\d+)(?:\.json)?$")


@dataclass(frozen=True)
class Decoded:
    """A CloudEvent whose envelope and data passed their models."""

    event: CloudEvent
    fact_type: FactType | None  # None for EPCIS documents, which map to many facts
    data: BaseModel | dict[str, Any]


@dataclass(frozen=True)
class Refused:
    reasons: list[Reason]
    envelope: dict[str, str] = field(default_factory=dict)  # source / id / type when readable


class FactDecoder:
    """Decodes bytes against every fact type of the registry (built once per process)."""

    def __init__(self, fact_types: dict[str, FactType], *, max_bytes: int) -> None:
        self.fact_types = fact_types
        self.max_bytes = max_bytes
        variants = [_variant(name, ft.model) for name, ft in fact_types.items()]
        variants.append(_variant(EPCIS_TYPE, dict[str, Any]))
        union: Any = Annotated[Union[tuple(variants)], Field(discriminator="type")]  # noqa: UP007
        self._adapter: TypeAdapter[CloudEvent] = TypeAdapter(union)

    def decode(self, raw: bytes | None) -> Decoded | Refused:
        raw = raw or b""
        if len(raw) > self.max_bytes:
            return Refused([Reason(code=Code.TOO_LARGE,
                                   message=f"{len(raw)} bytes; the limit is {self.max_bytes}")])
        if raw.startswith(BOM):
            raw = raw[len(BOM):]  # RFC 8259 lets a parser ignore a byte order mark
        try:
            event = self._adapter.validate_json(raw)
        except ValidationError as exc:
            return self._explain(raw, exc)
        if NUL_ESCAPE in raw and (nul := nul_reasons(from_json(raw))):
            return Refused(nul, {"source": event.source, "id": event.id, "type": event.type})
        return self._versioned(event)

    def _versioned(self, event: CloudEvent) -> Decoded | Refused:
        fact_type = self.fact_types.get(event.type)
        wanted = _VERSION.search(event.dataschema or "")
        if fact_type is not None and wanted and int(wanted.group(1)) != fact_type.version:
            return Refused([Reason(code=Code.UNSUPPORTED_VERSION, path="dataschema",
                                   message=f"{event.type} has schema version "
                                           f"{fact_type.version}, not {wanted.group(1)}")],
                           {"source": event.source, "id": event.id, "type": event.type})
        return Decoded(event, fact_type, event.data)

    def _explain(self, raw: bytes, exc: ValidationError) -> Refused:
        errors = exc.errors(include_url=False, include_input=False)
        if errors[0]["type"] == "json_invalid":
            return Refused([_json_reason(raw, errors[0]["msg"])])
        document = from_json(raw)
        if not isinstance(document, dict):
            return Refused([Reason(code=Code.NOT_AN_OBJECT,
                                   message="a CloudEvent is a JSON object")])
        known = {k: v for k in ("source", "id", "type") if isinstance(v := document.get(k), str)}
        return Refused([_reason(error) for error in errors[:20]], known)


def _variant(name: str, data: Any) -> Any:
    """The envelope of one fact type: ``type`` fixed to its name, ``data`` its model."""
    tag: Any = Literal[name]
    return create_model(f"Envelope[{name}]", __base__=CloudEvent, type=(tag, ...),
                        data=(data, ...))


def _json_reason(raw: bytes, message: str) -> Reason:
    if "recursion limit" in message:
        return Reason(code=Code.TOO_DEEP, message=message)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reason(code=Code.BAD_ENCODING, message=f"not UTF-8: {exc.reason} at byte "
                                                      f"{exc.start}")
    return Reason(code=Code.NOT_JSON, message=message)


def _reason(error: ErrorDetails) -> Reason:
    kind, loc = error["type"], error["loc"]
    if kind == "union_tag_invalid":
        return Reason(code=Code.UNKNOWN_TYPE, path="type",
                      message="not a fact type the platform knows (see contracts/schemas/)")
    if kind == "union_tag_not_found":
        return Reason(code=Code.INVALID_ENVELOPE, path="type", message="`type` is required")
    loc = loc[1:]  # drop the union tag
    code = Code.INVALID_DATA if loc[:1] == ("data",) else Code.INVALID_ENVELOPE
    return Reason(code=code, path=json_path(loc), message=error["msg"])


def nul_reasons(document: Any, limit: int = 20) -> list[Reason]:
    """Where a decoded message holds U+0000 in a string or a key: no text column of the
    platform's PostgreSQL stores can keep one, so such a fact is refused here, at the edge."""
    found: list[tuple[int | str, ...]] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), document)]
    while stack and len(found) < limit:
        loc, node = stack.pop()
        if isinstance(node, dict):
            found += [(*loc, key) for key in node if "\x00" in key]
            stack += [((*loc, key), value) for key, value in node.items()]
        elif isinstance(node, list):
            stack += [((*loc, index), value) for index, value in enumerate(node)]
        elif isinstance(node, str) and "\x00" in node:
            found.append(loc)
    return [Reason(code=Code.INVALID_DATA if loc[:1] == ("data",) else Code.INVALID_ENVELOPE,
                   path=json_path(loc).replace("\x00", "\\u0000"),
                   message="holds a NUL character (U+0000), which the platform cannot store")
            for loc in sorted(found[:limit], key=str)]


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("data", "items", 0, "qualified")`` → ``data.items[0].qualified``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
