"""Reading an EPCIS 2.0 JSON / JSON-LD document: bytes to JSON, where the events are, times, CBV.

Nothing here raises on bad input: readers return ``None`` (or a :class:`Reason`) and the caller
decides what a refusal says.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from contracts.receipts import Reason

BOM: Final = b"\xef\xbb\xbf"
MAX_DEPTH: Final = 64
DOCUMENT_TYPES: Final = ("EPCISDocument", "EPCISQueryDocument")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?:\.(?P<fraction>\d+))?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?")
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>[0-5]\d)")
EVENT_OFFSET: Final = re.compile(r"[+-]((0\d|1[0-3]):[0-5]\d|14:00)")
_CBV = re.compile(
    r"(?:https?://ref\.gs1\.org/cbv/|https?://gs1\.org/voc/|cbv:|gs1:)?"
    r"(?P<kind>BizStep|Disp|ER|SDT|BTT)-(?P<name>[A-Za-z0-9_]+)")
_CBV_URN = re.compile(
    r"urn:epcglobal:cbv:(?P<kind>bizstep|disp|er|sdt|btt):(?P<name>[A-Za-z0-9_]+)")


def member(path: str, key: str | int) -> str:
    """The JSON path of a member: ``$.a.b[0]['cbvmda:lotNumber']``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def load(document: dict[str, Any] | bytes | str) -> tuple[dict[str, Any] | None, Reason | None]:
    """The document as a JSON object; a leading UTF-8 byte order mark is tolerated in bytes."""
    if isinstance(document, str):
        document = document.encode("utf-8", "surrogatepass")
    if isinstance(document, bytes | bytearray):
        raw = bytes(document)
        if raw.startswith(BOM):
            raw = raw[len(BOM):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Reason(code="epcis.bad_encoding", path="$",
                                message=f"not UTF-8: {exc.reason} at byte {exc.start}")
        try:
            loaded: Any = _json(text)
        except (ValueError, RecursionError) as exc:
            return None, Reason(code="epcis.not_json", path="$",
                                message=f"not JSON text: {exc}"[:300])
    else:
        loaded = document
    if not isinstance(loaded, dict):
        return None, Reason(code="epcis.not_object", path="$",
                            message="an EPCIS document is a JSON object")
    if too_deep(loaded):
        return None, Reason(code="epcis.too_deep", path="$",
                            message=f"the document nests deeper than {MAX_DEPTH} levels")
    return loaded, None


def _json(text: str) -> Any:
    """JSON text; failing that, the same text without ``//`` and ``/* */`` comments (some
    EPCIS tools write JSON-LD with comments). The first error is the one reported."""
    try:
        return json.loads(text)
    except ValueError as first:
        stripped = strip_comments(text)
        if stripped == text:
            raise
        try:
            return json.loads(stripped)
        except ValueError:
            raise first from None


def strip_comments(text: str) -> str:
    """JSON text without ``//`` line and ``/* */`` block comments outside strings."""
    out: list[str] = []
    index, length, in_string = 0, len(text), False
    while index < length:
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\" and index + 1 < length:
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = length if end < 0 else end + 2
            out.append(" ")
            continue
        else:
            in_string = char == '"'
            out.append(char)
        index += 1
    return "".join(out)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON nests deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def event_list_path(document: dict[str, Any]) -> str:
    """Where the events of this kind of document are."""
    if document.get("type") == "EPCISQueryDocument":
        return "$.epcisBody.queryResults.resultsBody.eventList"
    return "$.epcisBody.eventList"


def events(document: dict[str, Any]) -> list[Any]:
    """The event list, or ``[]`` when the document has none where it should."""
    body: Any = document.get("epcisBody")
    if document.get("type") == "EPCISQueryDocument":
        body = _get(_get(body, "queryResults"), "resultsBody")
    found = _get(body, "eventList")
    return found if isinstance(found, list) else []


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def parse_offset(text: Any) -> timezone | None:
    """The fixed zone of ``±HH:MM`` (hours below 24), or ``None``."""
    if not isinstance(text, str) or (match := _OFFSET.fullmatch(text)) is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"])
    if hours > 23:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match["sign"] == "-" else delta)


def parse_time(text: Any, default_zone: timezone | None = None) -> datetime | None:
    """An RFC 3339 date-time (any number of fractional digits, truncated to microseconds).

    A time without an offset is read in ``default_zone`` (the event's ``eventTimeZoneOffset``);
    without one it is refused.
    """
    if not isinstance(text, str) or (match := _TIME.fullmatch(text)) is None:
        return None
    offset = match["offset"]
    zone = default_zone if offset is None else (
        UTC if offset in ("Z", "z") else parse_offset(offset))
    year, month, day = (int(part) for part in match["date"].split("-"))
    if zone is None or not 1 < year < 9999:  # leaves room to change the offset
        return None
    try:
        return datetime(year, month, day, int(match["hour"]), int(match["minute"]),
                        int(match["second"]), int((match["fraction"] or "0")[:6].ljust(6, "0")),
                        tzinfo=zone)
    except ValueError:
        return None


def local_name(key: str) -> str:
    """The part of a JSON-LD key or IRI after its prefix: ``cbvmda:lotNumber`` -> ``lotNumber``."""
    return re.split(r"[:#/]", key)[-1]


def extension(obj: dict[str, Any], name: str) -> Any:
    """The value of a prefixed member by its local name (``gdst:productOwner``), or ``None``."""
    for key, value in obj.items():
        if isinstance(key, str) and ":" in key and local_name(key) == name:
            return value
    return None


def cbv(value: Any) -> str | None:
    """A CBV value in its short form (``shipping``) whichever way it was written; others as is."""
    if not isinstance(value, str):
        return None
    match = _CBV.fullmatch(value) or _CBV_URN.fullmatch(value)
    return match["name"] if match else value
