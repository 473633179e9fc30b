"""The level-by-level walk against an independent formulation of the same trace.

The oracle is the walk as one recursive CTE over ``(lot, depth, via)`` (``UNION`` semantics, each
lot at its least depth, links listed at the depth of their farther end), computing the whole
trace at once. Given a realistic graph (farms, pallets, wholesale markets, mills and processors,
with self-loops, cycles, missing and short receipts), when the service pages through the trace of
many random lots with random depths, time windows and page sizes, then the pages put together are
the oracle's trace, item for item and flag for flag, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import InfrastructureFactory, Tracking

from bench.trace_graph import TraceGraph
from contracts.envelope import CloudEvent
from services.projections.trace import PostgresTraceView, SQLiteTraceView, TraceView
from services.projections.trace import queries as q
from services.projections.trace.analysis import decode_cursor
from services.projections.trace.reads import _item
from services.projections.trace.schema import dialect

pytestmark = pytest.mark.integration

_ORDER = "ORDER BY depth, at, source, fact_id, seq"
_LOT_ITEM = "'lot', l.depth, '', '', l.lot, 0, 'lot', NULL, l.lot" + ", NULL" * 19
ORACLE = (
    q.REACH +
    ", items(" + ", ".join(q.ITEM_COLUMNS) + ") AS ("
    " SELECT " + _LOT_ITEM + " FROM lots l"
    " UNION ALL"
    " SELECT " + q._MOVEMENT_ITEM.format(d="l.depth") +
    " FROM lots l JOIN {s}trace_movement m ON m.lot_code = l.lot"
    " WHERE " + q._WINDOW.format(a="m") +
    " UNION ALL"
    " SELECT " + q._LINK_ITEM.format(d="CASE WHEN b.depth > a.depth THEN b.depth ELSE a.depth END")
    + " FROM lots a JOIN {s}trace_link k ON k.from_lot = a.lot LEFT JOIN lots b ON b.lot = k.to_lot"
    " WHERE (k.to_lot IS NULL OR b.lot IS NOT NULL) AND " + q._WINDOW.format(a="k") +
    " UNION ALL"
    " SELECT " + q._LINK_ITEM.format(d="b.depth") +
    " FROM lots b JOIN {s}trace_link k ON k.to_lot = b.lot"
    " WHERE k.from_lot IS NULL AND " + q._WINDOW.format(a="k") +
    ") SELECT " + q._json_row("p") + " FROM (SELECT * FROM items " + _ORDER + ") p " + _ORDER
)
MOVEMENTS = 10_000


@pytest.fixture(scope="module")
def graph() -> tuple[TraceGraph, list[CloudEvent]]:
    made = TraceGraph(seed=3)
    events = [CloudEvent.model_validate(fact) for fact in made.facts(MOVEMENTS, movements=True)]
    return made, events


@pytest.fixture
def view(store_env: dict[str, str],
         graph: tuple[TraceGraph, list[CloudEvent]]) -> Iterator[TraceView]:
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(store_env)
    sqlite = store_env["PERSISTENCE_MODULE"].endswith("sqlite")
    made: TraceView = factory.tracking_recorder(SQLiteTraceView if sqlite else PostgresTraceView)
    events = graph[1]
    for start in range(0, len(events), 1000):
        made.write_events(events[start:start + 1000], Tracking("trace:test:0", start + 1000))
    made.analyze()
    yield made
    factory.close()


def oracle(view: TraceView, lot: str, direction: str, depth: int, since: datetime | None,
           until: datetime | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The whole trace by the recursive CTE: (lots, movements with their flags)."""
    sqlite = isinstance(view, SQLiteTraceView)
    prefix = "" if sqlite else f'"{view.datastore.schema}".'
    sql = dialect(ORACLE, prefix, sqlite=sqlite)
    params = {**view._walk_params(lot, direction, depth, since, until), **decode_cursor(None)}
    with view.datastore.transaction(commit=False) as curs:
        curs.execute(sql, params)
        rows = [r["j"] for r in curs.fetchall()]
        rows = [json.loads(r) if isinstance(r, str) else r for r in rows]
        lots = [{"lot_code": r["lot_code"], "depth": r["depth"]} for r in rows
                if r["item"] == "lot"]
        movements = [_item(r) for r in rows if r["item"] != "lot"]
        view._flag_mismatches(movements, curs)
    return lots, movements


Items = list[dict[str, Any]]


def paged(view: TraceView, lot: str, direction: str, depth: int, since: datetime | None,
          until: datetime | None, limit: int) -> tuple[Items, Items, int]:
    read = view.downstream if direction == "down" else view.upstream
    lots: list[dict[str, Any]] = []
    movements: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        page = read(lot, depth, since, until, limit, cursor)
        pages += 1
        assert len(page.lots) + len(page.movements) <= limit
        lots += page.lots
        movements += page.movements
        if (cursor := page.next_cursor) is None:
            return lots, movements, pages
        assert len(page.lots) + len(page.movements) == limit  # only the last page is short


def canonical(movements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**m, "flags": sorted(m["flags"])} for m in movements]


@pytest.mark.parametrize("store_env", ["sqlite", "postgres"], indirect=True)
def test_pages_of_the_level_walk_are_the_whole_trace_of_the_recursive_walk(
        view: TraceView, graph: tuple[TraceGraph, list[CloudEvent]]) -> None:
    made, events = graph
    rng = random.Random(5)
    hubs = [*made.condiments[:1], *made.flour[:1], *made.hubs_up[:2]]
    lots = rng.sample(made.lots, 120) + hubs
    times = sorted(datetime.fromisoformat(e.data["at"]) for e in events
                   if isinstance(e.data, dict) and "at" in e.data)
    compared = pages_read = items = 0
    deep_pages = False
    for lot in lots:
        for direction in ("down", "up"):
            depth = rng.choice([0, 1, 2, 3, 10, 10, 10])
            since = until = None
            if rng.random() < 0.3:
                since = rng.choice(times).astimezone(UTC)
                until = since + timedelta(days=rng.choice([1, 5, 30]))
            limit = rng.choice([1, 3, 17, 500])
            want_lots, want_movements = oracle(view, lot, direction, depth, since, until)
            got_lots, got_movements, pages = paged(view, lot, direction, depth, since, until,
                                                   limit)
            assert got_lots == want_lots, (lot, direction, depth, since, limit)
            assert canonical(got_movements) == canonical(want_movements), (
                lot, direction, depth, since, limit)
            compared += 1
            pages_read += pages
            items += len(want_lots) + len(want_movements)
            deep_pages |= pages > 3 and any(m["depth"] > 2 for m in want_movements)
    assert compared == len(lots) * 2
    assert items > 4_000  # the comparison had substance:
    assert pages_read > 1_000  # many pages,
    assert deep_pages  # and deep traces over several of them
