"""The divisions of Longting District (乡 / 街道) as configuration, and the ``township`` field.

The list lives in ``contracts/data/longting_divisions.json``; :func:`load_divisions` reads another
file of the same shape. Validation accepts the canonical name (北郊乡), a listed alias
(北书店街道办事处, 北书店办事处), the pinyin (Beijiao, any case) or the unit id
(``township:北郊乡``), and normalises to the canonical name. A validation run may use other
divisions by passing ``context={"divisions": <Divisions>}`` to ``model_validate``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

DEFAULT_PATH: Final = Path(__file__).parent / "data" / "longting_divisions.json"
TOWNSHIP_PREFIX: Final = "township:"
CONTEXT_KEY: Final = "divisions"


class DivisionKind(StrEnum):
    """街道 (subdistrict, the plan's 办事处) or 乡 (township)."""

    SUBDISTRICT = "subdistrict"
    TOWNSHIP = "township"


class Division(BaseModel):
    """One 乡 or 街道 of the district."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="canonical Chinese name, e.g. 北郊乡")
    kind: DivisionKind
    code: str | None = Field(default=None, pattern=r"^\d{9}$",
                             description="9-digit division code where known")
    pinyin: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def unit_id(self) -> str:
        """The id of its township unit in the work plan, ``township:<name>``."""
        return township_unit_id(self.name)


class District(BaseModel):
    """The district the divisions belong to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    code: str = Field(pattern=r"^\d{6}$")
    city: str | None = None
    province: str | None = None


class Divisions(BaseModel):
    """The divisions of one district, with a lookup from any accepted spelling."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    district: District
    source: str = ""
    divisions: tuple[Division, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _spellings_are_unambiguous(self) -> Self:
        seen: dict[str, str] = {}
        for division in self.divisions:
            for spelling in _spellings(division):
                if seen.setdefault(spelling, division.name) != division.name:
                    raise ValueError(f"{spelling!r} names both {seen[spelling]} and "
                                     f"{division.name}")
        return self

    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.divisions)

    def unit_ids(self) -> tuple[str, ...]:
        return tuple(d.unit_id for d in self.divisions)

    def of_kind(self, kind: DivisionKind) -> tuple[Division, ...]:
        return tuple(d for d in self.divisions if d.kind is kind)

    def find(self, spelling: str) -> Division | None:
        """The division a name, alias, pinyin or ``township:`` unit id refers to."""
        text = spelling.strip()
        text = text.removeprefix(TOWNSHIP_PREFIX).strip()
        for division in self.divisions:
            if text.casefold() in _spellings(division):
                return division
        return None


def _spellings(division: Division) -> set[str]:
    names = {division.name, *division.aliases}
    if division.pinyin:
        names.add(division.pinyin)
    return {name.casefold() for name in names}


def township_unit_id(name: str) -> str:
    """The work plan's unit id of a 乡 / 街道: ``township:<canonical name>``."""
    return f"{TOWNSHIP_PREFIX}{name}"


M = TypeVar("M", bound=BaseModel)


def read_data_file(model: type[M], path: Path | str) -> M:
    """A configuration data file (JSON) read into its model."""
    return model.model_validate_json(Path(path).read_bytes())


def load_divisions(path: Path | str | None = None) -> Divisions:
    """The divisions in ``path`` (default: the Longting list shipped with the contracts)."""
    return default_divisions() if path is None else read_data_file(Divisions, path)


@cache
def default_divisions() -> Divisions:
    """The Longting divisions shipped with the contracts, read once."""
    return read_data_file(Divisions, DEFAULT_PATH)


def divisions_in(info: ValidationInfo | None) -> Divisions:
    """The divisions a validation run uses: ``context["divisions"]`` or the default."""
    context = info.context if info is not None else None
    chosen = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
    return chosen if isinstance(chosen, Divisions) else default_divisions()


def canonical_township(value: str, divisions: Divisions | None = None) -> str:
    """The canonical name of the 乡 / 街道 ``value`` names, or a validation error."""
    chosen = divisions or default_divisions()
    division = chosen.find(value)
    if division is None:
        raise PydanticCustomError(
            "township_unknown", "'{value}' is not a 乡 or 街道 of {district}; one of: {names}",
            {"value": value, "district": chosen.district.name,
             "names": ", ".join(chosen.names())})
    return division.name


def _township(value: str, info: ValidationInfo) -> str:
    return canonical_township(value, divisions_in(info))


class _TownshipExamples:
    """Adds the canonical names to the JSON Schema, read when the schema is generated."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema: dict[str, Any] = handler(schema)
        json_schema["examples"] = list(default_divisions().names())
        return json_schema


Township = Annotated[str, AfterValidator(_township), _TownshipExamples()]
"""A 乡 / 街道 of the district, normalised to its canonical name."""
