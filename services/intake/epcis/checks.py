"""A collector of refusals for the EPCIS checks: each one a stable code, a JSON path, a message."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from contracts.receipts import Reason
from services.intake.epcis.parse import member, parse_time


class Checks:
    """Collects :class:`Reason` objects; the helpers answer whether the member passed."""

    def __init__(self, prefix: str = "epcis") -> None:
        self.prefix = prefix
        self.reasons: list[Reason] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.reasons.append(Reason(code=f"{self.prefix}.{code}", path=path, message=message))

    def ensure(self, ok: bool, path: str, message: str, code: str = "type") -> bool:
        if not ok:
            self.add(code, path, message)
        return ok

    def required(self, obj: dict[str, Any], key: str, path: str) -> bool:
        return self.ensure(key in obj, member(path, key), f"{key} is required", "required")

    def text(self, obj: dict[str, Any], key: str, path: str, *, required: bool = False) -> bool:
        """An optional (or required) non-empty string member."""
        if key not in obj:
            return not required or self.required(obj, key, path)
        value = obj[key]
        return self.ensure(isinstance(value, str) and bool(value.strip()), member(path, key),
                           f"{key} is a non-empty string")

    def time(self, obj: dict[str, Any], key: str, path: str, *, required: bool = False,
             zone: timezone | None = None) -> bool:
        """An RFC 3339 date-time member; without an offset it is read in ``zone``."""
        if key not in obj:
            return not required or self.required(obj, key, path)
        return self.ensure(parse_time(obj[key], zone) is not None, member(path, key),
                           f"{key} is an RFC 3339 date-time with an offset, e.g. "
                           "2023-06-01T09:30:00.000+08:00", "time")


def is_number(value: Any) -> bool:
    """A JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
