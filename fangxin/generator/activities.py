"""Complaints and reports (投诉举报), kitchen camera alerts (明厨亮灶) and annual summaries.

Complainants are synthetic people: the placeholder names of Chinese examples (张三, 李四, ...,
like "John Doe"), phone numbers in the 170-0000 block, made-up house numbers — personal data in
form only.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from contracts.divisions import default_divisions
from contracts.facts.complaint import TYPE as COMPLAINED
from contracts.facts.entity import EntityKind
from contracts.facts.kitchen import TYPE as ALERTED
from contracts.facts.summary import TYPE as SUMMARISED
from fangxin.generator.common import (
    CHINA,
    SCHOOL_HOLIDAY_MONTHS,
    YEARS,
    FactLog,
    Scale,
    day_in,
    office_time,
    stamp,
    working_day,
)
from fangxin.generator.tracebook import TraceBook
from fangxin.generator.world import ROADS, SAMR, Business, World

COMPLAINTS_PER_YEAR: Final = 300  # estimate for a district of ~300,000 residents
KINDS: Final = (("complaint", 0.6), ("report", 0.3), ("both", 0.1))
CHANNELS: Final = (("12315", 0.55), ("hotline_12345", 0.2), ("online", 0.08),
                   ("information_officer", 0.07), ("walk_in", 0.07), ("letter", 0.03))
PLATFORM_12315: Final = "urn:fangxin:12315"  # the 12315 platform (producers.json)
UNREGISTERED_SHARE: Final = 0.1  # respondents not registered with us (name and address only)
LOT_KNOWN_SHARE: Final = 0.2  # complaints naming a lot the business received
REAL_NAME_SHARE: Final = 0.5  # reports made under the reporter's real name (实名举报)
PLACEHOLDER_NAMES: Final = ("张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十")
SYNTHETIC_PHONE: Final = "1700000"  # + 4 digits: a block kept clear of real subscribers here
MATTERS: Final = {
    "complaint": ("购买的{p}有异味，食用后腹泻，要求退款赔偿",
                  "在该店购买的{p}已过保质期，要求赔偿",
                  "外卖订单中的{p}发现异物，要求商家赔偿"),
    "report": ("举报该店使用来源不明的{p}，无进货票据", "举报该店后厨卫生脏乱，{p}生熟混放",
               "举报该店销售无标签{p}，疑似三无产品"),
}
KITCHEN_DAYS_PER_YEAR: Final = 450  # kitchen-days with at least one alert at scale 1
ALERTS_A_DAY: Final = ((1, 0.55), (2, 0.25), (3, 0.10), (4, 0.05), (5, 0.03), (6, 0.02))
CONNECTED_CATERING_SHARE: Final = 0.4  # restaurants on 互联网+明厨亮灶 (all canteens are)
KITCHEN_PLATFORM: Final = "urn:fangxin:kitchen:mingchu-longting"
ALERT_KINDS: Final = (("no_hat", 30), ("no_mask", 30), ("no_uniform", 12), ("phone_use", 10),
                      ("smoking", 6), ("bare_hands", 6), ("rodent", 3), ("insect", 3))
SERVICE_HOURS: Final = ((10, 13), (16, 19))  # lunch and dinner preparation
LEADS: Final = {  # lead unit (牵头单位) of each of the plan's 13 actions (龙政办〔2022〕11号)
    1: "district-food-safety-office", 2: "health", 3: "ecology-environment",
    4: "agriculture-rural", 5: "market-regulation", 6: "market-regulation",
    7: "market-regulation", 8: "market-regulation", 9: "market-regulation",
    10: "market-regulation", 11: "market-regulation", 12: "market-regulation",
    13: "district-food-safety-office"}
DOCUMENT_PREFIX: Final = {  # 发文字号 prefixes of the lead units (made-up but of the usual form)
    "district-food-safety-office": "龙食安办", "health": "龙卫健", "ecology-environment": "龙环",
    "agriculture-rural": "龙农", "market-regulation": "龙市监"}
SUMMARY_DUE: Final = (12, 2)  # before 2 December (三、工作措施 (三))
SUMMARY_ODDS: Final = {  # (on time, late, missing) weights; the plan came out in September 2022
    2022: (0.62, 0.23, 0.15), 2023: (0.77, 0.15, 0.08), 2024: (0.85, 0.1, 0.05)}
LATE_DAYS: Final = 18  # how late a late summary is at most


def complaints(rng: random.Random, world: World, book: TraceBook, scale: Scale,
               log: FactLog) -> None:
    targets = world.of(EntityKind.CATERING, EntityKind.SELLER, EntityKind.SMALL_SHOP,
                       EntityKind.STALL, EntityKind.MARKET, EntityKind.ONLINE_PLATFORM,
                       EntityKind.SCHOOL_CANTEEN, EntityKind.SMALL_WORKSHOP)
    townships = default_divisions().names()
    number = 0
    for year in YEARS:
        for _ in range(scale.count(COMPLAINTS_PER_YEAR)):
            number += 1
            at = datetime.combine(day_in(rng, date(year, 1, 1), date(year, 12, 31)),
                                  time(rng.randrange(8, 21), rng.randrange(60)), tzinfo=CHINA)
            kind = _pick(rng, KINDS)
            channel = _pick(rng, CHANNELS)
            respondent = rng.choice(targets)
            while respondent.registered_at > at:  # about a business open by then
                respondent = rng.choice(targets)
            complaint_id = f"{'12315' if channel == '12315' else 'LTTS'}{at:%Y%m%d}{number:05d}"
            township = rng.choice(townships)
            data: dict[str, Any] = {
                "complaint_id": complaint_id, "kind": kind, "channel": channel,
                "received_at": stamp(at),
                "respondent": _respondent(rng, respondent, township),
                "summary": rng.choice(MATTERS["report" if kind == "report" else "complaint"])
                .format(p=rng.choice(("卤肉", "凉皮", "烩面", "蔬菜", "牛奶", "月饼"))),
                "complainant": _complainant(rng, kind, township, number)}
            held = [h for h in book.holdings.get(respondent.entity_id, ()) if h.at < at]
            if held and rng.random() < LOT_KNOWN_SHARE:
                data["lot_code"] = rng.choice(held).lot
            source = PLATFORM_12315 if channel == "12315" else SAMR
            log.add(at, source, f"cmp-{complaint_id}", COMPLAINED, data,
                    respondent.entity_id)


def _respondent(rng: random.Random, business: Business, township: str) -> dict[str, str]:
    if rng.random() < UNREGISTERED_SHARE:
        return {"name": f"{township}{rng.choice(ROADS)}无名{rng.choice(('小吃摊', '熟食摊'))}",
                "address": f"开封市龙亭区{township}{rng.choice(ROADS)}路口"}
    return {"entity_id": business.entity_id}


def _complainant(rng: random.Random, kind: str, township: str, number: int) -> dict[str, Any]:
    real_name = kind != "report" or rng.random() < REAL_NAME_SHARE
    person: dict[str, Any] = {"real_name": real_name}
    if real_name:
        person |= {"name": rng.choice(PLACEHOLDER_NAMES),
                   "phone": f"{SYNTHETIC_PHONE}{number % 10_000:04d}",
                   "address": f"开封市龙亭区{township}{rng.choice(ROADS)}{rng.randrange(1, 99)}号"}
    return person


def kitchen_alerts(rng: random.Random, world: World, scale: Scale, log: FactLog) -> None:
    kitchens = world.of(EntityKind.SCHOOL_CANTEEN, EntityKind.CENTRAL_KITCHEN,
                        EntityKind.GROUP_MEAL_DISTRIBUTOR)
    kitchens += [b for b in world.of(EntityKind.CATERING)
                 if rng.random() < CONNECTED_CATERING_SHARE]
    counts, count_weights = zip(*ALERTS_A_DAY, strict=True)
    alerts, alert_weights = zip(*ALERT_KINDS, strict=True)
    number = 0
    for year in YEARS:
        for _ in range(scale.count(KITCHEN_DAYS_PER_YEAR)):
            kitchen = rng.choice(kitchens)
            start = max(date(year, 1, 1), kitchen.registered_at.date() + timedelta(days=1))
            if start >= date(year, 12, 31):
                continue
            day = day_in(rng, start, date(year, 12, 31))
            if kitchen.kind is EntityKind.SCHOOL_CANTEEN and day.month in SCHOOL_HOLIDAY_MONTHS:
                continue  # the canteen is closed for the holidays
            for _ in range(rng.choices(counts, count_weights)[0]):
                number += 1
                low, high = rng.choice(SERVICE_HOURS)
                at = datetime.combine(day, time(rng.randrange(low, high), rng.randrange(60),
                                                rng.randrange(60)), tzinfo=CHINA)
                camera = f"MCLL-{kitchen.slug[-4:]}-CAM-{rng.randint(1, 4):02d}"
                log.add(at, KITCHEN_PLATFORM, f"ka-{number:08d}", ALERTED, {
                    "entity_id": kitchen.entity_id, "alert": rng.choices(alerts, alert_weights)[0],
                    "observed_at": stamp(at), "camera_id": camera,
                    "snapshot_ref": f"oss://mingchu-lt/{at:%Y/%m/%d}/{camera}-{at:%H%M%S}.jpg"},
                    kitchen.entity_id)


def summaries(rng: random.Random, log: FactLog) -> dict[int, dict[int, str]]:
    """Each action's annual summary; returns year → action → on_time / late / missing."""
    outcomes: dict[int, dict[int, str]] = {}
    for year in YEARS:
        outcomes[year] = {}
        due = date(year, *SUMMARY_DUE)
        drawn = {a: rng.choices(("on_time", "late", "missing"), SUMMARY_ODDS[year])[0]
                 for a in LEADS}
        if "late" not in drawn.values():  # every year some unit is late (the bulletin shows it)
            drawn[rng.choice([a for a, o in drawn.items() if o == "on_time"])] = "late"
        for action, unit in LEADS.items():
            outcome = outcomes[year][action] = drawn[action]
            if outcome == "missing":
                continue
            day = (working_day(rng, due - timedelta(days=20), due) if outcome == "on_time"
                   else working_day(rng, due + timedelta(days=1), due + timedelta(days=LATE_DAYS)))
            at = office_time(rng, day)
            log.add(at, f"urn:fangxin:office:{unit}", f"sum-{year}-{action}", SUMMARISED, {
                "action": action, "year": year, "unit": unit, "submitted_at": stamp(at),
                "document_ref": f"{DOCUMENT_PREFIX[unit]}〔{year}〕{action + 30}号"}, str(action))
    return outcomes


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]
