"""The responsible units of the work plan (区食安办, 区市场监管局, ... and every 乡 / 街道).

Departments are listed in ``contracts/data/units.json``; each 乡 / 街道 of
:mod:`contracts.divisions` is a unit too, ``township:<canonical name>``. A validation run may use
other lists with ``context={"units": <Units>, "divisions": <Divisions>}``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Final, Self

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

from contracts.divisions import (
    TOWNSHIP_PREFIX,
    Divisions,
    default_divisions,
    divisions_in,
    read_data_file,
    township_unit_id,
)

DEFAULT_PATH: Final = Path(__file__).parent / "data" / "units.json"
CONTEXT_KEY: Final = "units"


class Unit(BaseModel):
    """A department named in the work plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="stable id, e.g. market-regulation")
    name: str = Field(min_length=1, description="Chinese name, e.g. 区市场监管局")


class Units(BaseModel):
    """The departments of the work plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = ""
    units: tuple[Unit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Self:
        ids = [unit.id for unit in self.units]
        if len(ids) != len(set(ids)):
            raise ValueError("unit ids repeat")
        return self

    def ids(self) -> tuple[str, ...]:
        return tuple(unit.id for unit in self.units)


def load_units(path: Path | str | None = None) -> Units:
    """The departments in ``path`` (default: the list shipped with the contracts)."""
    return default_units() if path is None else read_data_file(Units, path)


@cache
def default_units() -> Units:
    """The departments shipped with the contracts, read once."""
    return read_data_file(Units, DEFAULT_PATH)


def all_unit_ids(units: Units | None = None, divisions: Divisions | None = None) -> tuple[str, ...]:
    """Every unit id: the departments, then ``township:<name>`` for each 乡 / 街道."""
    return (*(units or default_units()).ids(), *(divisions or default_divisions()).unit_ids())


def canonical_unit(value: str, units: Units | None = None,
                   divisions: Divisions | None = None) -> str:
    """The canonical id of the unit ``value`` names (township ids accept any spelling)."""
    chosen_units = units or default_units()
    chosen_divisions = divisions or default_divisions()
    text = value.strip()
    if text.startswith(TOWNSHIP_PREFIX):
        division = chosen_divisions.find(text)
        if division is not None:
            return township_unit_id(division.name)
    elif text in chosen_units.ids():
        return text
    raise PydanticCustomError(
        "unit_unknown", "'{value}' is not a unit of the work plan; one of: {ids}",
        {"value": value, "ids": ", ".join(all_unit_ids(chosen_units, chosen_divisions))})


def _unit(value: str, info: ValidationInfo) -> str:
    context = info.context
    chosen = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
    units = chosen if isinstance(chosen, Units) else default_units()
    return canonical_unit(value, units, divisions_in(info))


class _UnitExamples:
    """Adds the unit ids to the JSON Schema, read when the schema is generated."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema: dict[str, Any] = handler(schema)
        json_schema["examples"] = list(all_unit_ids())
        return json_schema


UnitId = Annotated[str, AfterValidator(_unit), _UnitExamples()]
"""A unit of the work plan by id, e.g. ``market-regulation`` or ``township:北郊乡``."""
