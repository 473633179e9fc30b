"""Sampling plans (抽检计划): supervisory, risk-monitoring and evaluation samples and their results.

About 1,000 samples a year at scale 1 (the national target of 4 batches per 1,000 residents, for
about 300,000 residents, less the city's and province's share); about 2.5 % unqualified (national
supervisory sampling has run at 2-3 % unqualified in recent years). School canteens are covered
year by year towards the plan's ≥ 90 % line (2022 below it, 2024 above). A sample takes a lot the
business received when the trace knows one; packaged food from elsewhere otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from contracts.facts.entity import EntityKind
from contracts.facts.sampling import TYPE as SAMPLED
from contracts.lots import gs1_check_digit
from fangxin.generator.catalogue import FARM_PRODUCTS, PACKAGED, Product
from fangxin.generator.common import (
    SCHOOL_HOLIDAY_MONTHS,
    YEARS,
    FactLog,
    Scale,
    office_time,
    stamp,
    working_day,
)
from fangxin.generator.tracebook import Holding, MarketLot, TraceBook
from fangxin.generator.world import Business, World

SAMPLES_PER_YEAR: Final = 1_000
UNQUALIFIED_RATE: Final = 0.025
PROGRAMS: Final = (("supervisory", 0.80), ("risk_monitoring", 0.12), ("evaluation", 0.08))
SAMPLE_PREFIX: Final = {"supervisory": "DC", "risk_monitoring": "JC", "evaluation": "PJ"}
CANTEEN_COVERAGE: Final = {2022: 0.86, 2023: 0.91, 2024: 0.96}  # near the plan's 90 % line
WHERE: Final = (  # where samples are taken (besides canteens), weights
    (EntityKind.MARKET, 30), (EntityKind.SELLER, 20), (EntityKind.CATERING, 15),
    (EntityKind.SMALL_SHOP, 5), (EntityKind.STALL, 3), (EntityKind.SMALL_WORKSHOP, 5),
    (EntityKind.PRODUCER, 7), (EntityKind.ONLINE_PLATFORM, 2), (EntityKind.IMPORTER, 2),
    (EntityKind.CENTRAL_KITCHEN, 2), (EntityKind.GROUP_MEAL_DISTRIBUTOR, 2))
LABS: Final = (("urn:fangxin:lab:kaifeng-fdi", "开封市食品药品检验检测中心"),
               ("urn:fangxin:lab:henan-fdi", "河南省食品药品检验所"))
REPORT_DAYS: Final = (5, 20)  # sampling to report (检验报告), days
LAST_SAMPLING_DAY: Final = (12, 10)  # the year's plan is done by then; reports come by the end
FEBRUARY: Final = 2
PACKAGED_SHARE: Final = 0.6  # untraced samples that are packaged food rather than produce
TRACED_BY_MONTH: Final = 10  # sampled by October, so its report and cases fall in the year
TRACED_PRODUCT: Final = "韭菜"  # the demo's traced lot: leeks failing on procymidone (腐霉利)


@dataclass(frozen=True)
class Sample:
    sample_id: str
    entity_id: str
    lot: str
    unqualified: bool
    sampled_at: datetime


class Sampling:
    def __init__(self, rng: random.Random, world: World, book: TraceBook, log: FactLog) -> None:
        self.rng, self.world, self.book, self.log = rng, world, book, log
        self.number = 0
        self.samples: list[Sample] = []
        self.traced: MarketLot | None = None
        self.traced_sample: Sample | None = None
        self.wholesale = {b.entity_id for b in world.of(EntityKind.MARKET) if b.wholesale}

    def run(self, scale: Scale, years: tuple[int, ...]) -> None:
        kinds = [k for k, _ in WHERE]
        weights = [w for _, w in WHERE]
        by_kind = {k: self.world.of(k) for k in kinds}
        for year in years:
            self.canteens(year)
            for _ in range(scale.count(SAMPLES_PER_YEAR)):
                kind = self.rng.choices(kinds, weights)[0]
                if by_kind[kind]:
                    self.sample(self.rng.choice(by_kind[kind]), year)
        self.trace_one()

    def canteens(self, year: int) -> None:
        """Sample the year's share of the canteens registered by its end (school terms)."""
        registered = [c for c in self.world.of(EntityKind.SCHOOL_CANTEEN)
                      if c.registered_at.year <= year]
        chosen = self.rng.sample(registered, round(CANTEEN_COVERAGE[year] * len(registered)))
        for canteen in chosen:
            for _ in range(self.rng.randint(1, 2)):
                self.sample(canteen, year, school_term=True)

    def sample(self, business: Business, year: int, *, school_term: bool = False,
               holding: Holding | None = None, unqualified: bool | None = None
               ) -> Sample | None:
        rng = self.rng
        start = max(date(year, 1, 4), business.registered_at.date() + timedelta(days=3))
        if school_term:
            start = max(start, date(year, 9, 1) if business.registered_at.year == year
                        else start)
        last = date(year, *LAST_SAMPLING_DAY)
        if start > last:
            return None  # not open for business in that year
        held = holding or self._held(business, year, start)
        if held is not None:
            sampled_at = office_time(rng, (held.at + timedelta(days=rng.randint(0, 2))).date())
            product, lot = held.product, held.lot
        else:
            day = working_day(rng, start, last)
            if school_term and day.month in SCHOOL_HOLIDAY_MONTHS:
                # after the winter holiday (February) in March, after the summer in September
                day = date(year, 3 if day.month == FEBRUARY else 9, min(day.day, 28))
            sampled_at = office_time(rng, day)
            product = rng.choice(PACKAGED if rng.random() < PACKAGED_SHARE else FARM_PRODUCTS)
            lot = self._packaged_lot(sampled_at)
        program = "supervisory" if holding else rng.choices([p for p, _ in PROGRAMS],
                                                            [w for _, w in PROGRAMS])[0]
        if unqualified is None:
            unqualified = rng.random() < UNQUALIFIED_RATE
        return self._report(business, product, lot, program, sampled_at=sampled_at,
                            unqualified=unqualified)

    def _report(self, business: Business, product: Product, lot: str, program: str, *,
                sampled_at: datetime, unqualified: bool) -> Sample:
        rng = self.rng
        self.number += 1
        sample_id = (f"{SAMPLE_PREFIX[program]}{sampled_at:%y}410202{self.number:06d}")
        tested = rng.sample(product.analytes, rng.randint(1, len(product.analytes)))
        failing = rng.randrange(len(tested)) if unqualified else -1
        items = [a.item(rng, qualified=i != failing) for i, a in enumerate(tested)]
        reported = office_time(rng, (sampled_at + timedelta(days=rng.randint(*REPORT_DAYS)))
                               .date())
        source, lab = rng.choice(LABS)
        data: dict[str, Any] = {
            "sample_id": sample_id, "entity_id": business.entity_id, "lot_code": lot,
            "product": product.name, "category": product.category, "program": program,
            "sampled_at": stamp(sampled_at), "reported_at": stamp(reported), "lab": lab,
            "items": items, "verdict": "unqualified" if unqualified else "qualified"}
        self.log.add(reported, source, f"rpt-{sample_id}", SAMPLED, data, business.entity_id)
        sample = Sample(sample_id, business.entity_id, lot, unqualified, sampled_at)
        self.samples.append(sample)
        return sample

    def _held(self, business: Business, year: int, start: date) -> Holding | None:
        held = [h for h in self.book.holdings.get(business.entity_id, ())
                if h.at.year == year and h.at.date() >= start
                and h.at.date() <= date(year, *LAST_SAMPLING_DAY)]
        return self.rng.choice(held) if held else None

    def _packaged_lot(self, at: datetime) -> str:
        body = f"0690{self.rng.randrange(10**9):09d}"
        return f"https://id.gs1.org/01/{body}{gs1_check_digit(body)}/10/{at:%y%m%d}{self.number:04d}"

    def trace_one(self) -> None:
        """The demo's lot: a mixed lot at a wholesale market, found unqualified."""
        candidates = [m for m in self.book.market_lots if len(m.upstream) > 1
                      and m.recipients and m.market_id in self.wholesale]
        if not candidates:
            return
        preferred = [m for m in candidates if m.product.name == TRACED_PRODUCT
                     and m.at.month <= TRACED_BY_MONTH] or candidates
        chosen = max(preferred, key=lambda m: (len(m.recipients), m.at))
        market = next(b for b in self.world.businesses if b.entity_id == chosen.market_id)
        sample = self.sample(market, chosen.at.year, unqualified=True,
                             holding=Holding(chosen.lot, chosen.product, chosen.at))
        if sample is not None:
            self.traced, self.traced_sample = chosen, sample


def take_samples(rng: random.Random, world: World, book: TraceBook, scale: Scale,
                 log: FactLog) -> Sampling:
    sampling = Sampling(rng, world, book, log)
    sampling.run(scale, YEARS)
    return sampling
