"""The district: its nine divisions and the food businesses in them (监管对象).

Counts per kind at scale 1 are order-of-magnitude estimates for an urban district of about
300,000 residents with three farming 乡 (not official statistics); the school canteens (about 75
in the default set) follow the 60-90 schools of Longting. Risk grades (风险等级) lean by kind:
school canteens and small workshops higher, farms and shops lower.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from contracts.divisions import DivisionKind, default_divisions
from contracts.facts.entity import TYPE as REGISTERED
from contracts.facts.entity import EntityKind
from contracts.identifiers import LONGTING_DIVISION_CODE, USCC_CHARSET, uscc_check_character
from fangxin.generator.common import YEARS, FactLog, Scale, day_in, office_time

SAMR: Final = "urn:fangxin:samr:longting"  # 区市场监管局 supervision system (producers.json)
ROADS: Final = ("中山路", "宋都御街", "龙亭北路", "北门大街", "西门大街", "汴京路", "金明大道",
                "五一路", "东京大道", "晋安路", "西环路", "夷山大街", "北道门街", "大兴街")
TRADE_NAMES: Final = ("惠民", "福源", "鑫盛", "聚丰", "汴味", "老城", "宋都", "金明", "龙亭",
                      "兴隆", "康乐", "百味", "永昌", "顺发", "家和", "如意", "万家", "四季",
                      "鼎盛", "和谐", "德顺", "天天", "鲜达", "同福", "春华", "盛世", "汇源",
                      "诚信", "鸿运", "瑞丰")
OLDEST_REGISTRATION: Final = date(2008, 1, 1)
NEW_BUSINESS_SHARE: Final = 0.08  # opened during the plan's years (turnover of small trade)
NEWCOMER_KINDS: Final = (EntityKind.CATERING, EntityKind.SELLER, EntityKind.SMALL_SHOP,
                         EntityKind.STALL, EntityKind.SCHOOL_CANTEEN)
"""Kinds of which some open during the plan's years; markets, farms and firms were there."""
SCHOOL_YEAR_REGISTRATION: Final = (8, 20)  # new school canteens register before term starts


@dataclass(frozen=True)
class KindSpec:
    """How many businesses of a kind, how risky, how identified and where."""

    kind: EntityKind
    base: int  # count at scale 1
    minimum: int  # at any scale, so every kind appears even in the smoke set
    grades: tuple[float, float, float, float]  # weights of A, B, C, D
    scheme: str  # id_scheme
    uscc_prefix: str  # 登记管理部门代码 + 机构类别代码 (GB 32100)
    rural_share: float  # share located in the 乡 rather than the 街道
    suffixes: tuple[str, ...]


SPECS: Final = (
    KindSpec(EntityKind.CATERING, 900, 6, (0.30, 0.45, 0.20, 0.05), "uscc", "92", 0.10,
             ("饭店", "面馆", "灌汤包馆", "烩面馆", "快餐店", "小吃店")),
    KindSpec(EntityKind.SELLER, 700, 4, (0.40, 0.40, 0.15, 0.05), "uscc", "92", 0.12,
             ("超市", "便利店", "副食店", "蔬菜店", "肉食店")),
    KindSpec(EntityKind.SMALL_SHOP, 350, 2, (0.30, 0.45, 0.20, 0.05),
             "small_shop_registration", "", 0.20, ("小吃部", "熟食店", "烧饼店")),
    KindSpec(EntityKind.STALL, 250, 2, (0.25, 0.45, 0.25, 0.05), "stall_filing", "", 0.20,
             ("早餐摊", "水果摊", "凉皮摊")),
    KindSpec(EntityKind.SMALL_WORKSHOP, 60, 3, (0.05, 0.35, 0.40, 0.20),
             "small_workshop_registration", "", 0.40, ("豆腐坊", "馒头坊", "油坊", "粉条坊")),
    KindSpec(EntityKind.SCHOOL_CANTEEN, 90, 12, (0.10, 0.50, 0.35, 0.05), "uscc", "12", 0.25,
             ("小学食堂", "中学食堂", "幼儿园食堂")),
    KindSpec(EntityKind.MARKET, 12, 3, (0.10, 0.40, 0.40, 0.10), "uscc", "91", 0.30,
             ("农贸市场", "农产品批发市场")),
    KindSpec(EntityKind.PRODUCER, 40, 2, (0.20, 0.45, 0.30, 0.05), "uscc", "91", 0.50,
             ("食品有限公司", "面业有限公司", "调味品厂")),
    KindSpec(EntityKind.CENTRAL_KITCHEN, 3, 1, (0.05, 0.40, 0.45, 0.10), "uscc", "91", 0.30,
             ("中央厨房",)),
    KindSpec(EntityKind.GROUP_MEAL_DISTRIBUTOR, 6, 1, (0.05, 0.40, 0.45, 0.10), "uscc", "91",
             0.30, ("团餐配送有限公司",)),
    KindSpec(EntityKind.ONLINE_PLATFORM, 4, 1, (0.20, 0.50, 0.25, 0.05), "uscc", "91", 0.0,
             ("网络科技有限公司",)),
    KindSpec(EntityKind.IMPORTER, 8, 1, (0.05, 0.40, 0.45, 0.10), "uscc", "91", 0.30,
             ("进出口贸易有限公司", "冷链物流有限公司")),
    KindSpec(EntityKind.FARM, 180, 8, (0.40, 0.45, 0.12, 0.03), "uscc", "93", 1.0,
             ("蔬菜种植专业合作社", "家庭农场", "养殖专业合作社", "水产养殖场")),
)
WHOLESALE: Final = "农产品批发市场"
GRADES: Final = ("A", "B", "C", "D")
_FREE_SCHEME_PREFIX: Final = {"small_shop_registration": "豫汴龙小经", "stall_filing": "豫汴龙摊备",
                              "small_workshop_registration": "豫汴龙作坊"}


@dataclass(frozen=True)
class Business:
    """One supervised business as its registration describes it."""

    entity_id: str
    id_scheme: str
    name: str
    kind: EntityKind
    township: str
    address: str
    risk_grade: str
    registered_at: datetime
    slug: str  # short stable name for producer sources, e.g. market-03

    @property
    def wholesale(self) -> bool:
        return self.name.endswith(WHOLESALE)


@dataclass(frozen=True)
class World:
    businesses: tuple[Business, ...]

    def of(self, *kinds: EntityKind) -> list[Business]:
        return [b for b in self.businesses if b.kind in kinds]

    def active(self, kinds: tuple[EntityKind, ...], on: datetime) -> list[Business]:
        return [b for b in self.businesses if b.kind in kinds and b.registered_at <= on]


def build_world(rng: random.Random, scale: Scale) -> World:
    """Every business of the district, in a fixed order."""
    divisions = default_divisions()
    urban = [d.name for d in divisions.of_kind(DivisionKind.SUBDISTRICT)]
    rural = [d.name for d in divisions.of_kind(DivisionKind.TOWNSHIP)]
    ids: set[str] = set()
    names: set[str] = set()
    businesses: list[Business] = []
    for spec in SPECS:
        for number in range(1, scale.count(spec.base, spec.minimum) + 1):
            township = rng.choice(rural if rng.random() < spec.rural_share else urban)
            suffix = spec.suffixes[number % len(spec.suffixes)]
            if spec.kind is EntityKind.MARKET and number == 1:
                suffix = WHOLESALE  # at least one wholesale market (农产品批发市场)
            name = _unique(names, f"开封市龙亭区{township[:2]}{rng.choice(TRADE_NAMES)}{suffix}")
            businesses.append(Business(
                entity_id=_entity_id(rng, spec, ids), id_scheme=spec.scheme, name=name,
                kind=spec.kind, township=township,
                address=f"开封市龙亭区{township}{rng.choice(ROADS)}{rng.randrange(1, 300)}号",
                risk_grade=rng.choices(GRADES, spec.grades)[0],
                registered_at=_registered_at(rng, spec.kind),
                slug=f"{spec.kind.value.replace('_', '-')}-{number:04d}"))
    return World(tuple(businesses))


def register(world: World, log: FactLog) -> None:
    """Each business's registration (主体登记), stamped with its registration time."""
    for business in world.businesses:
        data = {"id_scheme": business.id_scheme, "entity_id": business.entity_id,
                "name": business.name, "kind": business.kind.value,
                "township": business.township, "address": business.address,
                "risk_grade": business.risk_grade,
                "registered_at": business.registered_at.isoformat(timespec="seconds")}
        log.add(business.registered_at, SAMR, f"reg-{business.entity_id}", REGISTERED, data,
                business.entity_id)


def _unique(taken: set[str], name: str) -> str:
    candidate, branch = name, 1
    while candidate in taken:
        branch += 1
        candidate = f"{name}（{branch}店）"
    taken.add(candidate)
    return candidate


def _entity_id(rng: random.Random, spec: KindSpec, taken: set[str]) -> str:
    while True:
        if spec.scheme == "uscc":
            body = spec.uscc_prefix + LONGTING_DIVISION_CODE + (
                "MA" + "".join(rng.choices(USCC_CHARSET, k=7)) if spec.uscc_prefix != "12"
                else "".join(rng.choices("0123456789", k=9)))
            code = body + uscc_check_character(body)
        else:
            code = (f"{_FREE_SCHEME_PREFIX[spec.scheme]}{rng.randrange(2015, 2022)}"
                    f"{rng.randrange(10_000):04d}")
        if code not in taken:
            taken.add(code)
            return code


def _registered_at(rng: random.Random, kind: EntityKind) -> datetime:
    if kind not in NEWCOMER_KINDS or rng.random() >= NEW_BUSINESS_SHARE:
        return office_time(rng, day_in(rng, OLDEST_REGISTRATION, date(YEARS[0] - 1, 12, 31)))
    year = rng.choice(YEARS)
    if kind is EntityKind.SCHOOL_CANTEEN:
        month, day = SCHOOL_YEAR_REGISTRATION
        return office_time(rng, date(year, month, day) + timedelta(days=rng.randrange(7)))
    return office_time(rng, day_in(rng, date(year, 1, 3), date(year, 10, 31)))
