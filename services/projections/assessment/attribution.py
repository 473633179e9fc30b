"""Who answers for a record: its units, its 乡 / 街道 and its action (主要任务).

A case carries the assignment the workflow gave it when it opened (lead, co-units, township
unit). A sample, a registered canteen or a graded business is routed at query time with the
workflow's own routing rules and the business's current registration, so a registration that
arrives after the sample still places it, and a rebuild gives the same answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contracts.divisions import TOWNSHIP_PREFIX
from services.workflow.domain.routing import Router, RoutingFacts

Row = dict[str, Any]


@dataclass(frozen=True)
class Keys:
    """The groups a record counts in: each of its units, one township, one action."""

    units: frozenset[str]
    township: str | None  # canonical name, e.g. 北郊乡
    action: int | None


@dataclass(frozen=True)
class Scope:
    """What a caller may see: everything, one unit's records, or one township's records."""

    unit: str | None = None
    township: str | None = None

    def admits(self, keys: Keys) -> bool:
        return (self.unit is None or self.unit in keys.units) and (
            self.township is None or keys.township == self.township)


def township_name(unit_id: str | None) -> str | None:
    """北郊乡 for ``township:北郊乡``; None for a department."""
    if unit_id and unit_id.startswith(TOWNSHIP_PREFIX):
        return unit_id.removeprefix(TOWNSHIP_PREFIX)
    return None


class Attributor:
    """Places records in groups; routing answers are memoised for one computation."""

    def __init__(self, router: Router, entities: dict[str, Row]) -> None:
        self.router = router
        self.entities = entities
        self._routes: dict[RoutingFacts, Keys] = {}

    def route(self, fact_type: str, entity_id: str | None, *, category: str | None = None,
              program: str | None = None) -> Keys:
        """The keys of a fact about a business, routed as the workflow routes it."""
        business = self.entities.get(entity_id or "")
        facts = RoutingFacts(fact_type=fact_type,
                             entity_kind=business["kind"] if business else None,
                             category=category, program=program, channel=None,
                             township=business["township"] if business else None)
        keys = self._routes.get(facts)
        if keys is None:
            try:
                found = self.router.route(facts)
            except LookupError:  # a township the plan does not know: route without it
                found = self.router.route(RoutingFacts(fact_type, facts.entity_kind, category,
                                                       program, None, None))
            units = frozenset(u for u in (found.lead, *found.co_units, found.township_unit) if u)
            keys = self._routes[facts] = Keys(units, facts.township, found.action)
        return keys

    def case(self, row: Row) -> Keys:
        """A case's keys: the owners named at opening; its business's township, else the
        township unit of its assignment."""
        business = self.entities.get(row.get("entity_id") or "")
        township = business["township"] if business else township_name(row.get("township_unit"))
        action = row.get("action")
        return Keys(frozenset(json.loads(row.get("units") or "[]")), township,
                    None if action is None else int(action))

    def sample(self, row: Row) -> Keys:
        return self.route("sampling", row["entity_id"], category=row.get("category"),
                          program=row.get("program"))

    def canteen(self, entity_id: str) -> Keys:
        """A school canteen's remit for sampling coverage (the school-canteen action)."""
        return self.route("sampling", entity_id)

    def graded(self, entity_id: str) -> Keys:
        """A graded business's remit for inspection frequencies."""
        return self.route("inspection", entity_id)

    def summary(self, action: int, lead: str) -> Keys:
        """An annual summary belongs to the action's lead unit alone (the plan's 牵头单位)."""
        return Keys(frozenset({lead}), None, action)
