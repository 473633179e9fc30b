"""Pure computations on trace rows: quantity mismatches, recall scope, page cursors.

Quantities are exact decimals kept as text in the tables and added up here, never in SQL (SQLite
would add them as binary floats).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

Row = Mapping[str, Any]


class InvalidCursorError(ValueError):
    """A page cursor that this view did not hand out."""


def encode_cursor(item: Row) -> str:
    key = [item["depth"], item["at"], item["source"], item["fact_id"], item["seq"]]
    return base64.urlsafe_b64encode(json.dumps(key, ensure_ascii=False).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    """The keyset parameters of a cursor; before everything when there is none."""
    if not cursor:
        return {"c_depth": -1, "c_at": "", "c_source": "", "c_fact": "", "c_seq": -1}
    try:
        depth, at, source, fact_id, seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError,
            TypeError) as exc:
        raise InvalidCursorError("not a cursor of this trace") from exc
    if not (isinstance(depth, int) and isinstance(seq, int)
            and all(isinstance(v, str) and "\x00" not in v for v in (at, source, fact_id))):
        raise InvalidCursorError("not a cursor of this trace")  # (no text of ours holds NUL)
    return {"c_depth": depth, "c_at": at, "c_source": source, "c_fact": fact_id, "c_seq": seq}


def _fact(row: Row) -> str:
    return f"{row['source']}#{row['fact_id']}"


def _total(rows: Iterable[Row]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["unit"] or ""] += Decimal(row["quantity"] or "0")
    return dict(totals)


def _text(totals: Mapping[str, Decimal]) -> dict[str, str]:
    return {unit: str(value) for unit, value in sorted(totals.items())}


def mismatches(movements: Iterable[Row]) -> list[dict[str, Any]]:
    """Shipments and receipts of lots that do not agree, each flagged with its kind.

    A receipt belongs to the shipments of the same lot to the same recipient (and from the
    same shipper, when the receipt names one). Kinds: ``quantity_mismatch`` (per lot, shipper,
    recipient and unit: shipped ≠ received), ``receipt_without_shipment`` and
    ``shipment_without_receipt``. Movements declared in error (corrected) do not count; they
    are listed by the trace with their flag.
    """
    # shipments by (lot, recipient), then by shipper: every lookup below is a dict access
    shipped: dict[tuple[str, str], dict[str | None, list[Row]]] = defaultdict(
        lambda: defaultdict(list))
    received: dict[tuple[str, str | None, str], list[Row]] = defaultdict(list)
    orphans: list[Row] = []
    valid = [m for m in movements if not m["corrected"]]
    for row in valid:
        if row["kind"] == "shipped":
            shipped[(row["lot_code"], row["to_entity"] or "")][row["from_entity"]].append(row)
    for row in valid:
        if row["kind"] != "received":
            continue
        by_sender = shipped.get((row["lot_code"], row["to_entity"]), {})
        senders = [s for s in by_sender if row["from_entity"] is None or s == row["from_entity"]]
        if not senders:
            orphans.append(row)
        else:  # several possible shippers and none named: the receipt meets them all at once
            sender = senders[0] if len(senders) == 1 else None
            received[(row["lot_code"], sender, row["to_entity"])].append(row)
    found: list[dict[str, Any]] = []
    for (lot, sender, to), receipts in sorted(received.items(), key=_sort_key):
        sent = [r for s, rows in shipped[(lot, to)].items() if sender is None or s == sender
                for r in rows]
        out, came = _total(sent), _total(receipts)
        if out != came:
            found.append(_finding("quantity_mismatch", (lot, sender, to), out, came,
                                  [*sent, *receipts]))
    for (lot, to), by_sender in sorted(shipped.items()):
        for sender, sent in sorted(by_sender.items(), key=lambda item: item[0] or ""):
            if (lot, sender, to) not in received and (lot, None, to) not in received:
                found.append(_finding("shipment_without_receipt", (lot, sender, to or None),
                                      _total(sent), {}, sent))
    found.extend(_finding("receipt_without_shipment",
                          (row["lot_code"], row["from_entity"], row["to_entity"]), {},
                          _total([row]), [row]) for row in orphans)
    return found


def _sort_key(item: tuple[tuple[str, str | None, str], list[Row]]) -> tuple[str, str, str]:
    lot, sender, to = item[0]
    return (lot, sender or "", to)


def _finding(kind: str, pair: tuple[str, str | None, str | None],
             out: Mapping[str, Decimal], came: Mapping[str, Decimal],
             rows: list[Row]) -> dict[str, Any]:
    lot, sender, to = pair
    units = sorted(set(out) | set(came))
    return {"kind": kind, "lot_code": lot, "from_entity": sender, "to_entity": to,
            "shipped": _text(out), "received": _text(came),
            "difference": {u: str(out.get(u, Decimal(0)) - came.get(u, Decimal(0)))
                           for u in units},
            "facts": sorted(_fact(r) for r in rows)}


def flags_by_fact(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The mismatch kinds each movement takes part in, by ``source#fact_id``."""
    flags: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        for fact in finding["facts"]:
            if finding["kind"] not in flags[fact]:
                flags[fact].append(finding["kind"])
    return dict(flags)


def recall_scope(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Each downstream business with what it received of each lot (one row per business, lot
    and unit). The quantity is the sum of its receipts; when it recorded none, of the
    shipments to it (``basis`` says which). Corrected movements count only when nothing else
    reached the business, and then the row says ``corrected``."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row["to_entity"], row["lot_code"])].append(row)
    scope: list[dict[str, Any]] = []
    for (entity_id, lot), movements in groups.items():
        valid = [m for m in movements if not m["corrected"]]
        chosen, corrected = (valid, False) if valid else (movements, True)
        receipts = [m for m in chosen if m["kind"] == "received"]
        basis, counted = ("received", receipts) if receipts else ("shipped", chosen)
        first = movements[0]
        for unit, quantity in sorted(_total(counted).items()):
            scope.append({
                "entity_id": entity_id, "name": first["name"], "kind": first["entity_kind"],
                "township": first["township"], "registered": first["name"] is not None,
                "lot_code": lot, "depth": min(m["depth"] for m in movements),
                "quantity": str(quantity), "unit": unit or None, "basis": basis,
                "corrected": corrected, "first_at": min(m["at"] for m in counted),
                "facts": sorted(_fact(m) for m in counted)})
    scope.sort(key=lambda r: (r["township"] or "\uffff", r["entity_id"], r["lot_code"],
                              r["unit"] or ""))
    return scope
