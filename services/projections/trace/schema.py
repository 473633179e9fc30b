"""Tables of the trace read model and the statements that write them.

SQL is written once in PostgreSQL's paramstyle; :func:`dialect` derives SQLite's. ``{s}`` is the
schema prefix, ``{t}`` a text column (``COLLATE "C"`` on PostgreSQL: byte order, as in SQLite, and
cheaper comparisons), ``{c}`` the collation clause for an expression and ``{wr}`` SQLite's
``WITHOUT ROWID`` for the edge index table, ``{jo}`` the function that builds a JSON object,
``{jarr}`` a JSON array and ``{ja}`` the aggregate of JSON values into an array (``{jv}``
keeps SQLite from quoting them).

Tables (all prefixed ``trace_``):

=================  =========================================  ==================================
table              one row per                                key
=================  =========================================  ==================================
trace_entity       registered business (latest registration)  entity_id
trace_lot          lot: first seen, product, origin, 合格证      lot_code
trace_movement     shipped / received / commissioned fact     (source, fact_id)
trace_link         lot-to-lot link: transformation input ×    (source, fact_id, seq)
                   output, packing / unpacking child ↔ parent
trace_edge         link as the traversal reads it, per        (dir, from_lot, to_lot, via, at,
                   direction (``down`` / ``up``)              source, fact_id, seq)
trace_certificate  承诺达标合格证 issued                         (source, fact_id)
trace_correction   corrected event ref × error declaration    (corrected_ref, source, fact_id)
trace_supervision  inspection / sampling / complaint record   (kind, record_id)
trace_case         case from the workflow's public events     case_id
=================  =========================================  ==================================
"""

# ruff: noqa: S608 - SQL assembled from this module's constants; values are always bound
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

TABLES: Final = ("trace_entity", "trace_lot", "trace_movement", "trace_link", "trace_edge",
                 "trace_certificate", "trace_correction", "trace_supervision", "trace_case")

CREATE: Final = (
    "CREATE TABLE IF NOT EXISTS {s}trace_entity ("
    " entity_id {t} PRIMARY KEY, id_scheme {t}, name {t} NOT NULL, kind {t} NOT NULL,"
    " township {t} NOT NULL, address {t}, risk_grade {t}, registered_at {t}, rank {t} NOT NULL)",
    "CREATE INDEX IF NOT EXISTS trace_entity_township ON {s}trace_entity (township)",
    "CREATE TABLE IF NOT EXISTS {s}trace_lot ("
    " lot_code {t} PRIMARY KEY, first_at {t},"
    " product {t}, product_id {t}, product_rank {t},"
    " origin_kind {t}, origin_entity {t}, origin_location {t}, origin_at {t}, origin_step {t},"
    " origin_ilmd {t}, origin_rank {t},"
    " certificate_no {t}, certificate_rank {t})",
    "CREATE TABLE IF NOT EXISTS {s}trace_movement ("
    " source {t} NOT NULL, fact_id {t} NOT NULL, kind {t} NOT NULL, event_ref {t},"
    " lot_code {t} NOT NULL, product {t}, product_id {t}, quantity {t}, unit {t},"
    " from_entity {t}, to_entity {t}, from_location {t}, to_location {t},"
    " entity_id {t}, location {t}, at {t} NOT NULL, certificate_no {t},"
    " reference_document {t}, reference_document_type {t}, step {t},"
    " PRIMARY KEY (source, fact_id))",
    "CREATE INDEX IF NOT EXISTS trace_movement_lot ON {s}trace_movement (lot_code, to_entity)",
    "CREATE INDEX IF NOT EXISTS trace_movement_at ON {s}trace_movement (at)",
    "CREATE TABLE IF NOT EXISTS {s}trace_link ("
    " source {t} NOT NULL, fact_id {t} NOT NULL, seq INTEGER NOT NULL, kind {t} NOT NULL,"
    " event_ref {t}, entity_id {t}, location {t}, at {t} NOT NULL,"
    " from_lot {t}, to_lot {t}, product {t}, quantity {t}, unit {t},"
    " input_product {t}, input_quantity {t}, input_unit {t}, transformation_id {t},"
    " PRIMARY KEY (source, fact_id, seq))",
    "CREATE INDEX IF NOT EXISTS trace_link_from ON {s}trace_link (from_lot)",
    "CREATE INDEX IF NOT EXISTS trace_link_to ON {s}trace_link (to_lot)",
    "CREATE INDEX IF NOT EXISTS trace_link_at ON {s}trace_link (at)",
    "CREATE TABLE IF NOT EXISTS {s}trace_edge ("
    " dir {t} NOT NULL, from_lot {t} NOT NULL, to_lot {t} NOT NULL, via {t} NOT NULL,"
    " at {t} NOT NULL, source {t} NOT NULL, fact_id {t} NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (dir, from_lot, to_lot, via, at, source, fact_id, seq)){wr}",
    "CREATE TABLE IF NOT EXISTS {s}trace_certificate ("
    " source {t} NOT NULL, fact_id {t} NOT NULL, certificate_no {t} NOT NULL,"
    " lot_code {t} NOT NULL, product {t}, quantity {t}, unit {t}, producer {t},"
    " producer_id {t}, origin {t}, issued_at {t} NOT NULL, basis {t}, issuer_type {t},"
    " PRIMARY KEY (source, fact_id))",
    "CREATE INDEX IF NOT EXISTS trace_certificate_lot ON {s}trace_certificate (lot_code)",
    "CREATE TABLE IF NOT EXISTS {s}trace_correction ("
    " corrected_ref {t} NOT NULL, source {t} NOT NULL, fact_id {t} NOT NULL,"
    " correction_ref {t}, reason {t}, declared_at {t} NOT NULL, corrective_refs {t},"
    " PRIMARY KEY (corrected_ref, source, fact_id))",
    "CREATE TABLE IF NOT EXISTS {s}trace_supervision ("
    " kind {t} NOT NULL, record_id {t} NOT NULL, entity_id {t} NOT NULL, at {t} NOT NULL,"
    " result {t}, details {t} NOT NULL, rank {t} NOT NULL, PRIMARY KEY (kind, record_id))",
    "CREATE INDEX IF NOT EXISTS trace_supervision_entity ON {s}trace_supervision"
    " (entity_id, at)",
    "CREATE TABLE IF NOT EXISTS {s}trace_case ("
    " case_id {t} PRIMARY KEY, kind {t} NOT NULL, entity_id {t}, opened_at {t},"
    " closed_at {t}, lead {t}, co_units {t}, township_unit {t}, state {t},"
    " state_version INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS trace_case_entity ON {s}trace_case (entity_id)",
)

SECONDARY_INDEXES: Final = tuple(sql for sql in CREATE if sql.startswith("CREATE INDEX"))
"""Indexes the queries need and the writes do not: a rebuild builds them after loading."""


def drop_index(create_index: str) -> str:
    """The DROP of one of :data:`SECONDARY_INDEXES`."""
    name = create_index.removeprefix("CREATE INDEX IF NOT EXISTS ").split(" ", 1)[0]
    return "DROP INDEX IF EXISTS {s}" + name


SELECT_ALL: Final = "SELECT * FROM {s}{table}"
ANALYZE: Final = "ANALYZE {s}{table}"
_INTEGERS: Final = frozenset({"seq", "state_version"})


@dataclass(frozen=True)
class Write:
    """An idempotent insert of one table's rows: ``ON CONFLICT`` decides what a repeat does."""

    table: str
    columns: tuple[str, ...]
    on_conflict: str = " ON CONFLICT DO NOTHING"

    def values(self) -> str:
        """One row per execution (``executemany``; SQLite's C loop makes this fast)."""
        values = ", ".join(f"%({n})s" for n in self.columns)
        return (f"INSERT INTO {{s}}{self.table} ({', '.join(self.columns)})"
                f" VALUES ({values}){self.on_conflict}")

    def recordset(self) -> str:
        """The whole batch in one execution, as one JSON array parameter ``rows`` (PostgreSQL:
        one round trip and no per-row Python work in the driver)."""
        names = ", ".join(self.columns)
        types = ", ".join(f"{n} {'integer' if n in _INTEGERS else 'text'}"
                          for n in self.columns)
        return (f"INSERT INTO {{s}}{self.table} ({names}) SELECT {names}"
                f" FROM json_to_recordset(CAST(%(rows)s AS json)) AS x({types})"
                f"{self.on_conflict}")


def _names(columns: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in columns.split(","))


LOT_GROUPS: Final = {  # what a lot's description is made of; in each, the first (lowest rank) wins
    "first_at": ("first_at",),
    "product_rank": ("product", "product_id", "product_rank"),
    "origin_rank": ("origin_kind", "origin_entity", "origin_location", "origin_at",
                    "origin_step", "origin_ilmd", "origin_rank"),
    "certificate_rank": ("certificate_no", "certificate_rank"),
}
LOT_COLUMNS: Final = ("lot_code", *(c for group in LOT_GROUPS.values() for c in group))


def _lot_upsert() -> str:
    """One upsert of a batch's lots: each group of columns is taken when the row brings it
    with a lower rank than the table's (the groups are independent, as four upserts would be,
    but each lot's row is written once)."""
    def wins(rank: str) -> str:
        return (f"(excluded.{rank} IS NOT NULL AND ({{s}}trace_lot.{rank} IS NULL"
                f" OR excluded.{rank} < {{s}}trace_lot.{rank}))")
    sets = ", ".join(f"{c} = CASE WHEN {wins(rank)} THEN excluded.{c} ELSE {{s}}trace_lot.{c} END"
                     for rank, group in LOT_GROUPS.items() for c in group)
    return (f" ON CONFLICT (lot_code) DO UPDATE SET {sets}"
            f" WHERE {' OR '.join(wins(rank) for rank in LOT_GROUPS)}")


def _latest_wins(table: str, columns: str, key: str) -> Write:
    names = _names(columns)
    keys = set(_names(key))
    sets = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
    return Write(table, names, (
        f" ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE excluded.rank > {{s}}{table}.rank"))


_MOVEMENT_COLUMNS = ("source, fact_id, kind, event_ref, lot_code, product, product_id, quantity,"
                     " unit, from_entity, to_entity, from_location, to_location, entity_id,"
                     " location, at, certificate_no, reference_document,"
                     " reference_document_type, step")
_LINK_COLUMNS = ("source, fact_id, seq, kind, event_ref, entity_id, location, at, from_lot,"
                 " to_lot, product, quantity, unit, input_product, input_quantity, input_unit,"
                 " transformation_id")

WRITES: Final = {
    "movements": Write("trace_movement", _names(_MOVEMENT_COLUMNS)),
    "links": Write("trace_link", _names(_LINK_COLUMNS)),
    "edges": Write("trace_edge", _names("dir, from_lot, to_lot, via, at, source, fact_id, seq")),
    "certificates": Write("trace_certificate", _names(
        "source, fact_id, certificate_no, lot_code, product, quantity, unit, producer,"
        " producer_id, origin, issued_at, basis, issuer_type")),
    "corrections": Write("trace_correction", _names(
        "corrected_ref, source, fact_id, correction_ref, reason, declared_at, corrective_refs")),
    "lots": Write("trace_lot", LOT_COLUMNS, _lot_upsert()),
    "entities": _latest_wins("trace_entity", "entity_id, id_scheme, name, kind, township,"
                             " address, risk_grade, registered_at, rank", "entity_id"),
    "supervision": _latest_wins("trace_supervision", "kind, record_id, entity_id, at, result,"
                                " details, rank", "kind, record_id"),
    # A case's descriptive columns come from case.opened; its state moves only forward in
    # version, so a re-sent or late event never winds it back (rows.merge_case does the same
    # within a batch).
    "cases": Write("trace_case", _names(
        "case_id, kind, entity_id, opened_at, closed_at, lead, co_units, township_unit, state,"
        " state_version"), (
        " ON CONFLICT (case_id) DO UPDATE SET"
        " entity_id = COALESCE({s}trace_case.entity_id, excluded.entity_id),"
        " opened_at = COALESCE({s}trace_case.opened_at, excluded.opened_at),"
        " closed_at = COALESCE(excluded.closed_at, {s}trace_case.closed_at),"
        " lead = COALESCE({s}trace_case.lead, excluded.lead),"
        " co_units = COALESCE({s}trace_case.co_units, excluded.co_units),"
        " township_unit = COALESCE({s}trace_case.township_unit, excluded.township_unit),"
        " state = CASE WHEN excluded.state_version > {s}trace_case.state_version"
        " THEN excluded.state ELSE {s}trace_case.state END,"
        " state_version = CASE WHEN excluded.state_version > {s}trace_case.state_version"
        " THEN excluded.state_version ELSE {s}trace_case.state_version END")),
}


def dialect(sql: str, schema_prefix: str, *, sqlite: bool) -> str:
    """A statement for one store: placeholders filled, paramstyle converted for SQLite."""
    sql = sql.format(s=schema_prefix, t="TEXT" if sqlite else 'TEXT COLLATE "C"',
                     c="" if sqlite else ' COLLATE "C"', wr=" WITHOUT ROWID" if sqlite else "",
                     jo="json_object" if sqlite else "json_build_object",
                     ja="json_group_array" if sqlite else "json_agg",
                     jv="json" if sqlite else "",
                     jarr="json_array" if sqlite else "json_build_array")
    return re.sub(r"%\((\w+)\)s", r":\1", sql) if sqlite else sql
