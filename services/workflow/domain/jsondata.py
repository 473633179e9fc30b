"""Checks for rule data read from JSON text (规则数据校验), each failing with a clear message."""

from __future__ import annotations

import json
from datetime import date
from typing import Any


def expect(condition: bool, err: type[ValueError], message: str) -> None:
    """Raise ``err(message)`` unless the condition holds."""
    if not condition:
        raise err(message)


def parse_json(text: str, err: type[ValueError]) -> object:
    """The JSON value in ``text``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise err(f"not JSON: {exc}") from None


def as_object(value: object, where: str, err: type[ValueError],
              keys: set[str]) -> dict[str, Any]:
    """A JSON object whose fields are all among ``keys``."""
    if not isinstance(value, dict):
        raise err(f"{where} must be an object")
    unknown = sorted(set(value) - keys)
    expect(not unknown, err, f"{where}: unknown field(s) {unknown}; known: {sorted(keys)}")
    return value


def as_list(value: object, where: str, err: type[ValueError]) -> list[object]:
    """A non-empty JSON array."""
    if not isinstance(value, list) or not value:
        raise err(f"{where} must be a non-empty list")
    return value


def as_strings(value: object, where: str, err: type[ValueError]) -> tuple[str, ...]:
    """A JSON array of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise err(f"{where} must be a list of non-empty strings")
    return tuple(value)


def text_field(obj: dict[str, Any], key: str, where: str, err: type[ValueError]) -> str:
    """A field holding non-empty text."""
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise err(f"{where}: {key} must be non-empty text")
    return value


def iso_date(value: object, where: str, err: type[ValueError]) -> date:
    """An ISO 8601 calendar date (YYYY-MM-DD)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise err(f"{where} must be an ISO date, got {value!r}")
