"""Supervisory inspections (监督检查) at the frequencies of each business's risk grade.

Frequencies: 《食品生产经营风险分级管理办法（试行）》 (CFDA 2016) — A at least once a year, B once
or twice, C two or three times, D three or four (as in the assessment's targets.json). Findings
are mostly 符合; some 基本符合 with a rectification deadline (整改期限), a few 不符合 (a key item
failed); most of those are re-inspected (复查), mostly within the rectification period once the
business reports the work done, some only after it (the rectification case then closes late).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from contracts.facts.inspection import TYPE as INSPECTED
from fangxin.generator.common import CHINA, YEARS, FactLog, Scale, office_time, stamp, working_day
from fangxin.generator.world import SAMR, Business, World

VISITS_PER_YEAR: Final = {"A": (1, 1), "B": (1, 2), "C": (2, 3), "D": (3, 4)}
RESULT_WEIGHTS: Final = (0.80, 0.17, 0.03)  # 符合 / 基本符合 / 不符合, estimate
REINSPECTED_SHARE: Final = 0.7  # rectifications verified by a re-inspection
STILL_FAILING_SHARE: Final = 0.1  # re-inspections finding the rectification incomplete
RECTIFY_DAYS: Final = (7, 15)  # the usual 整改期限 set on the spot
LATE_REINSPECTION_SHARE: Final = 0.2  # re-inspections after the 整改期限, estimate
INSPECTORS: Final = tuple(f"4102022{n:04d}" for n in range(1001, 1041))  # 执法证号, made up
CHECKLIST: Final = (  # (item code, key item?, a finding when it fails)
    ("1.1", True, "未取得许可或超范围经营"), ("1.2", False, "许可证未在显著位置悬挂"),
    ("2.1", False, "从业人员健康证明过期"), ("2.2", False, "未按规定开展食品安全培训"),
    ("3.1", True, "使用超过保质期的食品原料"), ("3.2", False, "进货查验记录不全"),
    ("3.3", False, "未索取供货方合格证明"), ("4.1", False, "加工场所卫生状况不良"),
    ("4.2", True, "使用非食用物质加工食品"), ("4.3", False, "生熟食品未分开存放"),
    ("5.1", False, "餐饮具未按规定清洗消毒"), ("5.2", False, "防鼠防蝇设施不完善"),
    ("6.1", False, "食品添加剂未专柜存放专人管理"), ("6.2", True, "未按规定留样"),
    ("7.1", False, "明厨亮灶设备未正常运行"),
)
ITEMS_CHECKED: Final = (6, 10)


class Inspections:
    def __init__(self, rng: random.Random, log: FactLog) -> None:
        self.rng, self.log, self.number = rng, log, 0

    def run(self, world: World, scale: Scale) -> None:
        del scale  # the number of businesses carries the scale
        for year in YEARS:
            for business in world.businesses:
                start = max(date(year, 1, 4), business.registered_at.date() + timedelta(days=7))
                end = date(year, 12, 10)  # rectifications then end in the year
                if start >= end:
                    continue
                low, high = VISITS_PER_YEAR[business.risk_grade]
                for _ in range(self.rng.randint(low, high)):
                    self.inspect(business, office_time(self.rng,
                                                       working_day(self.rng, start, end)))

    def inspect(self, business: Business, at: datetime, reinspection_of: str | None = None,
                result: str | None = None) -> None:
        rng = self.rng
        self.number += 1
        inspection_id = f"LTJC-{at.year}-{self.number:06d}"
        result = result or rng.choices(("conforming", "basically_conforming", "nonconforming"),
                                       RESULT_WEIGHTS)[0]
        # the licence (a key item) is checked every time, then a sample of the rest
        checked = [CHECKLIST[0], *rng.sample(CHECKLIST[1:], rng.randint(*ITEMS_CHECKED) - 1)]
        failing = self._failing(checked, result)
        items = [{"code": code, "key": key, "conforming": code not in failing}
                 | ({"note": note} if code in failing else {}) for code, key, note in checked]
        data: dict[str, Any] = {"inspection_id": inspection_id, "entity_id": business.entity_id,
                                "inspected_at": stamp(at), "inspectors": rng.sample(INSPECTORS, 2),
                                "items": items, "result": result}
        if reinspection_of:
            data["reinspection_of"] = reinspection_of
        if result != "conforming":
            rectify = datetime.combine(at.date() + timedelta(days=rng.randint(*RECTIFY_DAYS)),
                                       time(17), tzinfo=CHINA)
            data["rectify_by"] = stamp(rectify)
            if rng.random() < REINSPECTED_SHARE:
                if rng.random() < LATE_REINSPECTION_SHARE:
                    day = rectify.date() + timedelta(days=rng.randint(1, 5))
                else:
                    day = max(at.date() + timedelta(days=1),
                              rectify.date() - timedelta(days=rng.randint(1, 4)))
                again = office_time(rng, day)
                self.inspect(business, again, inspection_id,
                             "basically_conforming" if rng.random() < STILL_FAILING_SHARE
                             else "conforming")
        self.log.add(at, SAMR, f"insp-{inspection_id}", INSPECTED, data, business.entity_id)

    def _failing(self, checked: list[tuple[str, bool, str]], result: str) -> set[str]:
        general = [code for code, key, _ in checked if not key]
        keys = [code for code, key, _ in checked if key]
        if result == "basically_conforming" and general:
            return set(self.rng.sample(general, self.rng.randint(1, min(3, len(general)))))
        if result == "nonconforming":
            return {self.rng.choice(keys)}
        return set()


def inspect_all(rng: random.Random, world: World, scale: Scale, log: FactLog) -> None:
    Inspections(rng, log).run(world, scale)
