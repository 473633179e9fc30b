"""What the supply chains left behind, for sampling and for the ground truth.

The walk mirrors the trace read model (``services/projections/trace/queries.py``): from a lot,
``down`` edges lead to the lots made from it (transformations) and to its containers and their
contents, never reopening a container reached from one of its children; the recipients of the
reached lots' shipments and receipts are its recall scope (召回范围).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Final

from fangxin.generator.catalogue import Product

UP: Final = "up"  # child to its container
DOWN: Final = "down"  # container to its child
TRANSFORMED: Final = "transformed"
MAX_DEPTH: Final = 10  # the trace read model's default depth (trace/interface.py)


@dataclass(frozen=True)
class Holding:
    """A lot a business received, and when."""

    lot: str
    product: Product
    at: datetime


@dataclass(frozen=True)
class Certificate:
    certificate_no: str
    farm_id: str
    farm_name: str
    quantity: Decimal


@dataclass
class MarketLot:
    """A lot a market sold on: its farm lots (with their 合格证) and who bought it."""

    lot: str
    market_id: str
    product: Product
    at: datetime
    upstream: list[tuple[str, Certificate]]
    recipients: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class TraceBook:
    movements: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    edges: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    holdings: dict[str, list[Holding]] = field(default_factory=lambda: defaultdict(list))
    market_lots: list[MarketLot] = field(default_factory=list)

    def moved(self, lot: str, to_entity: str) -> None:
        """A shipment or receipt of ``lot`` naming ``to_entity``."""
        self.movements[lot].append(to_entity)

    def received(self, entity_id: str, lot: str, product: Product, at: datetime) -> None:
        self.holdings[entity_id].append(Holding(lot, product, at))

    def transformed(self, inputs: list[str], output: str) -> None:
        for lot in inputs:
            self.edges[lot].append((output, TRANSFORMED))

    def contained(self, container: str, children: list[str]) -> None:
        for child in children:
            self.edges[child].append((container, UP))
            self.edges[container].append((child, DOWN))

    def recall_scope(self, lot: str) -> set[str]:
        """Every business a shipment or receipt of a lot downstream of ``lot`` names."""
        reached: dict[tuple[str, str], int] = {(lot, "start"): 0}
        frontier = [(lot, "start")]
        for depth in range(1, MAX_DEPTH + 1):
            following = []
            for current, via in frontier:
                for target, edge_via in self.edges.get(current, ()):
                    if target == current or (via == UP and edge_via == DOWN):
                        continue
                    if (target, edge_via) not in reached:
                        reached[(target, edge_via)] = depth
                        following.append((target, edge_via))
            frontier = following
        lots = {reached_lot for reached_lot, _ in reached}
        return {entity for reached_lot in lots for entity in self.movements.get(reached_lot, ())}
