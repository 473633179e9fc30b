"""Identifiers of supervised businesses: the unified social credit code and other schemes.

- **USCC** (统一社会信用代码, GB 32100-2015): 18 characters from ``0-9A-Z`` without I, O, Z, S, V.
  Position 1 is the registering authority, 2 the kind of body, 3-8 the administrative division
  of the registering authority (digits; Longting District is 410202), 9-17 the organisation code,
  18 the check character: weights ``3**i mod 31`` over positions 1-17, check value
  ``31 - (sum mod 31)`` with 31 written as 0.
- **Other schemes** a registration may declare with ``id_scheme``: 食品经营许可证 (``JY`` + 14
  digits), 食品生产许可证 (``SC`` + 14 digits), Henan 三小 registrations and filings (小作坊登记证,
  小经营店登记证, 小摊点备案; formats not published, free text), and ``other``.

Identifiers are normalised: surrounding blanks removed, letters upper-cased.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Final

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
USCC_PATTERN: Final = r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
LONGTING_DIVISION_CODE: Final = "410202"

_USCC = re.compile(USCC_PATTERN)
_FOOD_LICENSE = re.compile(r"JY\d{14}")
_FOOD_PRODUCTION_LICENSE = re.compile(r"SC\d{14}")
_FREE_TEXT = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?")
MAX_ID_LENGTH: Final = 100


class IdScheme(StrEnum):
    """Which register an entity id comes from (主体标识类型)."""

    USCC = "uscc"
    FOOD_LICENSE = "food_license"
    FOOD_PRODUCTION_LICENSE = "food_production_license"
    SMALL_WORKSHOP_REGISTRATION = "small_workshop_registration"
    SMALL_SHOP_REGISTRATION = "small_shop_registration"
    STALL_FILING = "stall_filing"
    OTHER = "other"


def _invalid(message: str, **context: str) -> PydanticCustomError:
    return PydanticCustomError("entity_id_invalid", message, context or None)


def normalise(value: str) -> str:
    """Blanks around removed, letters upper-cased (how every identifier is compared)."""
    return value.strip().upper()


def uscc_check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in USCC_CHARSET for c in first17):
        raise ValueError("17 characters from the USCC character set are needed")
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """Whether ``value`` (after normalisation) is a USCC with a correct check character."""
    code = normalise(value)
    return _USCC.fullmatch(code) is not None and uscc_check_character(code[:17]) == code[17]


def validate_uscc(value: str) -> str:
    """The normalised USCC, or a validation error saying what is wrong."""
    code = normalise(value)
    if len(code) != 18:
        raise _invalid("a unified social credit code has 18 characters, not {length}",
                       length=str(len(code)))
    if _USCC.fullmatch(code) is None:
        raise _invalid("not a unified social credit code: characters 3-8 are digits and "
                       "I, O, Z, S, V are never used")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise _invalid("check character of the unified social credit code is wrong "
                       "(expected {expected})", expected=expected)
    return code


def uscc_division(value: str) -> str:
    """The 6-digit division code of the registering authority (characters 3-8)."""
    return validate_uscc(value)[2:8]


def validate_entity_id(value: str, scheme: IdScheme = IdScheme.USCC) -> str:
    """The normalised entity id under ``scheme``, or a validation error."""
    if scheme is IdScheme.USCC:
        return validate_uscc(value)
    code = normalise(value)
    if scheme is IdScheme.FOOD_LICENSE and _FOOD_LICENSE.fullmatch(code) is None:
        raise _invalid("a food business licence number is JY and 14 digits")
    if scheme is IdScheme.FOOD_PRODUCTION_LICENSE and _FOOD_PRODUCTION_LICENSE.fullmatch(
            code) is None:
        raise _invalid("a food production licence number is SC and 14 digits")
    if not 1 <= len(code) <= MAX_ID_LENGTH or _FREE_TEXT.fullmatch(code) is None:
        raise _invalid("an entity id is 1-{limit} printable characters",
                       limit=str(MAX_ID_LENGTH))
    return code


def _uscc(value: object) -> str:
    if not isinstance(value, str):
        raise _invalid("a unified social credit code is a string")
    return validate_uscc(value)


Uscc = Annotated[
    str,
    BeforeValidator(_uscc),
    WithJsonSchema({"type": "string", "pattern": USCC_PATTERN,
                    "description": "unified social credit code (统一社会信用代码), GB 32100 "
                                   "check character verified"}),
]
"""A unified social credit code, check character verified, normalised to upper case."""

EntityRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(normalise),
]
"""A reference to a registered entity by its id (any scheme), as the registration spelled it."""
