"""Query SQL of the trace read model (PostgreSQL paramstyle; see :mod:`.schema`).

The trace is a walk over ``trace_edge`` from one lot, as a recursive CTE:

- each step is one index range scan ``(dir, from_lot)`` per frontier lot;
- ``UNION`` (not ``UNION ALL``) keeps each ``(lot, depth, via)`` once, so the work is bounded by
  lots × depth even on cycles, and the walk stops at ``depth``; self-loops are not walked
  (the link is still listed);
- containment (pallets, cases) is followed both ways, but a container reached *from one of its
  children* is not opened again (``via = 'up'`` then ``'down'`` is refused), so a trace never
  jumps to the other lots that merely shared a pallet;
- the time window filters the links walked and the movements listed.

``lots`` keeps each lot at its least depth. The page lists the lots, their movements and the
links between reached lots, ordered by ``(depth, at, source, fact_id, seq)`` with keyset
pagination on that tuple; flags of the page's rows (corrected) are computed on the page only.
"""

# ruff: noqa: S608 - SQL assembled from this module's constants; values are always bound
from __future__ import annotations

from typing import Final

_WINDOW = ("(CAST(%(since)s AS TEXT) IS NULL OR {a}.at >= %(since)s)"
           " AND (CAST(%(until)s AS TEXT) IS NULL OR {a}.at < %(until)s)")

REACH: Final = (
    "WITH RECURSIVE reach(lot, depth, via) AS ("
    " SELECT CAST(%(lot)s AS TEXT){c}, 0, CAST('start' AS TEXT){c}"
    " UNION"
    " SELECT e.to_lot, r.depth + 1, e.via"
    " FROM reach r JOIN {s}trace_edge e ON e.dir = %(dir)s AND e.from_lot = r.lot"
    " WHERE r.depth < %(depth)s AND e.to_lot <> r.lot"
    " AND NOT (r.via = 'up' AND e.via = 'down')"
    " AND " + _WINDOW.format(a="e") +
    "), lots AS MATERIALIZED (SELECT lot, MIN(depth) AS depth FROM reach GROUP BY lot)"
)

ITEM_COLUMNS: Final = (
    "item", "depth", "at", "source", "fact_id", "seq", "kind", "event_ref", "lot_code",
    "product", "quantity", "unit", "from_entity", "to_entity", "from_location", "to_location",
    "entity_id", "location", "certificate_no", "reference_document", "reference_document_type",
    "step", "from_lot", "to_lot", "input_product", "input_quantity", "input_unit",
    "transformation_id")

_MOVEMENT_ITEM = (
    "'movement', {d}, m.at, m.source, m.fact_id, 0, m.kind, m.event_ref, m.lot_code,"
    " m.product, m.quantity, m.unit, m.from_entity, m.to_entity, m.from_location,"
    " m.to_location, m.entity_id, m.location, m.certificate_no, m.reference_document,"
    " m.reference_document_type, m.step, NULL, NULL, NULL, NULL, NULL, NULL")
_LINK_ITEM = (
    "'link', {d}, k.at, k.source, k.fact_id, k.seq, k.kind, k.event_ref,"
    " CASE WHEN k.kind = 'packed' THEN k.from_lot ELSE k.to_lot END,"
    " k.product, k.quantity, k.unit, NULL, NULL, NULL, NULL, k.entity_id, k.location, NULL,"
    " NULL, NULL, NULL, k.from_lot, k.to_lot, k.input_product, k.input_quantity, k.input_unit,"
    " k.transformation_id")
_LOT_ITEM = (
    "'lot', l.depth, '', '', l.lot, 0, 'lot', NULL, l.lot, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL")

_ITEMS = (
    ", items(" + ", ".join(ITEM_COLUMNS) + ") AS ("
    " SELECT " + _LOT_ITEM + " FROM lots l"
    " UNION ALL"
    " SELECT " + _MOVEMENT_ITEM.format(d="l.depth") +
    " FROM lots l JOIN {s}trace_movement m ON m.lot_code = l.lot"
    " WHERE " + _WINDOW.format(a="m") +
    " UNION ALL"
    " SELECT " + _LINK_ITEM.format(d="CASE WHEN b.depth > a.depth THEN b.depth ELSE a.depth END")
    + " FROM lots a JOIN {s}trace_link k ON k.from_lot = a.lot LEFT JOIN lots b ON b.lot = k.to_lot"
    " WHERE (k.to_lot IS NULL OR b.lot IS NOT NULL) AND " + _WINDOW.format(a="k") +
    " UNION ALL"
    " SELECT " + _LINK_ITEM.format(d="b.depth") +
    " FROM lots b JOIN {s}trace_link k ON k.to_lot = b.lot"
    " WHERE k.from_lot IS NULL AND " + _WINDOW.format(a="k") +
    ")"
)
_CORRECTED = ("EXISTS (SELECT 1 FROM {s}trace_correction c"
              " WHERE c.corrected_ref = {a}.event_ref) AS corrected")
_ORDER = "ORDER BY depth, at, source, fact_id, seq"


def _json_of(pairs: list[tuple[str, str]], alias: str) -> str:
    """A row as one JSON object ``j`` (``{jo}``: json_build_object / json_object), with the
    row's ``corrected`` flag: one value per row for the driver to load instead of thirty."""
    corrected = _CORRECTED.format(s="{s}", a=alias).removesuffix(" AS corrected")
    fields = ", ".join(f"'{name}', {expr}" for name, expr in pairs)
    return "{jo}(" + fields + ", 'corrected', " + corrected + ") AS j"


def _json_row(alias: str) -> str:
    return _json_of([(name, f"{alias}.{name}") for name in ITEM_COLUMNS], alias)


_PAIR_COLUMNS = ("source", "fact_id", "kind", "lot_code", "quantity", "unit", "from_entity",
                 "to_entity", "at")


PAGE: Final = (
    REACH + _ITEMS +
    " SELECT " + _json_row("p") + " FROM ("
    " SELECT * FROM items WHERE (depth, at, source, fact_id, seq) >"
    " (%(c_depth)s, %(c_at)s, %(c_source)s, %(c_fact)s, %(c_seq)s) " + _ORDER +
    " LIMIT %(limit)s) p " + _ORDER
)

RECIPIENTS: Final = (
    REACH +
    " SELECT " + _json_of([("depth", "l.depth"), *((c, f"m.{c}") for c in _PAIR_COLUMNS),
                           ("name", "n.name"), ("entity_kind", "n.kind"),
                           ("township", "n.township")], "m") +
    " FROM lots l JOIN {s}trace_movement m ON m.lot_code = l.lot"
    " LEFT JOIN {s}trace_entity n ON n.entity_id = m.to_entity"
    " WHERE m.kind IN ('shipped', 'received') AND m.to_entity IS NOT NULL"
    " AND " + _WINDOW.format(a="m") +
    " ORDER BY m.to_entity, m.lot_code, m.at, m.source, m.fact_id"
)

IN_LIST_SQLITE: Final = "IN (SELECT value FROM json_each(%({name})s))"  # a JSON array
IN_LIST_POSTGRES: Final = "= ANY(%({name})s)"  # a text[] array

# ``{in_codes}`` is a list membership test: ``= ANY(...)`` on PostgreSQL, json_each on SQLite
# (``{in_tos}`` the same on the list ``tos``).
MOVEMENTS_OF_LOTS: Final = (
    "SELECT " + _json_of([(c, f"m.{c}") for c in _PAIR_COLUMNS], "m") +
    " FROM {s}trace_movement m WHERE m.kind IN ('shipped', 'received')"
    " AND m.lot_code {in_codes} ORDER BY m.lot_code, m.at, m.source, m.fact_id"
)
MOVEMENTS_OF_PAIRS: Final = (  # the shipments and receipts of some lots to some recipients
    "SELECT " + _json_of([(c, f"m.{c}") for c in _PAIR_COLUMNS], "m") +
    " FROM {s}trace_movement m WHERE m.kind IN ('shipped', 'received')"
    " AND m.lot_code {in_codes} AND m.to_entity {in_tos}"
)
LOTS_IN: Final = "SELECT * FROM {s}trace_lot WHERE lot_code {in_codes}"
ENTITIES_IN: Final = "SELECT * FROM {s}trace_entity WHERE entity_id {in_codes}"
LOT: Final = "SELECT * FROM {s}trace_lot WHERE lot_code = %(lot)s"
CERTIFICATES_OF_LOT: Final = ("SELECT * FROM {s}trace_certificate WHERE lot_code = %(lot)s"
                              " ORDER BY issued_at, source, fact_id")

BETWEEN: Final = (
    "WITH t(" + ", ".join(ITEM_COLUMNS) + ") AS ("
    " SELECT " + _MOVEMENT_ITEM.format(d="0") +
    " FROM {s}trace_movement m WHERE m.at >= %(since)s AND m.at < %(until)s"
    " UNION ALL"
    " SELECT " + _LINK_ITEM.format(d="0") +
    " FROM {s}trace_link k WHERE k.at >= %(since)s AND k.at < %(until)s"
    ") SELECT " + _json_row("p") + " FROM ("
    " SELECT * FROM t ORDER BY at, source, fact_id, seq LIMIT %(limit)s) p"
    " ORDER BY at, source, fact_id, seq"
)

ENTITY: Final = "SELECT * FROM {s}trace_entity WHERE entity_id = %(entity_id)s"
SUPERVISION: Final = ("SELECT kind, record_id, at, result, details FROM {s}trace_supervision"
                      " WHERE entity_id = %(entity_id)s ORDER BY at DESC, kind, record_id")
CASES: Final = ("SELECT case_id, kind, state, opened_at, closed_at, lead, co_units,"
                " township_unit FROM {s}trace_case WHERE entity_id = %(entity_id)s"
                " ORDER BY opened_at DESC, case_id")
