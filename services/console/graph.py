"""The trace of a lot as a layered graph, laid out server-side for inline SVG.

Columns by trace depth: upstream lots to the left of the traced lot (depth 1 next to it), the
downstream lots to its right, and the businesses that received the traced lot or a downstream
lot in a last column. Edges follow the material: a transformation or packing link goes from its
input lot to its output lot; a lot the trace reached without a link in the page is joined to the
traced lot by a dashed edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COLUMN_WIDTH = 240
NODE_WIDTH = 200
NODE_HEIGHT = 40
ROW_GAP = 12
MARGIN = 16
HEADER = 24
MAX_PER_COLUMN = 24
LABEL_CHARS = 24


@dataclass
class Node:
    key: str
    kind: str  # root, up, down, business, more
    label: str
    full: str
    sub: str
    column: int
    lot: str | None = None
    entity: str | None = None
    flagged: bool = False
    x: float = 0.0
    y: float = 0.0

    @property
    def cx_out(self) -> float:
        return self.x + NODE_WIDTH

    @property
    def cy(self) -> float:
        return self.y + NODE_HEIGHT / 2


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    inferred: bool

    @property
    def path(self) -> str:
        x1, y1 = self.source.cx_out, self.source.cy
        x2, y2 = self.target.x, self.target.cy
        bend = (x2 - x1) / 2
        return (f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f}"
                f" {x2:.1f},{y2:.1f}")


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    columns: list[tuple[str, int, float]] = field(default_factory=list)  # kind, depth, x
    width: float = 0.0
    height: float = 0.0


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _products(movements: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in movements:
        lot, product = m.get("lot_code"), m.get("product")
        if lot and product and lot not in found:
            found[lot] = str(product)
    return found


def build_graph(lot: str, upstream: Mapping[str, Any], downstream: Mapping[str, Any],
                scope: Sequence[Mapping[str, Any]], flagged_lots: set[str] | None = None
                ) -> Graph:
    """Nodes and edges with their places; ``lot`` is the traced lot's canonical code."""
    flagged_lots = flagged_lots or set()
    movements = [*upstream.get("movements", []), *downstream.get("movements", [])]
    products = _products(movements)
    root_code = next((x["lot_code"] for x in upstream.get("lots", []) if x["depth"] == 0), lot)
    nodes: dict[str, Node] = {}

    def lot_node(code: str, kind: str, column: int) -> Node:
        return Node(f"lot:{code}", kind, short(code), code, products.get(code, ""), column,
                    lot=code, flagged=code in flagged_lots)

    nodes[f"lot:{root_code}"] = lot_node(root_code, "root", 0)
    for item in upstream.get("lots", []):
        if item["depth"] > 0 and f"lot:{item['lot_code']}" not in nodes:
            nodes[f"lot:{item['lot_code']}"] = lot_node(item["lot_code"], "up", -item["depth"])
    for item in downstream.get("lots", []):
        if item["depth"] > 0 and f"lot:{item['lot_code']}" not in nodes:
            nodes[f"lot:{item['lot_code']}"] = lot_node(item["lot_code"], "down", item["depth"])
    last = max((n.column for n in nodes.values()), default=0) + 1
    for row in scope:
        key = f"entity:{row['entity_id']}"
        if key not in nodes:
            name = str(row.get("name") or row["entity_id"])
            nodes[key] = Node(key, "business", short(name, 14), name,
                              str(row.get("township") or ""), last, entity=row["entity_id"])
    graph = Graph()
    placed = _place(graph, list(nodes.values()))
    graph.edges = _edges(placed, root_code, movements, scope)
    return graph


def _place(graph: Graph, nodes: list[Node]) -> dict[str, Node]:
    by_column: dict[int, list[Node]] = {}
    for node in nodes:
        by_column.setdefault(node.column, []).append(node)
    columns = sorted(by_column)
    first = columns[0] if columns else 0
    tallest = 0
    placed: dict[str, Node] = {}
    for column in columns:
        members = sorted(by_column[column], key=lambda n: (n.kind, n.full))
        if len(members) > MAX_PER_COLUMN:
            hidden = len(members) - (MAX_PER_COLUMN - 1)
            members = [*members[: MAX_PER_COLUMN - 1],
                       Node(f"more:{column}", "more", f"+{hidden}", str(hidden), "", column)]
        x = MARGIN + (column - first) * COLUMN_WIDTH
        kind = ("recipients" if any(n.kind == "business" for n in members) else
                "upstream" if column < 0 else "downstream" if column > 0 else "root")
        graph.columns.append((kind, column, x))
        tallest = max(tallest, len(members))
        for i, node in enumerate(members):
            node.x, node.y = x, HEADER + MARGIN + i * (NODE_HEIGHT + ROW_GAP)
            placed[node.key] = node
    graph.nodes = list(placed.values())
    graph.width = MARGIN * 2 + (len(columns) - 1) * COLUMN_WIDTH + NODE_WIDTH if columns else 0
    graph.height = HEADER + MARGIN * 2 + tallest * (NODE_HEIGHT + ROW_GAP)
    for column in columns:  # centre the shorter columns
        members = [n for n in graph.nodes if n.column == column]
        offset = (tallest - len(members)) * (NODE_HEIGHT + ROW_GAP) / 2
        for node in members:
            node.y += offset
    return placed


def _edges(placed: Mapping[str, Node], root: str, movements: Iterable[Mapping[str, Any]],
           scope: Sequence[Mapping[str, Any]]) -> list[Edge]:
    pairs: dict[tuple[str, str], bool] = {}
    for m in movements:
        source, target = m.get("from_lot"), m.get("to_lot")
        if source and target and source != target:
            pairs[f"lot:{source}", f"lot:{target}"] = False
    for row in scope:
        pairs[f"lot:{row['lot_code']}", f"entity:{row['entity_id']}"] = False
    linked = {key for pair in pairs for key in pair}
    for node in placed.values():
        if node.lot and node.kind in ("up", "down") and node.key not in linked:
            pair = ((node.key, f"lot:{root}") if node.kind == "up"
                    else (f"lot:{root}", node.key))
            pairs[pair] = True
    edges = []
    for (a, b), inferred in pairs.items():
        source, target = placed.get(a), placed.get(b)
        if source is None or target is None:
            continue
        if source.column > target.column:
            source, target = target, source
        edges.append(Edge(source, target, inferred))
    return edges
