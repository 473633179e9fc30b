"""Quantities: a positive decimal and a UN/ECE Recommendation 20 unit code.

The accepted unit codes are a curated list kept as data in ``contracts/data/unece_rec20.json``:
the mass, volume and count units food is traded in, the package units (Recommendation 20 ``X``
codes, i.e. ``X`` + a Recommendation 21 package code) and every ``uom`` of the EPCIS examples the
platform is tested with. Codes are matched case-insensitively, and common spellings are accepted
(``kg``, ``千克``, ``箱``...). Chinese market units that are a multiple of a code (``斤`` = 0.5 kg)
are converted by :func:`normalise_quantity`; a bare :data:`UnitCode` refuses them, because the
number beside it would have to change too.

Quantities are :class:`~decimal.Decimal` so that lot balances add up exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

DATA_FILE: Final = Path(__file__).with_name("data") / "unece_rec20.json"


class Dimension(StrEnum):
    """What a unit measures; units of one dimension with a factor convert into each other."""

    MASS = "mass"
    VOLUME = "volume"
    COUNT = "count"
    PACKAGE = "package"


BASE_UNITS: Final = {Dimension.MASS: "KGM", Dimension.VOLUME: "LTR", Dimension.COUNT: "EA"}


@dataclass(frozen=True)
class Unit:
    """One curated Recommendation 20 unit."""

    code: str
    name: str
    dimension: Dimension
    factor: Decimal | None  # one unit in the base unit of its dimension; None: no conversion
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Catalogue:
    units: dict[str, Unit]
    spellings: dict[str, str]  # lower-cased code or alias -> code
    market: dict[str, tuple[str, Decimal]]  # lower-cased market unit -> (code, factor)


@cache
def _catalogue() -> _Catalogue:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    units: dict[str, Unit] = {}
    spellings: dict[str, str] = {}
    for entry in raw["units"]:
        factor = entry["factor"]
        unit = Unit(code=entry["code"], name=entry["name"], dimension=Dimension(entry["dimension"]),
                    factor=None if factor is None else Decimal(factor),
                    aliases=tuple(entry["aliases"]))
        units[unit.code] = unit
        for spelling in (unit.code, *unit.aliases):
            spellings[spelling.lower()] = unit.code
    market = {m["alias"].lower(): (m["code"], Decimal(m["factor"])) for m in raw["market_units"]}
    return _Catalogue(units, spellings, market)


def known_units() -> frozenset[str]:
    """Every accepted unit code."""
    return frozenset(_catalogue().units)


def unit(code: str) -> Unit:
    """The curated unit of a code or spelling; ``KeyError`` when it is not in the list."""
    catalogue = _catalogue()
    return catalogue.units[catalogue.spellings[code.strip().lower()]]


def unit_code(text: str) -> str:
    """The Recommendation 20 code for a code or a common spelling; ``ValueError`` otherwise."""
    cleaned = text.strip().lower()
    catalogue = _catalogue()
    if cleaned in catalogue.spellings:
        return catalogue.spellings[cleaned]
    if cleaned in catalogue.market:
        code, factor = catalogue.market[cleaned]
        raise ValueError(f"{text.strip()!r} is {factor} {code}: convert the quantity "
                         "(normalise_quantity does)")
    raise ValueError(f"{text.strip()!r} is not a UN/ECE Recommendation 20 unit code in the "
                     "curated list (e.g. KGM, GRM, TNE, LTR, MLT, EA, H87, XBX, XCT)")


def to_decimal(value: object) -> Decimal:
    """A finite decimal from an int, a float (via its shortest repr), a str or a Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("a quantity is a number")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError("a quantity is a finite number")
    return number


def _unit_code(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("unit_code", "a unit is a UN/ECE Recommendation 20 code")
    try:
        return unit_code(value)
    except ValueError as exc:
        raise PydanticCustomError("unit_code", "{problem}", {"problem": str(exc)}) from None


UnitCode = Annotated[
    str,
    BeforeValidator(_unit_code),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 20,
                    "description": "UN/ECE Recommendation 20 unit code (curated list, "
                                   "contracts/data/unece_rec20.json), e.g. KGM, LTR, EA, XCT"}),
]
"""A unit code; common spellings (``kg``, ``千克``) are normalised to the code."""

PositiveDecimal = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A quantity value: a finite decimal above zero."""


class Quantity(BaseModel):
    """How much of something: a positive amount in a Recommendation 20 unit."""

    model_config = ConfigDict(frozen=True)

    value: PositiveDecimal = Field(description="the amount, above zero")
    unit: UnitCode = Field(description="UN/ECE Recommendation 20 unit code, e.g. KGM")

    def to(self, code: str) -> Quantity:
        """The same amount in another unit of the same dimension (exact decimal arithmetic)."""
        source, target = unit(self.unit), unit(code)
        if source.dimension != target.dimension or source.factor is None or target.factor is None:
            raise ValueError(f"{self.unit} does not convert to {target.code}")
        return Quantity(value=self.value * source.factor / target.factor, unit=target.code)

    def in_base_unit(self) -> Quantity | None:
        """The amount in KGM, LTR or EA when the unit converts; ``None`` for packages."""
        dimension = unit(self.unit).dimension
        base = BASE_UNITS.get(dimension)
        return None if base is None or unit(self.unit).factor is None else self.to(base)


def normalise_quantity(value: object, unit_text: str) -> Quantity:
    """A :class:`Quantity` from a number and any accepted spelling, market units converted."""
    amount = to_decimal(value)
    cleaned = unit_text.strip().lower()
    market = _catalogue().market.get(cleaned)
    if market is not None:
        code, factor = market
        return Quantity(value=amount * factor, unit=code)
    return Quantity(value=amount, unit=unit_code(unit_text))
