"""What the workflow remembers about businesses: the directory for routing, kitchen tallies."""

from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Business(Aggregate):
    """A supervised business (经营主体): its kind, township and risk grade, for routing."""

    @staticmethod
    def create_id(entity_id: str) -> UUID:
        return business_uuid(entity_id)

    @event("Registered")
    def __init__(self, entity_id: str, name: str, kind: str, township: str,
                 risk_grade: str | None) -> None:
        self.entity_id = entity_id
        self.name = name
        self.kind = kind
        self.township = township
        self.risk_grade = risk_grade

    def update(self, name: str, kind: str, township: str, risk_grade: str | None) -> None:
        """Record a change of registration; an identical registration changes nothing."""
        if (name, kind, township, risk_grade) != (self.name, self.kind, self.township,
                                                  self.risk_grade):
            self._changed(name=name, kind=kind, township=township, risk_grade=risk_grade)

    @event("Changed")
    def _changed(self, name: str, kind: str, township: str, risk_grade: str | None) -> None:
        self.name, self.kind, self.township, self.risk_grade = name, kind, township, risk_grade


@lru_cache(maxsize=65_536)  # the same businesses recur across facts
def business_uuid(entity_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"fangxin:business:{entity_id}")


class KitchenDay(Aggregate):
    """The 明厨亮灶 alerts of one kitchen on one day (China date)."""

    @staticmethod
    def create_id(entity_id: str, day: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"fangxin:kitchen:{entity_id}:{day}")

    @event("Started")
    def __init__(self, entity_id: str, day: str) -> None:
        self.entity_id = entity_id
        self.day = day  # ISO date in China
        self.alerts: list[str] = []

    @event("AlertCounted")
    def count(self, alert: str) -> None:
        self.alerts.append(alert)

    @property
    def case_id(self) -> str:
        return f"KA-{self.entity_id}-{self.day}"
