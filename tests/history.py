"""A deterministic, generated history of the platform's facts, for rebuild tests.

Farms harvest lots (some with a 合格证) and send them on pallets (packed, shipped, received,
unpacked) to wholesale markets, which sell parts to retailers, central kitchens and school
canteens; kitchens turn lots into new ones (transformations), rework some in a cycle
(A → B → A) and relabel some under the same code (C → C); some receipts do not match their
shipments, some have none, a few movements are declared in error. Markets' lots are sampled
(some unqualified), canteens inspected, and sampling disposal cases open and close.

``generate(scale)`` gives about 2,700 trace facts per unit of scale; the same seed gives the
same history, byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.facts import certificate, entity, inspection, sampling, trace
from contracts.identifiers import uscc_check_character
from contracts.lots import gs1_check_digit
from contracts.registry import by_type

CST = timezone(timedelta(hours=8))
SOURCE = "urn:fangxin:test:market"  # tests.fixtures.producers.TEST_MARKET may send any type
TOWNSHIPS = ("北郊乡", "北书店街道", "大兴街道", "午朝门街道", "城西街道", "水稻乡")
START = datetime(2024, 3, 1, 6, tzinfo=CST)


def uscc(serial: int) -> str:
    first17 = f"91410202MA5{serial:06d}"
    return first17 + uscc_check_character(first17)


def sscc(serial: int) -> str:
    body = f"06901234{serial:09d}"
    return f"https://id.gs1.org/00/{body}{gs1_check_digit(body)}"


@dataclass
class History:
    """Facts as (canonical topic base name, Kafka key, CloudEvent) and case events, in the
    order they happen."""

    facts: list[tuple[str, bytes, CloudEvent]] = field(default_factory=list)
    case_events: list[CaseEvent] = field(default_factory=list)
    farm_lots: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)

    @property
    def trace_facts(self) -> int:
        return sum(1 for _, _, f in self.facts if f.type.startswith("foodsafety.trace."))


class _Writer:
    def __init__(self, history: History, prefix: str) -> None:
        self.history = history
        self.prefix = prefix
        self.count = 0

    def add(self, model: type[BaseModel], type_: str, when: datetime, **data: Any) -> str:
        self.count += 1
        fact_id = f"{self.prefix}{self.count:06d}"
        validated = model.model_validate(data)
        fact_type = by_type()[type_]
        event = CloudEvent(specversion="1.0", id=fact_id, source=SOURCE, type=type_,
                           time=when, data=validated.model_dump(mode="json", exclude_none=True))
        self.history.facts.append((fact_type.topic, fact_type.key(validated).encode(), event))
        return fact_id

    def move(self, kind: str, lot: str, qty: int | str, from_: str | None, to: str | None,
             when: datetime, **extra: Any) -> str:
        model, type_ = ((trace.TraceShipped, trace.SHIPPED) if kind == "shipped"
                        else (trace.TraceReceived, trace.RECEIVED))
        ref = f"{self.prefix}{kind}-{self.count + 1}"
        self.add(model, type_, when, event_ref=ref, lot_code=lot,
                 product=extra.pop("product", "韭菜"), quantity=str(qty),
                 unit=extra.pop("unit", "KGM"), from_entity=from_, to_entity=to,
                 at=when.isoformat(), **extra)
        return ref


def generate(scale: int = 1, seed: int = 20240301, prefix: str = "g") -> History:
    rnd = random.Random(seed)
    history = History()
    w = _Writer(history, prefix)
    serial = iter(range(1, 1_000_000))
    farms = [uscc(next(serial)) for _ in range(20 * scale)]
    markets = [uscc(next(serial)) for _ in range(4)]
    kitchens = [uscc(next(serial)) for _ in range(6)]
    sellers = [uscc(next(serial)) for _ in range(24)]
    canteens = [uscc(next(serial)) for _ in range(16)]
    for group, kind in ((farms, "farm"), (markets, "market"), (kitchens, "central_kitchen"),
                        (sellers, "seller"), (canteens, "school_canteen")):
        for entity_id in group:
            w.add(entity.EntityRegistered, entity.TYPE, START - timedelta(days=30),
                  entity_id=entity_id, name=f"{kind}-{entity_id[-6:]}", kind=kind,
                  township=rnd.choice(TOWNSHIPS), risk_grade=rnd.choice("ABCD"))
    buyers = sellers + kitchens + canteens
    received_at: dict[str, list[str]] = {k: [] for k in kitchens}
    pallets = iter(range(sum(map(ord, prefix)) * 100_000, 1_000_000_000))
    for day in range(10):
        today = START + timedelta(days=day)
        for n, farm in enumerate(farms):
            lot = f"{prefix.upper()}F{n:03d}-{today:%m%d}"
            history.farm_lots.append(lot)
            w.add(trace.TraceCommissioned, trace.COMMISSIONED, today, event_ref=f"h-{lot}",
                  lot_code=lot, product="韭菜", quantity="600", unit="KGM", entity_id=farm,
                  at=today.isoformat(), step="harvesting",
                  lot_master_data={"harvest_date": today.date().isoformat(), "origin": "北郊乡"})
            if rnd.random() < 0.5:
                w.add(certificate.CertificateIssued, certificate.TYPE, today,
                      certificate_no=f"HG-{lot}", lot_code=lot, product="韭菜", quantity="600",
                      unit="KGM", producer=f"farm-{n}", producer_id=farm, origin="龙亭区",
                      issued_at=today.isoformat(), basis="self_test")
            pallet = sscc(next(pallets))
            market = rnd.choice(markets)
            step = timedelta(hours=1)
            w.add(trace.TracePacked, trace.PACKED, today + step, event_ref=f"p-{lot}",
                  container_id=pallet, entity_id=farm, at=(today + step).isoformat(),
                  contents=[{"lot_code": lot, "quantity": "600", "unit": "KGM"}])
            w.move("shipped", pallet, 1, farm, market, today + 2 * step, product="托盘",
                   unit="EA")
            w.move("received", pallet, 1, farm, market, today + 3 * step, product="托盘",
                   unit="EA")
            w.add(trace.TraceUnpacked, trace.UNPACKED, today + 4 * step, event_ref=f"u-{lot}",
                  container_id=pallet, entity_id=market, at=(today + 4 * step).isoformat())
            for buyer in rnd.sample(buyers, 3):
                sent = rnd.choice((50, 100, 150))
                fate = rnd.random()
                if fate > 0.05:  # 5 %: a receipt without a shipment
                    ref = w.move("shipped", lot, sent, market, buyer, today + 5 * step)
                if fate < 0.95:  # 5 %: a shipment without a receipt
                    got = sent - 5 if fate < 0.1 else sent  # 5 %: a quantity mismatch
                    w.move("received", lot, got, market, buyer, today + 7 * step)
                    if buyer in received_at:
                        received_at[buyer].append(lot)
                if fate > 0.98:
                    w.add(trace.TraceCorrected, trace.CORRECTED, today + 8 * step,
                          event_ref=f"c-{ref}", corrected_event_refs=[ref],
                          reason="incorrect_data", declared_at=(today + 8 * step).isoformat())
        for k, kitchen in enumerate(kitchens):
            inputs = received_at[kitchen][-2:]
            if not inputs:
                continue
            made = today + timedelta(hours=14)
            output = f"{prefix.upper()}K{k}-{today:%m%d}"
            w.add(trace.TraceTransformed, trace.TRANSFORMED, made, event_ref=f"t-{output}",
                  entity_id=kitchen, at=made.isoformat(),
                  inputs=[{"lot_code": i, "quantity": "40", "unit": "KGM"} for i in inputs],
                  outputs=[{"lot_code": output, "product": "韭菜饺子", "quantity": "70",
                            "unit": "KGM"}])
            for canteen in rnd.sample(canteens, 2):
                w.move("shipped", output, 30, kitchen, canteen, made + timedelta(hours=2),
                       product="韭菜饺子")
                w.move("received", output, 30, kitchen, canteen, made + timedelta(hours=3),
                       product="韭菜饺子")
            if day % 3 == 0:  # rework in a cycle, and a relabelling under the same code
                for ref, a, b in ((f"r1-{output}", output, f"{output}-R"),
                                  (f"r2-{output}", f"{output}-R", output),
                                  (f"r3-{output}", output, output)):
                    w.add(trace.TraceTransformed, trace.TRANSFORMED, made, event_ref=ref,
                          entity_id=kitchen, at=made.isoformat(),
                          inputs=[{"lot_code": a, "quantity": "10", "unit": "KGM"}],
                          outputs=[{"lot_code": b, "product": "半成品", "quantity": "10",
                                    "unit": "KGM"}])
        for m, market in enumerate(markets):
            sampled = rnd.choice(history.farm_lots[-len(farms):])
            sample_id = f"DC{prefix.upper()}{day:02d}{m}"
            qualified = rnd.random() < 0.7
            w.add(sampling.SamplingReported, sampling.TYPE, today + timedelta(hours=20),
                  sample_id=sample_id, entity_id=market, lot_code=sampled, product="韭菜",
                  category="蔬菜", program="supervisory", sampled_at=today.isoformat(),
                  reported_at=(today + timedelta(hours=20)).isoformat(), lab="开封市食品药品检验所",
                  items=[{"analyte": "腐霉利", "qualified": qualified}],
                  verdict="qualified" if qualified else "unqualified")
            if not qualified:
                _sd_case(history, sample_id, market, sampled, today + timedelta(hours=21),
                         closes=rnd.random() < 0.6)
        for canteen in rnd.sample(canteens, 4):
            w.add(inspection.InspectionRecorded, inspection.TYPE, today + timedelta(hours=10),
                  inspection_id=f"JC-{prefix}{day}-{canteen[-6:]}", entity_id=canteen,
                  inspected_at=(today + timedelta(hours=10)).isoformat(),
                  inspectors=["41020221001", "41020221007"],
                  items=[{"code": "1.1", "key": True, "conforming": True}], result="conforming")
    return history


def _sd_case(history: History, sample_id: str, entity_id: str, lot: str, opened: datetime, *,
             closes: bool) -> None:
    case_id = f"SD-{sample_id}"
    history.cases.append(case_id)
    due = {"due_at": (opened + timedelta(days=5)).isoformat(), "warn_at": None,
           "provisional": False}
    steps: list[tuple[str, datetime, dict[str, Any]]] = [
        ("case.opened", opened, {
            "case_id": case_id, "opened_at": opened.isoformat(), "entity_id": entity_id,
            "state": "verification", "deadlines": {"risk_control": due},
            "details": {"sample_id": sample_id, "lot_code": lot, "product": "韭菜"},
            "assignment": {"action": 5, "lead": "market-regulation", "co_units": ["commerce"],
                           "township_unit": "township:北郊乡", "rule": "test"}}),
        ("case.advanced", opened + timedelta(days=1), {
            "command": "record_risk_control", "at": (opened + timedelta(days=1)).isoformat(),
            "by": "market-regulation", "stopped": ["risk_control"], "started": {},
            "closes": False, "state": "disposal"})]
    if closes:
        at = opened + timedelta(days=3)
        steps.append(("case.closed", at, {
            "command": "close", "at": at.isoformat(), "by": "market-regulation", "stopped": [],
            "started": {}, "closes": True, "state": "closed"}))
    history.case_events += [
        CaseEvent(event_id=f"{case_id}:{v}", case_id=case_id, kind="SD", type=type_,
                  version=v, occurred_at=at, fact_id=sample_id, data=data)
        for v, (type_, at, data) in enumerate(steps, start=1)]
