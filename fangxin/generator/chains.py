"""Supply chains: farms → wholesale and farmers' markets → shops, restaurants and canteens.

Each farm lot travels with its 承诺达标合格证 (certificate fact); markets mix lots of one product
(混批, a transformation with a re-issued certificate) or sell them on as they came; a tofu
workshop (豆腐坊) turns soybeans into tofu; cold-chain importers ship frozen beef cartons on SSCC
pallets (packed, shipped, received, unpacked). School canteens take no deliveries in the summer
and winter holidays.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from contracts.facts import certificate, trace
from contracts.facts.entity import EntityKind
from contracts.lots import gs1_check_digit
from fangxin.generator.catalogue import FARM_PRODUCTS, FROZEN_BEEF, TOFU, Product
from fangxin.generator.common import (
    CHINA,
    SCHOOL_HOLIDAY_MONTHS,
    YEARS,
    FactLog,
    Scale,
    day_in,
    stamp,
)
from fangxin.generator.tracebook import Certificate, MarketLot, TraceBook
from fangxin.generator.world import Business, World

AGRI: Final = "urn:fangxin:agri:henan-trace"  # 河南省农产品质量安全追溯平台 (producers.json)
COLDCHAIN: Final = "urn:fangxin:coldchain:henan"  # 冷链食品追溯平台 (producers.json)
DISTRICT_TRACE: Final = "urn:fangxin:market:longting-trace"  # 区追溯平台 for workshops

MARKET_BATCHES_PER_YEAR: Final = 600  # lots markets sell on per year at scale 1 (estimate)
PALLETS_PER_YEAR: Final = 30  # imported frozen-food pallets per year at scale 1 (estimate)
SOLD_SHARE: Final = (0.6, 0.95)  # of a lot sold on the day; the rest is sold loose or spoils
MIXED_SHARE: Final = 0.45  # market lots mixed from several farm lots (混批)
RECEIPT_SHARE: Final = 0.65  # recipients other than canteens who confirm receipt (索证索票)
COMMISSIONED_SHARE: Final = 0.3  # farm lots whose harvest is recorded on the platform
WHOLESALE_SHARE: Final = 0.75  # farm lots going through a wholesale market
CANTEEN_WEIGHT: Final = 6  # canteens buy daily: weight against a restaurant's 1
GS1_COMPANY: Final = "690"  # GS1 China prefix range for the made-up GTINs
BUYER_KINDS: Final = (EntityKind.SELLER, EntityKind.CATERING, EntityKind.SCHOOL_CANTEEN,
                      EntityKind.SMALL_SHOP, EntityKind.STALL, EntityKind.CENTRAL_KITCHEN,
                      EntityKind.GROUP_MEAL_DISTRIBUTOR)
PROMISES: Final = ("不使用禁用农药兽药、停用兽药和非法添加物", "常规农药兽药残留不超标",
                   "对承诺的真实性负责")
BASES: Final = (("self_promise", 0.45), ("self_test", 0.3), ("internal_quality_control", 0.15),
                ("commissioned_test", 0.1))
ORIGINS: Final = (("BR", "巴西"), ("AR", "阿根廷"), ("AU", "澳大利亚"), ("UY", "乌拉圭"))


class ChainBuilder:
    """Writes the trace facts of every chain into the log and keeps the trace book."""

    def __init__(self, rng: random.Random, world: World, log: FactLog) -> None:
        self.rng, self.world, self.log = rng, world, log
        self.book = TraceBook()
        self.markets = world.of(EntityKind.MARKET)
        self.farms = world.of(EntityKind.FARM)
        self.workshops = [b for b in world.of(EntityKind.SMALL_WORKSHOP) if "豆腐" in b.name]
        self.workshop_ids = {b.entity_id for b in self.workshops}
        self.counter = 0
        self.buyer_pool = world.of(*BUYER_KINDS)
        self.buyer_weights = _cumulative(self.buyer_pool)
        self.wholesale_buyers = self.buyer_pool + [m for m in self.markets if not m.wholesale]
        self.wholesale_weights = _cumulative(self.wholesale_buyers)
        self.farms_of = {p.name: [f for f in self.farms if f.name.endswith(p.farm_suffixes)]
                         or self.farms for p in FARM_PRODUCTS}

    def build(self, scale: Scale) -> TraceBook:
        for year in YEARS:
            for _ in range(scale.count(MARKET_BATCHES_PER_YEAR)):
                self.market_batch(day_in(self.rng, date(year, 1, 2), date(year, 12, 28)))
            importers = self.world.of(EntityKind.IMPORTER)
            for _ in range(scale.count(PALLETS_PER_YEAR)):
                day = day_in(self.rng, date(year, 1, 2), date(year, 12, 28))
                self.pallet(self.rng.choice(importers), day)
        return self.book

    # -- farm lots and markets -------------------------------------------------------------

    def market_batch(self, day: date) -> None:
        rng = self.rng
        wholesale = [m for m in self.markets if m.wholesale]
        market = rng.choice(wholesale if rng.random() < WHOLESALE_SHARE else self.markets)
        product = rng.choice(FARM_PRODUCTS)
        farms = self.farms_of[product.name]
        count = rng.randint(2, 3) if rng.random() < MIXED_SHARE else 1
        start = datetime.combine(day, datetime.min.time(), tzinfo=CHINA)
        upstream = [self.farm_lot(rng.choice(farms), market, product, start)
                    for _ in range(count)]
        source = f"urn:fangxin:market:{market.slug}"
        at = start + timedelta(hours=6, minutes=rng.randrange(60))
        if count == 1:
            lot = upstream[0][0]
        else:
            lot = f"LT{market.slug[-3:]}-{day:%Y%m%d}-{self.next():05d}"
            total = sum((c.quantity for _, c in upstream), Decimal(0))
            self.log.add(at, source, self.fact_id("mix"), trace.TRANSFORMED, {
                "entity_id": market.entity_id, "location": market.address, "at": stamp(at),
                "transformation_id": f"{lot}-mix",
                "inputs": [{"lot_code": farm_lot, "product": product.name,
                            "quantity": str(c.quantity), "unit": "KGM"}
                           for farm_lot, c in upstream],
                "outputs": [{"lot_code": lot, "product": product.name,
                             "quantity": str(total), "unit": "KGM"}]}, lot)
            self.book.transformed([farm_lot for farm_lot, _ in upstream], lot)
            self.issue(source, lot, product, total, issuer=market, at=at,
                       issuer_type="purchaser")
        market_lot = MarketLot(lot, market.entity_id, product, at, upstream)
        self.book.market_lots.append(market_lot)
        self.book.received(market.entity_id, lot, product, at)
        quantity = sum((c.quantity for _, c in upstream), Decimal(0))
        self.sell_on(source, market, lot, product, quantity, at=at, market_lot=market_lot)

    def farm_lot(self, farm: Business, market: Business, product: Product,
                 day: datetime) -> tuple[str, Certificate]:
        rng = self.rng
        lot = f"{farm.slug.upper()}-{day:%Y%m%d}-{self.next():05d}"
        quantity = Decimal(rng.randrange(*product.lot_kg))
        harvest = day - timedelta(hours=rng.randrange(4, 14))
        if rng.random() < COMMISSIONED_SHARE:
            self.log.add(harvest, AGRI, self.fact_id("har"), trace.COMMISSIONED, {
                "lot_code": lot, "product": product.name, "quantity": str(quantity),
                "unit": "KGM", "entity_id": farm.entity_id, "location": farm.address,
                "at": stamp(harvest), "step": "commissioning",
                "lot_master_data": {"harvest_date": f"{harvest:%Y-%m-%d}",
                                    "origin": farm.address}}, lot)
        issued = harvest + timedelta(minutes=rng.randrange(30, 90))
        cert = self.issue(AGRI, lot, product, quantity, issuer=farm, at=issued,
                          issuer_type="cooperative" if "合作社" in farm.name else "farmer")
        shipped = issued + timedelta(minutes=rng.randrange(20, 120))
        self.move(AGRI, trace.SHIPPED, lot, product, quantity, sender=farm, recipient=market,
                  at=shipped, certificate_no=cert)
        self.move(f"urn:fangxin:market:{market.slug}", trace.RECEIVED, lot, product, quantity,
                  sender=farm, recipient=market,
                  at=shipped + timedelta(minutes=rng.randrange(40, 150)), certificate_no=cert)
        return lot, Certificate(cert, farm.entity_id, farm.name, quantity)

    def issue(self, source: str, lot: str, product: Product, quantity: Decimal, *,
              issuer: Business, at: datetime, issuer_type: str) -> str:
        number = f"HN{at:%y%m%d}{self.next():06d}"
        self.log.add(at, source, self.fact_id("cert"), certificate.TYPE, {
            "certificate_no": number, "lot_code": lot, "product": product.name,
            "quantity": str(quantity), "unit": "KGM", "producer": issuer.name,
            "producer_id": issuer.entity_id, "producer_contact": f"0371-2{self.next():07d}",
            "origin": issuer.address, "issued_at": stamp(at),
            "basis": self.rng.choices([b for b, _ in BASES], [w for _, w in BASES])[0],
            "issuer_type": issuer_type, "promises": list(PROMISES)}, lot)
        return number

    def sell_on(self, source: str, seller: Business, lot: str, product: Product,
                quantity: Decimal, *, at: datetime, market_lot: MarketLot | None = None
                ) -> None:
        """Ship parts of a lot to buyers; a tofu workshop buying soybeans makes tofu."""
        rng = self.rng
        buyers = self.buyers(at, wholesale=seller.wholesale, soy=product.name == "大豆")
        sold = quantity * Decimal(str(round(rng.uniform(*SOLD_SHARE), 2)))
        weights = [rng.uniform(1, 3) for _ in buyers]  # some buyers take more than others
        for buyer, weight in zip(buyers, weights, strict=True):
            part = max(Decimal(1), (sold * Decimal(str(round(weight / sum(weights), 3))))
                       .quantize(Decimal(1)))
            shipped = at + timedelta(minutes=rng.randrange(30, 240))
            self.move(source, trace.SHIPPED, lot, product, part, sender=seller, recipient=buyer,
                      at=shipped)
            if buyer.kind is EntityKind.SCHOOL_CANTEEN or rng.random() < RECEIPT_SHARE:
                self.move(source, trace.RECEIVED, lot, product, part, sender=seller,
                          recipient=buyer, at=shipped + timedelta(minutes=rng.randrange(20, 90)))
            self.book.received(buyer.entity_id, lot, product, shipped)
            if market_lot is not None:
                market_lot.recipients.append((buyer.entity_id, part))
            if buyer.entity_id in self.workshop_ids and product.name == "大豆":
                self.tofu(buyer, lot, part, shipped + timedelta(hours=rng.randrange(8, 20)))

    def buyers(self, at: datetime, *, wholesale: bool, soy: bool) -> list[Business]:
        """2-5 buyers registered by then; canteens buy nothing in the school holidays."""
        rng = self.rng
        school_term = at.month not in SCHOOL_HOLIDAY_MONTHS
        pool = self.wholesale_buyers if wholesale else self.buyer_pool
        weights = self.wholesale_weights if wholesale else self.buyer_weights
        drawn = rng.choices(pool, cum_weights=weights, k=rng.randint(2, 5))
        chosen = {b.entity_id: b for b in drawn if b.registered_at <= at
                  and (school_term or b.kind is not EntityKind.SCHOOL_CANTEEN)}
        if soy and self.workshops:
            workshop = rng.choice(self.workshops)
            chosen.setdefault(workshop.entity_id, workshop)
        return list(chosen.values())

    def tofu(self, workshop: Business, soy_lot: str, soy: Decimal, at: datetime) -> None:
        """豆腐坊: soybeans in, tofu out (about 2.5 kg of tofu per kg of soybeans)."""
        lot = f"DF{workshop.slug[-4:]}-{at:%Y%m%d}-{self.next():05d}"
        tofu = (soy * Decimal("2.5")).quantize(Decimal(1))
        self.log.add(at, DISTRICT_TRACE, self.fact_id("tofu"), trace.TRANSFORMED, {
            "entity_id": workshop.entity_id, "location": workshop.address, "at": stamp(at),
            "inputs": [{"lot_code": soy_lot, "product": "大豆", "quantity": str(soy),
                        "unit": "KGM"}],
            "outputs": [{"lot_code": lot, "product": TOFU.name, "quantity": str(tofu),
                         "unit": "KGM"}]}, lot)
        self.book.transformed([soy_lot], lot)
        self.book.received(workshop.entity_id, lot, TOFU, at)
        self.sell_on(DISTRICT_TRACE, workshop, lot, TOFU, tofu, at=at)

    # -- cold chain --------------------------------------------------------------------------

    def pallet(self, importer: Business, day: date) -> None:
        rng = self.rng
        at = datetime.combine(day, datetime.min.time(), tzinfo=CHINA) + timedelta(hours=9)
        country, country_name = rng.choice(ORIGINS)
        cartons = []
        for _ in range(rng.randint(2, 4)):
            body = f"0{GS1_COMPANY}{rng.randrange(10**9):09d}"
            gtin = body + gs1_check_digit(body)
            lot = f"https://id.gs1.org/01/{gtin}/10/{country}{day:%y%m%d}{self.next() % 1000:03d}"
            kg = Decimal(rng.randrange(*FROZEN_BEEF.lot_kg))
            self.log.add(at, COLDCHAIN, self.fact_id("imp"), trace.COMMISSIONED, {
                "lot_code": lot, "product": FROZEN_BEEF.name, "quantity": str(kg),
                "unit": "KGM", "entity_id": importer.entity_id, "location": importer.address,
                "at": stamp(at), "step": "receiving",
                "lot_master_data": {"country_of_origin": country,
                                    "origin": f"{country_name}（进口冷链食品）"}}, lot)
            cartons.append((lot, kg))
        body = f"0{GS1_COMPANY}{self.next():013d}"
        sscc = f"https://id.gs1.org/00/{body}{gs1_check_digit(body)}"
        packed = at + timedelta(hours=2)
        contents = [{"lot_code": lot, "quantity": str(kg), "unit": "KGM"} for lot, kg in cartons]
        self.log.add(packed, COLDCHAIN, self.fact_id("pack"), trace.PACKED, {
            "container_id": sscc, "contents": contents, "entity_id": importer.entity_id,
            "location": importer.address, "at": stamp(packed)}, sscc)
        self.book.contained(sscc, [lot for lot, _ in cartons])
        market = rng.choice([m for m in self.markets if m.wholesale])
        shipped = packed + timedelta(hours=1)
        for kind, moment in ((trace.SHIPPED, shipped), (trace.RECEIVED,
                                                         shipped + timedelta(hours=3))):
            self.log.add(moment, COLDCHAIN, self.fact_id("pal"), kind, {
                "lot_code": sscc, "product": f"{FROZEN_BEEF.name}（托盘）", "quantity": "1",
                "unit": "XPX", "from_entity": importer.entity_id, "to_entity": market.entity_id,
                "at": stamp(moment)}, sscc)
            self.book.moved(sscc, market.entity_id)
        unpacked = shipped + timedelta(hours=4)
        self.log.add(unpacked, COLDCHAIN, self.fact_id("unpk"), trace.UNPACKED, {
            "container_id": sscc, "contents": contents, "entity_id": market.entity_id,
            "location": market.address, "at": stamp(unpacked)}, sscc)
        self.book.contained(sscc, [lot for lot, _ in cartons])
        source = f"urn:fangxin:market:{market.slug}"
        for lot, kg in cartons:
            self.book.received(market.entity_id, lot, FROZEN_BEEF, unpacked)
            self.sell_on(source, market, lot, FROZEN_BEEF, kg, at=unpacked)

    # -- helpers ----------------------------------------------------------------------------

    def move(self, source: str, kind: str, lot: str, product: Product, quantity: Decimal, *,
             sender: Business, recipient: Business, at: datetime,
             certificate_no: str | None = None) -> None:
        data: dict[str, Any] = {
            "lot_code": lot, "product": product.name, "quantity": str(quantity), "unit": "KGM",
            "from_entity": sender.entity_id, "to_entity": recipient.entity_id,
            "from_location": sender.address, "to_location": recipient.address, "at": stamp(at)}
        if certificate_no:
            data["certificate_no"] = certificate_no
        self.log.add(at, source, self.fact_id("shp" if kind == trace.SHIPPED else "rcv"), kind,
                     data, lot)
        self.book.moved(lot, recipient.entity_id)

    def next(self) -> int:
        self.counter += 1
        return self.counter

    def fact_id(self, prefix: str) -> str:
        return f"{prefix}-{self.next():08d}"


def _cumulative(pool: list[Business]) -> list[int]:
    total, weights = 0, []
    for business in pool:
        total += CANTEEN_WEIGHT if business.kind is EntityKind.SCHOOL_CANTEEN else 1
        weights.append(total)
    return weights


def build_chains(rng: random.Random, world: World, scale: Scale, log: FactLog) -> TraceBook:
    """Every chain of the period, written to ``log``; the trace book for what follows."""
    return ChainBuilder(rng, world, log).build(scale)
