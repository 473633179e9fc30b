"""The rows a batch writes, and the helpers that make them (pure; no database).

Every row has a natural key, so writing a row twice changes nothing:

- facts that happened once (movements, links, edges, certificates, corrections) are keyed by
  their CloudEvent ``(source, id)`` (plus a line number when one fact gives several rows) and
  inserted or ignored;
- descriptions that later facts refine (an entity's registration, a lot's product, origin and
  certificate, an inspection record) carry a *rank* and an upsert keeps the lowest (first) or
  highest (latest) rank. Ranks compare by event time, then source, then id, so the result does
  not depend on the order in which facts arrive: a rebuild from offset zero gives the same rows.

The facts come from the canonical topics, validated by intake; they are read here without a
second pydantic validation (it would cost a third of the rebuild rate), but times and lot codes
are normalised again so that GS1 spellings meet and times sort as text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from contracts.lots import normalise_lot
from services.projections.trace.schema import LOT_COLUMNS

SEP: Final = "\x1f"  # between the parts of a rank; lot codes and ids never hold control chars
TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order
Row = dict[str, Any]


_CANONICAL: Final = re.compile(
    r"[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{6})?Z")


def utc_text(value: object) -> str:
    """A time (RFC 3339 text or an aware datetime) as fixed-width UTC text."""
    if isinstance(value, str) and _CANONICAL.fullmatch(value):  # as intake writes times
        return value if len(value) == 27 else f"{value[:19]}.000000Z"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    else:
        raise TypeError(f"not a time: {value!r}")
    if moment.tzinfo is None:
        raise ValueError("a time without an offset")
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


@lru_cache(maxsize=65536)
def lot_text(code: str) -> str:
    """The canonical lot code (cached: a lot is named by many facts)."""
    return normalise_lot(code)


def lot_or_none(value: object) -> str | None:
    return lot_text(value) if isinstance(value, str) and value.strip() else None


def quantity_of(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit() and value[0] != "0":
        return value  # what Decimal would give: the common case, made cheap
    return str(Decimal(str(value)))


def text_of(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value is None else str(value)


def rank_of(at: str, source: str, fact_id: str) -> str:
    return f"{at}{SEP}{source}{SEP}{fact_id}"


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass
class Rows:
    """The rows one batch writes, by statement."""

    movements: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    edges: list[Row] = field(default_factory=list)
    certificates: list[Row] = field(default_factory=list)
    corrections: list[Row] = field(default_factory=list)
    lots_seen: dict[str, Row] = field(default_factory=dict)
    lots_product: dict[str, Row] = field(default_factory=dict)
    lots_origin: dict[str, Row] = field(default_factory=dict)
    lots_certificate: dict[str, Row] = field(default_factory=dict)
    entities: dict[str, Row] = field(default_factory=dict)
    supervision: dict[tuple[str, str], Row] = field(default_factory=dict)
    cases: dict[str, Row] = field(default_factory=dict)
    skipped: int = 0

    def absorb(self, other: Rows) -> None:
        """Take in the rows of one fact (built apart, so that a fact that fails half-way
        leaves nothing behind)."""
        self.movements += other.movements  # spelt out: this runs once per fact
        self.links += other.links
        self.edges += other.edges
        self.certificates += other.certificates
        self.corrections += other.corrections
        for lot, row in other.lots_seen.items():
            self.seen(lot, row["first_at"])
        for lot, row in other.lots_product.items():
            _keep_first(self.lots_product, lot, "product_rank", row)
        for lot, row in other.lots_origin.items():
            _keep_first(self.lots_origin, lot, "origin_rank", row)
        for lot, row in other.lots_certificate.items():
            _keep_first(self.lots_certificate, lot, "certificate_rank", row)
        for key, row in other.entities.items():
            keep_latest(self.entities, key, row)
        for record, row in other.supervision.items():
            keep_latest(self.supervision, record, row)

    def count(self) -> int:
        """How many rows the batch writes."""
        return sum(len(batch) for batch in self.batches().values())

    def batches(self) -> dict[str, list[Row]]:
        """The rows by write statement (:data:`schema.WRITES`), one row per key where a
        statement updates on conflict."""
        return {"movements": self.movements, "links": self.links, "edges": self.edges,
                "certificates": self.certificates, "corrections": self.corrections,
                "lots": self._lots(),
                "entities": list(self.entities.values()),
                "supervision": list(self.supervision.values()),
                "cases": list(self.cases.values())}

    def _lots(self) -> list[Row]:
        """One row per lot with every part of its description this batch brings (the parts it
        does not bring are None, which the upsert leaves alone)."""
        lots: dict[str, Row] = {}
        for part in (self.lots_seen, self.lots_product, self.lots_origin,
                     self.lots_certificate):
            for lot, row in part.items():
                found = lots.get(lot)
                if found is None:
                    lots[lot] = found = dict.fromkeys(LOT_COLUMNS)
                found.update(row)
        return list(lots.values())

    # --- lot descriptions: the first (lowest rank) wins, within the batch as in the table ---

    def seen(self, lot: str, at: str) -> None:
        current = self.lots_seen.get(lot)
        if current is None or at < current["first_at"]:
            self.lots_seen[lot] = {"lot_code": lot, "first_at": at}

    def product(self, lot: str, product: str | None, product_id: str | None, rank: str) -> None:
        if product is None:
            return
        _keep_first(self.lots_product, lot, "product_rank", {
            "lot_code": lot, "product": product, "product_id": product_id,
            "product_rank": rank})

    def origin(self, lot: str, row: Row) -> None:
        _keep_first(self.lots_origin, lot, "origin_rank", {"lot_code": lot, **row})

    def lot_certificate(self, lot: str, certificate_no: str, rank: str) -> None:
        _keep_first(self.lots_certificate, lot, "certificate_rank", {
            "lot_code": lot, "certificate_no": certificate_no, "certificate_rank": rank})


def _keep_first(rows: dict[str, Row], lot: str, rank_key: str, row: Row) -> None:
    current = rows.get(lot)
    if current is None or row[rank_key] < current[rank_key]:
        rows[lot] = row


def keep_latest(rows: dict[Any, Row], key: object, row: Row) -> None:
    current = rows.get(key)
    if current is None or row["rank"] > current["rank"]:
        rows[key] = row


def merge_case(current: Row, new: Row) -> Row:
    """Two events of one case in one batch, merged as the upsert merges them in the table."""
    merged = dict(current)
    for name in ("entity_id", "opened_at", "lead", "co_units", "township_unit"):
        if merged[name] is None:
            merged[name] = new[name]
    merged["closed_at"] = new["closed_at"] or current["closed_at"]
    if new["state_version"] > current["state_version"]:
        merged.update(state=new["state"], state_version=new["state_version"])
    return merged
