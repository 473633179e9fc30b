"""EPCIS master data (vocabularies in the header or the query results): products, places, parties.

Kept beside the mapped facts so that the read models can show names, and used while mapping to
describe a product by its name. Vocabulary types are matched without regard to case
(``urn:epcglobal:epcis:vtype:EPCClass`` and ``...:epcclass`` both occur), and attributes by their
local name (``urn:epcglobal:cbv:mda#descriptionShort``, ``cbvmda:descriptionShort``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from contracts.lots import normalise_lot
from services.intake.epcis.parse import local_name

_KINDS: Final = {"epcclass": "products", "location": "locations", "businesslocation": "locations",
                 "readpoint": "locations", "party": "parties"}
_NAME_ATTRIBUTES: Final = ("descriptionShort", "regulatedProductName", "tradeItemDescription",
                           "labelDescription", "functionalName", "name", "descriptionLong")


class MasterElement(BaseModel):
    """One vocabulary element: its id, a display name when it has one, and its attributes."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="the element id as sent (GTIN class, SGLN, PGLN, GDST URN...)")
    name: str | None = Field(None, description="display name from the name-like attributes")
    attributes: dict[str, Any] = Field(default_factory=dict,
                                       description="attributes by local name (first value wins)")


class MasterData(BaseModel):
    """The master data of one EPCIS document, by kind and element id."""

    model_config = ConfigDict(frozen=True)

    products: dict[str, MasterElement] = Field(default_factory=dict,
                                               description="EPCClass vocabulary")
    locations: dict[str, MasterElement] = Field(default_factory=dict,
                                                description="Location / ReadPoint vocabulary")
    parties: dict[str, MasterElement] = Field(default_factory=dict,
                                              description="Party vocabulary")

    def product_name(self, *ids: str | None) -> str | None:
        """The name of the first of ``ids`` the EPCClass vocabulary names (ids normalised)."""
        wanted = [(item, _normalised(item)) for item in ids if item is not None]
        for item, normalised in wanted:
            element = self.products.get(item) or next(
                (e for key, e in self.products.items() if _normalised(key) == normalised), None)
            if element is not None and element.name:
                return element.name
        return None


@lru_cache(maxsize=4096)
def _normalised(item: str) -> str:
    try:
        return normalise_lot(item)
    except ValueError:
        return item


def _vocabulary_lists(document: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    header = document.get("epcisHeader")
    master = header.get("epcisMasterData") if isinstance(header, dict) else None
    if isinstance(master, dict) and isinstance(master.get("vocabularyList"), list):
        found.extend(master["vocabularyList"])
    body = document.get("epcisBody")
    results = body.get("queryResults") if isinstance(body, dict) else None
    results_body = results.get("resultsBody") if isinstance(results, dict) else None
    if isinstance(results_body, dict) and isinstance(results_body.get("vocabularyList"), list):
        found.extend(results_body["vocabularyList"])
    return found


def _element(raw: dict[str, Any]) -> MasterElement:
    attributes: dict[str, Any] = {}
    for attribute in raw.get("attributes") or []:
        if isinstance(attribute, dict) and isinstance(attribute.get("id"), str):
            attributes.setdefault(local_name(attribute["id"]), attribute.get("attribute"))
    name = next((value.strip() for key in _NAME_ATTRIBUTES
                 if isinstance(value := attributes.get(key), str) and value.strip()), None)
    return MasterElement(id=raw["id"], name=name, attributes=attributes)


def read_master_data(document: dict[str, Any]) -> MasterData:
    """The products, locations and parties a (structurally valid) document describes."""
    kinds: dict[str, dict[str, MasterElement]] = {"products": {}, "locations": {}, "parties": {}}
    for vocabulary in _vocabulary_lists(document):
        if not isinstance(vocabulary, dict) or not isinstance(vocabulary.get("type"), str):
            continue
        kind = _KINDS.get(local_name(vocabulary["type"]).lower())
        elements = vocabulary.get("vocabularyElementList")
        if kind is None or not isinstance(elements, list):
            continue
        for raw in elements:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                element = _element(raw)
                kinds[kind].setdefault(element.id, element)
    return MasterData(**kinds)
