"""Lot codes: GS1 identifiers in one canonical form, other systems' codes passed through trimmed.

A lot reaches the platform in many spellings. GS1 EPC URNs (``urn:epc:class:lgtin:...``,
``urn:epc:id:sgtin:...``) and GS1 Digital Link URIs (``https://<any host>/01/<gtin>/10/<lot>``,
with other path segments, query or fragment) that carry the same GTIN and lot are the same lot,
so :func:`normalise_lot` gives both the **canonical Digital Link on id.gs1.org**:

========================  ==================================================  ===============
what                      canonical form                                      kind
========================  ==================================================  ===============
GTIN + lot (AI 01 + 10)   ``https://id.gs1.org/01/<gtin14>/10/<lot>``         ``lot``
GTIN + serial (01 + 21)   ``https://id.gs1.org/01/<gtin14>/21/<serial>``      ``item``
GTIN alone (01)           ``https://id.gs1.org/01/<gtin14>``                  ``product``
SSCC (AI 00)              ``https://id.gs1.org/00/<sscc18>``                  ``logistic_unit``
anything else             the text with surrounding blanks removed            ``other``
========================  ==================================================  ===============

- The GTIN-14 of an EPC is the indicator digit, the company prefix, the item reference and a
  computed check digit; a Digital Link GTIN-8/12/13 is left-padded to 14 digits. An SSCC-18 is
  built the same way from the extension digit, company prefix and serial reference.
- A lot or serial is percent-decoded from its source and percent-encoded again canonically
  (every character outside ``A-Z a-z 0-9 - . _ ~``), so ``AB%2F1`` and ``AB/1`` meet.
- A serialised item keeps its own identity (GTIN + serial), even when a Digital Link also states
  its lot; :attr:`ParsedLot.lot_class` then names that lot.
- Text that only looks like GS1 (wrong digit counts, a check digit that does not compute, an
  key qualifier other than lot and serial, such as a consumer product variant) is not re-spelt:
  it passes through trimmed, kind ``other``. Codes of
  Chinese market systems (e.g. ``LT-20230612-001``) are ``other`` as well; their case is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Final
from urllib.parse import quote, unquote, urlsplit

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

CANONICAL_HOST: Final = "https://id.gs1.org"
MAX_LOT_LENGTH: Final = 300

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EPC = re.compile(r"urn:epc:(?P<form>id|class|idpat):(?P<scheme>sgtin|lgtin|sscc):(?P<body>.+)",
                  re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_DL_ALIASES: Final = {"gtin": "01", "sscc": "00", "lot": "10", "ser": "21"}
_GTIN_QUALIFIERS: Final = ("10", "21")  # in Digital Link order: lot, then serial
_GS1_TEXT = re.compile(r"[!-~]{1,20}")  # a lot or serial: 1-20 printable ASCII characters
# Already canonical: GTIN-14 and a lot of unreserved characters only (its encoding is itself)
_CANONICAL_LOT = re.compile(r"https://id\.gs1\.org/01/(\d{14})/10/[A-Za-z0-9._~-]{1,20}")


class LotKind(StrEnum):
    """What a lot code identifies (批次 / 单品 / 商品 / 物流单元 / 其他系统的批次码)."""

    LOT = "lot"
    ITEM = "item"
    PRODUCT = "product"
    LOGISTIC_UNIT = "logistic_unit"
    OTHER = "other"


@dataclass(frozen=True)
class ParsedLot:
    """A lot code taken apart: its canonical text, kind and GS1 elements when it has them."""

    canonical: str
    kind: LotKind
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None

    @property
    def product_class(self) -> str | None:
        """The canonical GTIN-only code of the product, when the code carries a GTIN."""
        return f"{CANONICAL_HOST}/01/{self.gtin}" if self.gtin else None

    @property
    def lot_class(self) -> str | None:
        """The canonical lot-level code, when the code carries a GTIN and a lot."""
        if self.gtin and self.lot:
            return f"{CANONICAL_HOST}/01/{self.gtin}/10/{_encode(self.lot)}"
        return None


def gs1_check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for the digits of a GTIN or SSCC without its check digit."""
    if not body or _DIGITS.fullmatch(body) is None:
        raise ValueError("a GS1 key body is digits only")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def parse_lot(code: str) -> ParsedLot:
    """Take a lot code apart; raises ``ValueError`` when it is empty, too long or has controls."""
    text = code.strip()
    if not text:
        raise ValueError("a lot code is not blank")
    if _CONTROL.search(text):
        raise ValueError("a lot code has no control characters")
    parsed = _parse_epc(text) or _parse_digital_link(text) or ParsedLot(text, LotKind.OTHER)
    if len(parsed.canonical) > MAX_LOT_LENGTH:
        raise ValueError(f"a lot code has at most {MAX_LOT_LENGTH} characters")
    return parsed


@lru_cache(maxsize=65_536)
def normalise_lot(code: str) -> str:
    """The canonical form of a lot code (see the module docstring); idempotent.

    Remembered per code: the same lots come back in shipments, receipts, samples and recalls.
    """
    canonical = _CANONICAL_LOT.fullmatch(code)
    if canonical is not None and _valid_key(canonical[1], 14):
        return code  # what parse_lot would give, without taking the URI apart
    return parse_lot(code).canonical


def lot_kind(code: str) -> LotKind:
    """What a lot code identifies."""
    return parse_lot(code).kind


def _encode(value: str) -> str:
    return quote(value, safe="")


def _sscc(sscc: str) -> ParsedLot:
    return ParsedLot(f"{CANONICAL_HOST}/00/{sscc}", LotKind.LOGISTIC_UNIT, sscc=sscc)


def _gtin(gtin: str, *, lot: str | None = None, serial: str | None = None) -> ParsedLot:
    base = f"{CANONICAL_HOST}/01/{gtin}"
    if serial is not None:
        return ParsedLot(f"{base}/21/{_encode(serial)}", LotKind.ITEM, gtin=gtin, lot=lot,
                         serial=serial)
    if lot is not None:
        return ParsedLot(f"{base}/10/{_encode(lot)}", LotKind.LOT, gtin=gtin, lot=lot)
    return ParsedLot(base, LotKind.PRODUCT, gtin=gtin)


def _text_element(raw: str) -> str | None:
    value = unquote(raw)
    return value if _GS1_TEXT.fullmatch(value) else None


def _parse_epc(text: str) -> ParsedLot | None:
    match = _EPC.fullmatch(text)
    if match is None:
        return None
    form, scheme = match["form"].lower(), match["scheme"].lower()
    parts = match["body"].split(".", 2)  # a lot or serial may itself contain dots
    if scheme == "sscc":
        return _epc_sscc(parts) if form == "id" else None
    gtin = _epc_gtin(parts[0], parts[1]) if len(parts) == 3 else None
    if gtin is None:
        return None
    if (form, scheme, parts[2]) == ("idpat", "sgtin", "*"):
        return _gtin(gtin)
    value = _text_element(parts[2])
    if value is None or (form, scheme) not in (("class", "lgtin"), ("id", "sgtin")):
        return None
    return _gtin(gtin, lot=value) if scheme == "lgtin" else _gtin(gtin, serial=value)


def _epc_sscc(parts: list[str]) -> ParsedLot | None:
    if len(parts) != 2 or not all(_DIGITS.fullmatch(p) for p in parts):
        return None
    prefix, reference = parts
    if len(prefix) + len(reference) != 17 or not 6 <= len(prefix) <= 12:
        return None
    body = reference[0] + prefix + reference[1:]
    return _sscc(body + gs1_check_digit(body))


def _epc_gtin(prefix: str, indicator_and_item: str) -> str | None:
    """The GTIN-14 of an EPC company prefix and indicator digit + item reference."""
    if not (_DIGITS.fullmatch(prefix) and _DIGITS.fullmatch(indicator_and_item)):
        return None
    if len(prefix) + len(indicator_and_item) != 13 or not 6 <= len(prefix) <= 12:
        return None
    body = indicator_and_item[0] + prefix + indicator_and_item[1:]
    return body + gs1_check_digit(body)


def _valid_key(digits: str, length: int) -> bool:
    return (_DIGITS.fullmatch(digits) is not None and len(digits) == length
            and gs1_check_digit(digits[:-1]) == digits[-1])


def _parse_digital_link(text: str) -> ParsedLot | None:
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    segments = parts.path.split("/")
    for start, segment in enumerate(segments):
        primary = _DL_ALIASES.get(segment, segment)  # names stand for AIs, never for values
        if primary in ("00", "01") and start + 1 < len(segments):
            return _digital_link_keys(primary, segments[start + 1:])
    return None


def _digital_link_keys(primary: str, rest: list[str]) -> ParsedLot | None:
    key, pairs = unquote(rest[0]), rest[1:]
    if primary == "00":
        return _sscc(key) if not pairs and _valid_key(key, 18) else None
    if len(key) in (8, 12, 13):
        key = key.rjust(14, "0")
    if not _valid_key(key, 14) or len(pairs) % 2:
        return None
    qualifiers: dict[str, str] = {}
    order = 0
    for index in range(0, len(pairs), 2):
        ai, value = _DL_ALIASES.get(pairs[index], pairs[index]), _text_element(pairs[index + 1])
        if ai not in _GTIN_QUALIFIERS[order:] or value is None:
            return None
        order = _GTIN_QUALIFIERS.index(ai) + 1
        qualifiers[ai] = value
    return _gtin(key, lot=qualifiers.get("10"), serial=qualifiers.get("21"))


def _validated(value: str) -> str:
    try:
        return normalise_lot(value)
    except ValueError as exc:
        raise PydanticCustomError("lot_code", "{problem}", {"problem": str(exc)}) from None


LotCode = Annotated[
    str,
    AfterValidator(_validated),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_LOT_LENGTH,
                    "description": "a lot code: GS1 identifiers (EPC URN or Digital Link) are "
                                   "normalised to the Digital Link on id.gs1.org; other codes "
                                   "are kept, trimmed"}),
]
"""A lot code, normalised by :func:`normalise_lot` when validated."""
