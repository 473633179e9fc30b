"""A seeded, deterministic supply graph of trace facts (CloudEvents as intake publishes them).

Farms commission lots (some with a 合格证), pack them on pallets and ship them to wholesale
markets, which unpack them and sell parts to retailers, restaurants, school canteens,
processors and central kitchens. About a tenth of the farm lots go to grain depots instead,
which blend a few hundred lots into one silo lot; mills turn a silo lot into flour lots.
Processors and kitchens transform what they received (plus, often, a flour lot or one of a
few long-lived condiment lots: the hub lots) into new lots, pack some in cases on pallets,
and ship them on, so chains reach ten links and more. Some transformations relabel a lot as
itself (a self-loop) or rework into a lot made earlier (a cycle); a few receipts are missing
or disagree with the shipment.

``TraceGraph(seed).facts(limit)`` yields CloudEvent dicts in time order; afterwards ``lots``,
``condiments``, ``flour`` (the last ones milled) and ``hubs_up`` (late products of flour) name
the lots the queries sample.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.facts import certificate, trace
from contracts.identifiers import USCC_CHARSET, uscc_check_character

SOURCE = "urn:fangxin:bench:market-trace"
MOVEMENTS = frozenset({trace.SHIPPED, trace.RECEIVED, trace.COMMISSIONED})
_START = datetime(2025, 1, 1, tzinfo=UTC)
_PRODUCE = ("韭菜", "豇豆", "菠菜", "小麦", "鸡蛋", "猪肉", "大米", "白菜")
_DISHES = ("饺子", "包子", "卤肉", "炒面", "盒饭", "面条")
Fact = dict[str, Any]


def uscc(kind: int, n: int) -> str:
    body = f"914102{kind:02d}MA" + "".join(USCC_CHARSET[(n >> (5 * i)) % 31] for i in range(7))
    return body + uscc_check_character(body)


class TraceGraph:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        made = {"farm": 3000, "market": 12, "depot": 6, "mill": 10, "processor": 150,
                "kitchen": 40, "retail": 3000, "restaurant": 2000, "canteen": 300}
        self.entities = {kind: [uscc(k, n) for n in range(count)]
                         for k, (kind, count) in enumerate(made.items())}
        self.pools: dict[str, list[tuple[str, int]]] = {}  # business -> (lot, stage) received
        self.lots: list[str] = []
        self.flour: list[str] = []
        self.condiments: list[str] = []
        self.hubs_up: list[str] = []
        self.depot: list[str] = []
        self.seq = 0
        self.clock = _START

    # --- facts -------------------------------------------------------------------------------

    def _fact(self, fact_type: str, **data: Any) -> Fact:
        self.seq += 1
        self.clock += timedelta(seconds=self.rng.randrange(1, 40))
        at = self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")
        if fact_type == certificate.TYPE:
            data |= {"issued_at": at, "issued_at_offset": "+08:00"}
        else:
            data = {"event_ref": f"ev-{self.seq}", **data, "at": at, "at_offset": "+08:00"}
        return {"specversion": "1.0", "id": f"f{self.seq:08d}", "source": SOURCE,
                "type": fact_type, "time": at, "data": data}

    def _lot(self, prefix: str) -> str:
        lot = f"{prefix}{len(self.lots):07d}"
        self.lots.append(lot)
        return lot

    def _ship(self, lot: str, product: str, qty: int, sender: str, to: str,
              unit: str = "KGM") -> Iterator[Fact]:
        move = {"lot_code": lot, "product": product, "quantity": str(qty), "unit": unit,
                "from_entity": sender, "to_entity": to}
        yield self._fact(trace.SHIPPED, **move, reference_document=f"DN-{self.seq}",
                         reference_document_type="desadv")
        roll = self.rng.random()
        if roll < 0.03:
            return  # a receipt never reported
        if roll < 0.06:
            move["quantity"] = str(max(1, qty - self.rng.randrange(1, 10)))  # short delivery
        yield self._fact(trace.RECEIVED, **move)

    def _pallet(self, lots: list[str], sender: str, to: str) -> Iterator[Fact]:
        pallet = self._lot("SSCC")
        contents = [{"lot_code": lot, "quantity": "100", "unit": "KGM"} for lot in lots]
        yield self._fact(trace.PACKED, container_id=pallet, entity_id=sender, contents=contents)
        yield from self._ship(pallet, "托盘", 1, sender, to, unit="EA")
        yield self._fact(trace.UNPACKED, container_id=pallet, entity_id=to,
                         **({"contents": contents} if self.rng.random() < 0.5 else {}))

    def _harvest(self) -> Iterator[Fact]:
        rng = self.rng
        farm, market = rng.choice(self.entities["farm"]), rng.choice(self.entities["market"])
        lots = []
        for _ in range(rng.randrange(1, 5)):
            lot, product = self._lot("F"), rng.choice(_PRODUCE)
            lots.append(lot)
            yield self._fact(trace.COMMISSIONED, lot_code=lot, product=product,
                             quantity="1000", unit="KGM", entity_id=farm, step="harvesting",
                             lot_master_data={"harvest_date": self.clock.date().isoformat()})
            if rng.random() < 0.5:
                yield self._fact(certificate.TYPE, certificate_no=f"HG-{lot}", lot_code=lot,
                                 product=product, quantity="1000", unit="KGM",
                                 producer=f"农户{farm[-6:]}", producer_id=farm,
                                 origin="河南省开封市龙亭区北郊乡", basis="self_test")
        if rng.random() < 0.03:
            yield from self._pallet(lots, farm, depot := rng.choice(self.entities["depot"]))
            self.depot += lots
            if len(self.depot) >= rng.randrange(150, 400):
                yield from self._blend(depot)
            return
        yield from self._pallet(lots, farm, market)
        for lot in lots:
            for _ in range(rng.randrange(2, 7)):
                to = rng.choice(self.entities[rng.choice(
                    ("retail", "retail", "restaurant", "canteen", "processor", "kitchen"))])
                yield from self._ship(lot, "农产品", rng.randrange(10, 200), market, to)
                self.pools.setdefault(to, []).append((lot, 1))

    def _blend(self, depot: str) -> Iterator[Fact]:
        """Hundreds of farm lots into one silo lot, milled into flour lots (hub lots)."""
        silo = self._lot("SILO")
        inputs = [{"lot_code": lot, "quantity": "1000", "unit": "KGM"} for lot in self.depot]
        self.depot = []
        yield self._fact(trace.TRANSFORMED, entity_id=depot, inputs=inputs, outputs=[
            {"lot_code": silo, "product": "小麦", "quantity": "100000", "unit": "KGM"}])
        mill = self.rng.choice(self.entities["mill"])
        yield from self._ship(silo, "小麦", 100_000, depot, mill)
        outputs = [self._lot("FL") for _ in range(self.rng.randrange(3, 7))]
        yield self._fact(trace.TRANSFORMED, entity_id=mill, inputs=[
            {"lot_code": silo, "quantity": "100000", "unit": "KGM"}], outputs=[
            {"lot_code": lot, "product": "面粉", "quantity": "15000", "unit": "KGM"}
            for lot in outputs])
        self.flour = (self.flour + outputs)[-30:]

    def _process(self) -> Iterator[Fact]:
        """A processor or kitchen makes new lots from what it received, and ships them on."""
        rng = self.rng
        maker = rng.choice(self.entities[rng.choice(("processor", "processor", "kitchen"))])
        pool = self.pools.get(maker)
        if not pool:
            return
        taken = [pool.pop(rng.randrange(len(pool))) for _ in range(min(len(pool), 3))]
        stage = max(s for _, s in taken) + 1
        inputs = [lot for lot, _ in taken]
        if self.flour and rng.random() < 0.3:
            inputs.append(rng.choice(self.flour))
        if rng.random() < 0.1:
            if len(self.condiments) < 5 or rng.random() < 0.0005:
                self.condiments.append(self._lot("SALT"))
            inputs.append(rng.choice(self.condiments[-5:]))
        roll = rng.random()
        if roll < 0.01:
            outputs = [inputs[0]]  # relabelled as itself: a self-loop
        elif roll < 0.02 and len(self.lots) > 1000:
            outputs = [self.lots[-rng.randrange(1, 1000)]]  # rework into an earlier lot: a cycle
        else:
            outputs = [self._lot("P") for _ in range(rng.randrange(1, 3))]
        dish = rng.choice(_DISHES)
        yield self._fact(trace.TRANSFORMED, entity_id=maker, inputs=[
            {"lot_code": lot, "quantity": "20", "unit": "KGM"} for lot in inputs], outputs=[
            {"lot_code": lot, "product": dish, "quantity": "50", "unit": "KGM"}
            for lot in outputs])
        if stage >= 6 and any(lot in self.flour for lot in inputs):
            self.hubs_up.append(outputs[0])
        for lot in outputs:
            if rng.random() < 0.3:
                to = rng.choice(self.entities["kitchen"] + self.entities["processor"])
                yield from self._pallet([lot], maker, to)
                self.pools.setdefault(to, []).append((lot, stage + 1))
                continue
            for _ in range(rng.randrange(1, 4)):
                to = rng.choice(self.entities[rng.choice(
                    ("canteen", "restaurant", "retail", "kitchen"))])
                yield from self._ship(lot, dish, 10, maker, to)
                if stage < 12:
                    self.pools.setdefault(to, []).append((lot, stage))

    def facts(self, limit: int, *, movements: bool = False) -> Iterator[Fact]:
        """Facts until ``limit`` of them (or of movements only) have been yielded."""
        count = 0
        while True:
            for fact in (*self._harvest(), *self._process(), *self._process()):
                yield fact
                count += not movements or fact["type"] in MOVEMENTS
                if count >= limit:
                    return
