"""Writes and reads of the trace read model, shared by both stores (their cursors speak the
same DB-API). SQL: :mod:`.schema` (tables, writes) and :mod:`.queries` (the walk)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking

from contracts.lots import normalise_lot
from services.projections.digests import digest_rows
from services.projections.trace import analysis, queries, schema
from services.projections.trace.interface import (
    DEFAULT_DEPTH,
    DEFAULT_LIMIT,
    MAX_DEPTH,
    TracePage,
)
from services.projections.trace.rows import Rows, utc_text
from services.projections.trace.walk import Key, Walk, level_items, lot_items

_ALL = 10_000_000  # "no limit" for the spreadsheet and the recall scope


def _time(value: datetime | None) -> str | None:
    return None if value is None else utc_text(value)


def _array(value: object) -> list[Any]:
    """A JSON array from the database: text on SQLite, loaded on PostgreSQL, NULL when empty."""
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, list) else []


def _item(row: dict[str, Any]) -> dict[str, Any]:
    """A movement or link row as the API lists it (the row itself, which is not kept)."""
    del row["item"]
    row["fact"] = f"{row['source']}#{row['fact_id']}"
    row["flags"] = ["corrected"] if row.pop("corrected", False) else []
    return row


class Statements:
    def __init__(self, prefix: str, *, sqlite: bool) -> None:
        def member(name: str) -> str:
            return (queries.IN_LIST_SQLITE if sqlite else queries.IN_LIST_POSTGRES).format(
                name=name)

        def fmt(sql: str) -> str:
            sql = sql.replace("{in_codes}", member("codes")).replace("{in_tos}", member("tos"))
            sets = queries.IN_LIST_SQLITE if sqlite else queries.IN_SET_POSTGRES
            sql = sql.replace("{in_frontier}", member("frontier")).replace(
                "{in_known}", sets.format(name="known")).replace(
                "{in_codes_set}", sets.format(name="codes")).replace(
                "{in_tos_set}", sets.format(name="tos"))
            return schema.dialect(sql, prefix, sqlite=sqlite)

        self.create = [fmt(sql) for sql in schema.CREATE]
        self.indexes = [fmt(sql) for sql in schema.SECONDARY_INDEXES]
        self.drop_indexes = [fmt(schema.drop_index(sql)) for sql in schema.SECONDARY_INDEXES]
        self.write = {name: fmt(w.values() if sqlite else w.recordset())
                      for name, w in schema.WRITES.items()}
        self.read = {name: fmt(getattr(queries, name)) for name in (
            "LEVEL", "RECIPIENTS", "MOVEMENTS_OF_LOTS", "MOVEMENTS_OF_PAIRS", "LOTS_IN",
            "ENTITIES_IN", "LOT", "CERTIFICATES_OF_LOT", "BETWEEN", "ENTITY", "SUPERVISION",
            "CASES")}
        self.analyze = [fmt(schema.ANALYZE.format(table=table, s="{s}"))
                        for table in schema.TABLES]
        self.all_rows = {table: fmt(schema.SELECT_ALL.format(table=table, s="{s}"))
                         for table in schema.TABLES}


class TraceQueries:
    """Writes and reads shared by both stores (their cursors speak the same DB-API)."""

    sql: Statements
    datastore: Any
    _insert_tracking: Any
    _read_commits = False  # PostgreSQL: end reads with COMMIT, which keeps prepared statements

    def _codes(self, values: list[str]) -> object:
        return json.dumps(values, ensure_ascii=False)  # a list is one JSON array parameter

    def _execute(self, curs: Any, statement: str, params: dict[str, Any]) -> None:
        curs.execute(statement, params)

    def _all(self, curs: Any, name: str, params: dict[str, Any]) -> list[Any]:
        self._execute(curs, self.sql.read[name], params)
        return list(curs.fetchall())

    def _fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=self._read_commits) as curs:
            return [dict(row) for row in self._all(curs, name, params)]

    def _fetch_items(self, name: str, params: dict[str, Any],
                     curs: Any = None) -> list[dict[str, Any]]:
        """Rows of a query that returns each row as one JSON object ``j``; in the transaction
        of ``curs`` when given."""
        rows = self._fetch(name, params) if curs is None else self._all(curs, name, params)
        items = []
        for row in rows:
            item = row["j"]
            item = json.loads(item) if isinstance(item, str) else item
            item["corrected"] = bool(item["corrected"])
            items.append(item)
        return items

    def _write_rows(self, curs: Any, statement: str, rows: list[dict[str, Any]]) -> None:
        curs.executemany(statement, rows)

    def write(self, rows: Rows, tracking: Tracking) -> None:
        """The batch's rows and its position, in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)  # first: a redelivery fails before writing
            for name, batch in rows.batches().items():
                if batch:
                    self._write_rows(curs, self.sql.write[name], batch)

    def defer_indexes(self) -> None:
        """Drop the secondary indexes of a read model being rebuilt (its tables are empty and
        nobody queries them yet): rows load without their upkeep, and :meth:`create_indexes`
        builds each index once, from sorted rows, before the first query."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.sql.drop_indexes:
                curs.execute(statement)

    def create_indexes(self) -> None:
        """The secondary indexes (a no-op when they are there)."""
        with self.datastore.transaction(commit=True) as curs:
            for statement in self.sql.indexes:
                curs.execute(statement)

    def lot(self, lot: str) -> dict[str, Any] | None:
        """What is known of a lot: product, origin (ILMD), certificates; None if never seen."""
        code = normalise_lot(lot)
        found = self._fetch("LOT", {"lot": code})
        if not found:
            return None
        info = {k: v for k, v in found[0].items() if not k.endswith("_rank")}
        info["origin_ilmd"] = json.loads(info["origin_ilmd"]) if info["origin_ilmd"] else None
        info["certificates"] = self._fetch("CERTIFICATES_OF_LOT", {"lot": code})
        return info

    def lots(self, codes: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._fetch("LOTS_IN", {"codes": self._codes(sorted(set(codes)))})
        return {row["lot_code"]: row for row in rows}

    def entities(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = self._fetch("ENTITIES_IN", {"codes": self._codes(sorted(set(ids)))})
        return {row["entity_id"]: row for row in rows}

    def _walk_params(self, lot: str, direction: str, depth: int, since: datetime | None,
                     until: datetime | None) -> dict[str, Any]:
        if not 0 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth is between 0 and {MAX_DEPTH}")
        return {"lot": normalise_lot(lot), "dir": direction, "depth": depth,
                "since": _time(since), "until": _time(until)}

    def _page(self, lot: str, direction: str, *, depth: int, since: datetime | None,
              until: datetime | None, limit: int, cursor: str | None) -> TracePage:
        """One page, walking level by level only as deep as the page reaches (see
        :mod:`.walk`), one statement per level: the levels before the cursor's are walked, not
        listed."""
        if limit < 1:
            raise ValueError("limit is at least 1")
        params = self._walk_params(lot, direction, depth, since, until)
        keyset = analysis.decode_cursor(cursor)
        after: Key = (keyset["c_depth"], keyset["c_at"], keyset["c_source"], keyset["c_fact"],
                      keyset["c_seq"])
        wanted = limit + 1  # one more than the page: is there a next one?
        walk = Walk(params["lot"], depth)
        rows: list[dict[str, Any]] = []
        level_lots = [walk.start]
        with self.datastore.transaction(commit=self._read_commits) as curs:
            self._plan_levels(curs)
            while True:
                listed = walk.level >= after[0]
                if listed:
                    rows += lot_items(level_lots, walk.level, after)
                listing = listed and bool(level_lots) and len(rows) < wanted
                if not listing and (walk.finished or len(rows) >= wanted):
                    break
                edges, movements, links = self._level(
                    curs, walk, level_lots if listing else [], params, after=after,
                    room=wanted - len(rows))
                rows += level_items(walk.level, movements, links, after)[:wanted - len(rows)]
                if walk.finished or len(rows) >= wanted:
                    break
                level_lots = walk.expand(edges)
            more, rows = len(rows) > limit, rows[:limit]
            lots = [{"lot_code": r["lot_code"], "depth": r["depth"]} for r in rows
                    if r["item"] == "lot"]
            movements = [_item(r) for r in rows if r["item"] != "lot"]
            self._flag_mismatches(movements, curs)
        return TracePage(lot=params["lot"], direction=direction, depth=depth, lots=lots,
                         movements=movements,
                         next_cursor=analysis.encode_cursor(rows[-1]) if more else None)

    def _plan_levels(self, curs: Any) -> None:
        """Before a walk's levels (PostgreSQL plans them once, see the view)."""

    def _level(self, curs: Any, walk: Walk, lots: list[str], params: dict[str, Any], *,
               after: Key, room: int) -> tuple[list[tuple[str, str, str]], list[Any],
                                               list[Any]]:
        """One level in one statement: the edges leaving the frontier (none once the walk is
        as deep as it may go) and the first ``room`` movements and links of ``lots``."""
        within = after[1:] if walk.level == after[0] else ("", "", "", -1)
        self._execute(curs, self.sql.read["LEVEL"], {
            **params, "frontier": self._codes([] if walk.finished else walk.frontier),
            "codes": self._codes(lots), "known": self._codes(list(walk.depth_of) if lots else []),
            "c_at": within[0], "c_source": within[1], "c_fact": within[2], "c_seq": within[3],
            "limit": room})
        row = curs.fetchone()
        edges, movements, links = (_array(row[name]) for name in ("e", "m", "l"))
        columns = queries.ROW_COLUMNS
        return ([(e[0], e[1], e[2]) for e in edges],
                [dict(zip(columns, values, strict=True)) for values in movements],
                [dict(zip(columns, values, strict=True)) for values in links])

    def _flag_mismatches(self, movements: list[dict[str, Any]], curs: Any) -> None:
        """Mismatch flags of a page's shipments and receipts. Shipments and receipts agree or
        not per lot and recipient, so only those pairs are read, not the whole of a hub lot."""
        moved = [m for m in movements if m["kind"] in ("shipped", "received")]
        for movement in moved:
            if movement["to_entity"] is None:  # no recipient: no receipt can answer it
                movement["flags"].append("shipment_without_receipt")
        pairs = [m for m in moved if m["to_entity"] is not None]
        if not pairs:
            return
        params = {"codes": self._codes(sorted({m["lot_code"] for m in pairs})),
                  "tos": self._codes(sorted({m["to_entity"] for m in pairs}))}
        self._execute(curs, self.sql.read["MOVEMENTS_OF_PAIRS"], params)
        row = curs.fetchone()
        rows = [dict(zip((*queries.PAIR_COLUMNS, "corrected"), values, strict=True))
                for values in _array(row["a"] if row is not None else None)]
        flags = analysis.flags_by_fact(analysis.mismatches(rows))
        for movement in pairs:
            movement["flags"] += flags.get(movement["fact"], [])

    def upstream(  # noqa: PLR0917 - the positional order is the documented API
            self, lot: str, depth: int = DEFAULT_DEPTH, since: datetime | None = None,
            until: datetime | None = None, limit: int = DEFAULT_LIMIT,
            cursor: str | None = None) -> TracePage:
        """Where a lot came from: its movements and those of the lots it was made of or packed
        with, to ``depth`` links back, within ``[since, until)``."""
        return self._page(lot, "up", depth=depth, since=since, until=until, limit=limit,
                          cursor=cursor)

    def downstream(  # noqa: PLR0917 - the positional order is the documented API
            self, lot: str, depth: int = DEFAULT_DEPTH, since: datetime | None = None,
            until: datetime | None = None, limit: int = DEFAULT_LIMIT,
            cursor: str | None = None) -> TracePage:
        """Where a lot went: its movements and those of the lots made from it or of the
        containers it travelled in, to ``depth`` links on, within ``[since, until)``."""
        return self._page(lot, "down", depth=depth, since=since, until=until, limit=limit,
                          cursor=cursor)

    def trace_events(self, lot: str, depth: int = DEFAULT_DEPTH, since: datetime | None = None,
                     until: datetime | None = None) -> list[dict[str, Any]]:
        """Every movement and link of the lot's upstream and downstream trace, once each."""
        seen: dict[tuple[str, str, int], dict[str, Any]] = {}
        for direction in ("up", "down"):
            page = self._page(lot, direction, depth=depth, since=since, until=until,
                              limit=_ALL, cursor=None)
            for item in page.movements:
                seen.setdefault((item["source"], item["fact_id"], item["seq"]), item)
        return sorted(seen.values(), key=lambda i: (i["at"], i["source"], i["fact_id"], i["seq"]))

    def events_between(self, since: datetime, until: datetime,
                       limit: int = _ALL) -> list[dict[str, Any]]:
        """Every movement and link with its time in ``[since, until)``, by time."""
        rows = self._fetch_items("BETWEEN", {"since": utc_text(since),
                                             "until": utc_text(until), "limit": limit})
        return [_item(r) for r in rows]

    def mismatches(self, lot: str) -> list[dict[str, Any]]:
        """Shipments and receipts of the lot that do not agree (see :func:`analysis.mismatches`)."""
        rows = self._fetch_items("MOVEMENTS_OF_LOTS",
                                 {"codes": self._codes([normalise_lot(lot)])})
        return analysis.mismatches(rows)

    def recall_scope(self, lot: str, depth: int = DEFAULT_DEPTH, since: datetime | None = None,
                     until: datetime | None = None) -> list[dict[str, Any]]:
        """Every business downstream of the lot, with its township and what it received."""
        rows = self._fetch_items("RECIPIENTS",
                                 self._walk_params(lot, "down", depth, since, until))
        return analysis.recall_scope(rows)

    def dossier(self, entity_id: str) -> dict[str, Any] | None:
        """A business's registration, supervision records (no personal data) and cases;
        None when nothing is known of it."""
        params = {"entity_id": entity_id}
        with self.datastore.transaction(commit=self._read_commits) as curs:  # one snapshot
            entity, records, cases = ([dict(r) for r in self._all(curs, name, params)]
                                      for name in ("ENTITY", "SUPERVISION", "CASES"))
        if not (entity or records or cases):
            return None
        for record in records:
            record["details"] = json.loads(record["details"])
        for case in cases:
            case["co_units"] = json.loads(case["co_units"]) if case["co_units"] else []
        registration = ({k: v for k, v in entity[0].items() if k != "rank"} if entity
                        else None)
        out: dict[str, Any] = {"entity_id": entity_id, "registration": registration}
        for kind, key in (("inspection", "inspections"), ("sampling", "samplings"),
                          ("complaint", "complaints")):
            out[key] = [{k: v for k, v in r.items() if k != "kind"} for r in records
                        if r["kind"] == kind]
        out["cases"] = cases
        return out

    def digest(self) -> str:
        """SHA-256 of every row of every table, in a canonical order (rebuild = live?)."""
        return digest_rows(self.datastore, self.sql.all_rows)
