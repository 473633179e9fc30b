"""Event times: RFC 3339 with a required offset, canonical in UTC, the original offset kept.

Design (one choice for every time field of every fact):

- **Input.** A time is an RFC 3339 string with an explicit offset: ``2023-06-01T09:30:00+08:00``
  or ``...Z``. A time without an offset is refused (we never guess a zone), and so is ``-00:00``
  ("local offset unknown", RFC 3339 §4.3): deadlines run on Chinese working days, so the local
  date must be known. Numbers (Unix seconds) and bare dates are refused too. Python callers may
  pass an aware ``datetime``.
- **Python value.** An aware ``datetime`` in the *original* fixed offset. Comparison, hashing and
  arithmetic work on the instant, and ``value.date()`` is the local date the producer meant.
- **Canonical JSON** (``model_dump(mode="json")`` of a :class:`OffsetKeepingModel`): the field holds
  the instant in UTC (``"2023-06-01T01:30:00Z"``) and a sibling ``<field>_offset`` keeps the
  original offset (``"+08:00"``). Validating the canonical JSON again gives back the same value
  (same instant, same offset), so normalisation is idempotent. A producer may send the sibling
  itself; then the time must be in UTC or carry that same offset.

The JSON Schema of every such model documents the ``<field>_offset`` siblings, and the same schema
serves input and canonical output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from types import UnionType
from typing import Annotated, Any, ClassVar, Final, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

OFFSET_SUFFIX: Final = "_offset"

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>[01]\d|2[0-3]):(?P<minutes>[0-5]\d)")
_OFFSET_PATTERN: Final = r"^[+-]([01]\d|2[0-3]):[0-5]\d$"
_TIMESTAMP_PATTERN: Final = (
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


class _TimestampMarker:
    """Marks a field as a :data:`Timestamp` so that models can find it."""


_MARKER: Final = _TimestampMarker()
class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


@dataclass(frozen=True)
class _WithOffset:
    """A time and the ``<field>_offset`` sent beside it, paired up before field validation."""

    value: Any
    offset: Any
    field: str


def _error(code: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(code, message, context or None)


def parse_offset(text: object) -> timezone:
    """The fixed zone of an RFC 3339 offset ``±HH:MM`` (``-00:00`` means unknown: refused)."""
    if not isinstance(text, str) or (match := _OFFSET.fullmatch(text)) is None:
        raise _error("offset_format", "an offset is written ±HH:MM, e.g. +08:00")
    if text == "-00:00":
        raise _error("offset_unknown", "offset -00:00 means 'unknown'; send the local offset")
    delta = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
    return timezone(-delta if match["sign"] == "-" else delta)


def format_offset(value: datetime) -> str:
    """The offset of an aware time as ``±HH:MM`` (UTC is ``+00:00``)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a naive time has no offset")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_utc_text(value: datetime) -> str:
    """The canonical JSON text of a time: the instant in UTC, ``Z`` suffix."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _fixed(value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        raise _error("timestamp_offset_missing", "a time needs an offset, e.g. +08:00")
    if offset % timedelta(minutes=1):
        raise _error("timestamp_offset_format", "an offset is whole minutes")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise _error("timestamp_range", "the time is out of range") from None
    return value.replace(tzinfo=timezone(offset))


def _parse(value: object) -> datetime:
    if isinstance(value, datetime):
        return _fixed(value)
    if not isinstance(value, str):
        raise _error("timestamp_type", "a time is an RFC 3339 string, e.g. "
                     "2023-06-01T09:30:00+08:00")
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise _error("timestamp_format", "not an RFC 3339 date-time, e.g. "
                     "2023-06-01T09:30:00+08:00")
    if match["offset"] is None:
        raise _error("timestamp_offset_missing", "a time needs an offset, e.g. +08:00 or Z")
    if match["offset"] == "-00:00":
        raise _error("offset_unknown", "offset -00:00 means 'unknown'; send the local offset")
    try:
        parsed = datetime.fromisoformat(value if value.isupper() else value.upper())
    except ValueError:
        raise _error("timestamp_value", "no such date or time") from None
    if 1 < parsed.year < 9999:
        return parsed  # the pattern allows only whole-minute offsets; in range at any offset
    return _fixed(parsed)


def _validate(value: object) -> datetime:
    if not isinstance(value, _WithOffset):
        return _parse(value)
    sibling = f"{value.field}{OFFSET_SUFFIX}"
    if value.value is _MISSING or value.value is None:
        raise _error("offset_without_time", "{sibling} is given without {field}",
                     sibling=sibling, field=value.field)
    zone = parse_offset(value.offset)
    parsed = _parse(value.value)
    if parsed.utcoffset() not in (timedelta(0), zone.utcoffset(None)):
        raise _error("offset_conflict", "{field} has another offset than {sibling}",
                     sibling=sibling, field=value.field)
    return _fixed(parsed.astimezone(zone))


Timestamp = Annotated[
    datetime,
    PlainValidator(_validate),
    PlainSerializer(to_utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _TIMESTAMP_PATTERN}),
    _MARKER,
]
"""An RFC 3339 time with a required offset; JSON in UTC; see the module docstring."""


def _is_timestamp(annotation: Any) -> bool:
    """``Timestamp`` or an optional ``Timestamp``."""
    if any(meta is _MARKER for meta in getattr(annotation, "__metadata__", ())):
        return True
    return get_origin(annotation) in (Union, UnionType) and any(
        _is_timestamp(arg) for arg in get_args(annotation))


def _document_offsets(schema: dict[str, Any], model: type[Any]) -> None:
    properties = schema.get("properties", {})
    for name in getattr(model, "timestamp_fields", ()):
        if name in properties:
            properties[f"{name}{OFFSET_SUFFIX}"] = {
                "type": "string",
                "pattern": _OFFSET_PATTERN,
                "description": f"the original UTC offset of {name}; canonical output has it, "
                               f"and {name} is then in UTC",
            }


def timestamp_fields_of(model: type[BaseModel]) -> tuple[str, ...]:
    """The names of a model's :data:`Timestamp` fields."""
    return tuple(name for name, field in model.model_fields.items()
                 if _is_timestamp(field.annotation) or any(m is _MARKER for m in field.metadata))


class OffsetKeepingModel(BaseModel):
    """A model whose :data:`Timestamp` fields travel as UTC plus a ``<field>_offset`` sibling."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_document_offsets,
                              json_schema_mode_override="validation")

    timestamp_fields: ClassVar[tuple[str, ...]] = ()
    offset_pairs: ClassVar[tuple[tuple[str, str], ...]] = ()  # (field, its offset sibling)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.timestamp_fields = timestamp_fields_of(cls)
        cls.offset_pairs = tuple((name, f"{name}{OFFSET_SUFFIX}") for name in cls.timestamp_fields)

    @model_validator(mode="before")
    @classmethod
    def _pair_offsets(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        keys = cls.offset_pairs
        if not any(sibling in data for _, sibling in keys):
            return data
        paired = dict(data)
        for name, sibling in keys:
            if sibling in paired:
                paired[name] = _WithOffset(paired.get(name, _MISSING), paired.pop(sibling), name)
        return paired

    @property
    def model_extra(self) -> dict[str, Any] | None:
        """The extra fields the producer sent (the offset siblings are not among them)."""
        extra = self.__pydantic_extra__
        if extra is None:
            return None
        siblings = {sibling for _, sibling in self.offset_pairs}
        return {key: value for key, value in extra.items() if key not in siblings}

    @model_validator(mode="after")
    def _keep_offsets(self) -> OffsetKeepingModel:
        """Record each time's original offset as its sibling (an extra field).

        Extra fields are serialized by pydantic's core after the declared ones, so the canonical
        JSON needs no Python serializer (which would cost as much again as the validation).
        """
        extra = self.__pydantic_extra__
        if extra is None:
            raise TypeError(f"{type(self).__name__} must allow extra fields to keep offsets")
        values = self.__dict__
        for name, sibling in self.offset_pairs:
            stamp = values[name]
            if stamp is not None:
                extra[sibling] = format_offset(stamp)
            else:
                extra.pop(sibling, None)
        return self
