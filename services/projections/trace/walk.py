"""The walk of a trace, level by level, and the assembly of one page (pure; no database).

A trace is a breadth-first walk over ``trace_edge`` from one lot (溯源 upstream, 追踪
downstream). A *state* is a lot and the way it was reached (``via``: ``start``, ``link``,
``down`` into a container's contents, ``up`` to a container); each state is expanded once, at the
least depth it is reached, which gives every lot its least depth:

- self-loops are not walked (their link is still listed);
- containment is followed both ways, but a container reached *from one of its children*
  (``via = 'up'``) is not opened again (``'down'``), so a trace never jumps to the other lots that
  merely shared a pallet;
- the walk stops at ``depth`` and on cycles (a state is never expanded twice).

A page lists items ordered by ``(depth, at, source, fact_id, seq)``: at each depth first the lots
first reached there (by code), then the movements of those lots and the links whose farther
reached end is at that depth, by time. Level ``k`` of the walk fixes every item of depth ``k``, so
a page walks only as deep as it must and reads only its levels' rows: its cost follows the page,
not the whole trace (a hub lot's first page reads a few levels, not thousands of lots).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Item = dict[str, Any]
Key = tuple[int, str, str, str, int]  # (depth, at, source, fact_id, seq)


def key_of(item: Item) -> Key:
    return (item["depth"], item["at"], item["source"], item["fact_id"], item["seq"])


@dataclass
class Walk:
    """Breadth-first over ``(lot, via)`` states; ``depth_of`` each lot's least depth."""

    start: str
    max_depth: int
    depth_of: dict[str, int] = field(default_factory=dict)
    level: int = 0
    _frontier: dict[str, set[str]] = field(default_factory=dict)
    _expanded: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.depth_of[self.start] = 0
        self._frontier = {self.start: {"start"}}
        self._expanded = {(self.start, "start")}

    @property
    def frontier(self) -> list[str]:
        """The lots whose edges the next level needs (sorted: stable statements)."""
        return sorted(self._frontier)

    @property
    def finished(self) -> bool:
        return not self._frontier or self.level >= self.max_depth

    def expand(self, edges: Iterable[tuple[str, str, str]]) -> list[str]:
        """Take the edges ``(from_lot, to_lot, via)`` leaving the frontier's lots; the lots
        first reached at the new level, by code."""
        following: dict[str, set[str]] = {}
        reached: list[str] = []
        depth = self.level + 1
        for from_lot, to_lot, via in edges:
            if to_lot == from_lot:
                continue
            for arrived_by in self._frontier.get(from_lot, ()):
                if arrived_by == "up" and via == "down":
                    continue
                state = (to_lot, via)
                if state in self._expanded:
                    continue
                self._expanded.add(state)
                following.setdefault(to_lot, set()).add(via)
                if to_lot not in self.depth_of:
                    self.depth_of[to_lot] = depth
                    reached.append(to_lot)
        self._frontier = following
        self.level = depth
        return sorted(reached)


def lot_items(lots: list[str], depth: int, after: Key) -> list[Item]:
    """The lot items of one level that come after the cursor."""
    items = ({"item": "lot", "depth": depth, "at": "", "source": "", "fact_id": lot, "seq": 0,
              "lot_code": lot} for lot in lots)
    return [item for item in items if key_of(item) > after]


def level_items(depth: int, movements: list[Item], links: list[Item], after: Key) -> list[Item]:
    """A level's movements and links (each listed at this depth) after the cursor, in order."""
    items = [*movements, *links]
    for item in items:
        item["depth"] = depth
    return sorted((i for i in items if key_of(i) > after), key=key_of)
