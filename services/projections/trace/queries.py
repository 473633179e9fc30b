"""Query SQL of the trace read model (PostgreSQL paramstyle; see :mod:`.schema`).

A page of a trace is walked level by level (:mod:`.walk`), one ``LEVEL`` statement per level:
the edges leaving the frontier (one index range scan ``(dir, from_lot)`` per lot), the first
movements of the level's lots and the links listed at that level, each after the page's cursor,
each within the time window. The recall scope (``RECIPIENTS``) needs every downstream lot at
once and walks as one recursive CTE, ``REACH``, with the same rules:

- ``UNION`` (not ``UNION ALL``) keeps each ``(lot, depth, via)`` once, so the work is bounded by
  lots × depth even on cycles, and the walk stops at ``depth``; self-loops are not walked
  (the link is still listed);
- containment (pallets, cases) is followed both ways, but a container reached *from one of its
  children* is not opened again (``via = 'up'`` then ``'down'`` is refused), so a trace never
  jumps to the other lots that merely shared a pallet;
- the time window filters the links walked and the movements listed.

``lots`` keeps each lot at its least depth.
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
_CORRECTED = ("EXISTS (SELECT 1 FROM {s}trace_correction c"
              " WHERE c.corrected_ref = {a}.event_ref) AS corrected")


def _json_of(pairs: list[tuple[str, str]], alias: str) -> str:
    """A row as one JSON object ``j`` (``{jo}``: json_build_object / json_object), with the
    row's ``corrected`` flag: one value per row for the driver to load instead of thirty."""
    corrected = _CORRECTED.format(s="{s}", a=alias).removesuffix(" AS corrected")
    fields = ", ".join(f"'{name}', {expr}" for name, expr in pairs)
    return "{jo}(" + fields + ", 'corrected', " + corrected + ") AS j"


def _json_row(alias: str) -> str:
    return _json_of([(name, f"{alias}.{name}") for name in ITEM_COLUMNS], alias)


ROW_COLUMNS: Final = (*ITEM_COLUMNS, "corrected")


def _json_values(alias: str) -> str:
    """A row as one JSON array ``j`` of :data:`ROW_COLUMNS` (no names: half the text of an
    object, built and parsed faster)."""
    corrected = _CORRECTED.format(s="{s}", a=alias).removesuffix(" AS corrected")
    return ("{jarr}(" + ", ".join(f"{alias}.{name}" for name in ITEM_COLUMNS) + ", "
            + corrected + ") AS j")


PAIR_COLUMNS: Final = ("source", "fact_id", "kind", "lot_code", "quantity", "unit", "from_entity",
                 "to_entity", "at")


RECIPIENTS: Final = (
    REACH +
    " SELECT " + _json_of([("depth", "l.depth"), *((c, f"m.{c}") for c in PAIR_COLUMNS),
                           ("name", "n.name"), ("entity_kind", "n.kind"),
                           ("township", "n.township")], "m") +
    " FROM lots l JOIN {s}trace_movement m ON m.lot_code = l.lot"
    " LEFT JOIN {s}trace_entity n ON n.entity_id = m.to_entity"
    " WHERE m.kind IN ('shipped', 'received') AND m.to_entity IS NOT NULL"
    " AND " + _WINDOW.format(a="m") +
    " ORDER BY m.to_entity, m.lot_code, m.at, m.source, m.fact_id"
)

# --- the walk level by level (see :mod:`.walk`) ---------------------------------------------
# One statement per level answers three JSON arrays (rows as arrays of ROW_COLUMNS):
# ``e`` the edges leaving the frontier's lots (``frontier``), once per (from, to, via);
# ``m`` the first ``limit`` movements of the level's lots (``codes``) after the cursor ``c_*``;
# ``l`` the first ``limit`` links listed at this level: touching one of its lots, the other end
# reached no deeper (``known``) or absent.

_AFTER = "> (%(c_at)s, %(c_source)s, %(c_fact)s, %(c_seq)s)"
_LEVEL_EDGES = (
    "SELECT {ja}({jv}({jarr}(x.from_lot, x.to_lot, x.via))) FROM ("
    " SELECT DISTINCT e.from_lot, e.to_lot, e.via FROM {s}trace_edge e"
    " WHERE e.dir = %(dir)s AND e.from_lot {in_frontier} AND " + _WINDOW.format(a="e") + ") x"
)
_COLUMNS = "(" + ", ".join(ITEM_COLUMNS) + ")"
_LEVEL_MOVEMENTS = (
    "mv" + _COLUMNS + " AS (SELECT " + _MOVEMENT_ITEM.format(d="0") +
    " FROM {s}trace_movement m WHERE m.lot_code {in_codes} AND " + _WINDOW.format(a="m") +
    " AND (m.at, m.source, m.fact_id, 0) " + _AFTER +
    " ORDER BY m.at, m.source, m.fact_id LIMIT %(limit)s)"
)
_LEVEL_LINKS = (
    "lk" + _COLUMNS + " AS (SELECT " + _LINK_ITEM.format(d="0") +
    " FROM {s}trace_link k WHERE (k.from_lot {in_codes} OR k.to_lot {in_codes})"  # the index
    " AND ((k.from_lot {in_codes_set} AND (k.to_lot IS NULL OR k.to_lot {in_known}))"  # hashed
    " OR (k.to_lot {in_codes_set} AND (k.from_lot IS NULL OR k.from_lot {in_known})))"
    " AND " + _WINDOW.format(a="k") + " AND (k.at, k.source, k.fact_id, k.seq) " + _AFTER +
    " ORDER BY k.at, k.source, k.fact_id, k.seq LIMIT %(limit)s)"
)
LEVEL: Final = (
    "WITH " + _LEVEL_MOVEMENTS + ", " + _LEVEL_LINKS +
    " SELECT (" + _LEVEL_EDGES + ") AS e,"
    " (SELECT {ja}({jv}(q.j)) FROM (SELECT " + _json_values("p") + " FROM mv p) q) AS m,"
    " (SELECT {ja}({jv}(q.j)) FROM (SELECT " + _json_values("p") + " FROM lk p) q) AS l"
)

# Lists travel as one JSON array text (the driver's array adaptation costs more than the query)
IN_LIST_SQLITE: Final = "IN (SELECT value FROM json_each(%({name})s))"
IN_LIST_POSTGRES: Final = (  # an array once per statement: index scans from its elements
    "= ANY(ARRAY(SELECT json_array_elements_text(CAST(%({name})s AS json))))")
IN_SET_POSTGRES: Final = (  # tested against many rows: hashed
    "IN (SELECT json_array_elements_text(CAST(%({name})s AS json)))")

# ``{in_codes}`` is a list membership test (a JSON array, see ``IN_LIST_*``), ``{in_tos}`` the
# same on the list ``tos``; ``{in_codes_set}`` and ``{in_tos_set}`` test them row by row, hashed.
MOVEMENTS_OF_LOTS: Final = (
    "SELECT " + _json_of([(c, f"m.{c}") for c in PAIR_COLUMNS], "m") +
    " FROM {s}trace_movement m WHERE m.kind IN ('shipped', 'received')"
    " AND m.lot_code {in_codes} ORDER BY m.lot_code, m.at, m.source, m.fact_id"
)
MOVEMENTS_OF_PAIRS: Final = (  # the shipments and receipts of some lots to some recipients,
    # one JSON array ``a`` of arrays of ``PAIR_COLUMNS`` and the ``corrected`` flag
    "SELECT {ja}({jv}({jarr}(" + ", ".join(f"m.{c}" for c in PAIR_COLUMNS) + ", "
    + _CORRECTED.format(s="{s}", a="m").removesuffix(" AS corrected") + "))) AS a"
    " FROM {s}trace_movement m WHERE m.kind IN ('shipped', 'received')"
    " AND m.lot_code {in_codes} AND m.to_entity {in_tos_set}"  # a hashed set: maybe thousands
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
