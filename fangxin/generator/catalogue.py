"""What Longting's farms grow and its businesses sell, with the analytes labs test (检验项目).

Limits as commonly applied in Chinese sampling (GB 2763 pesticide residues, GB 31650 veterinary
drugs, GB 2762 contaminants, 农业农村部公告第250号 banned substances: 不得检出). Values are made up
around the limits; an unqualified item is above its limit or detected where banned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

NOT_DETECTED: Final = "不得检出"
PRECISION: Final = Decimal("0.0001")  # labs report to four decimals at most


@dataclass(frozen=True)
class Analyte:
    name: str
    limit: Decimal | None  # None: banned, 不得检出
    unit: str = "mg/kg"

    def item(self, rng: random.Random, *, qualified: bool) -> dict[str, Any]:
        """One tested item (检验项目) with a value on the right side of the limit."""
        limit_text = NOT_DETECTED if self.limit is None else f"≤{self.limit}"
        item: dict[str, Any] = {"analyte": self.name, "unit": self.unit, "limit": limit_text,
                                "qualified": qualified}
        if self.limit is None:
            item["value"] = None if qualified else str(Decimal(rng.randrange(5, 90)) / 10)
        else:
            share = rng.uniform(0.02, 0.6) if qualified else rng.uniform(1.3, 6.0)
            value = (self.limit * Decimal(str(round(share, 2)))).quantize(PRECISION)
            item["value"] = format(value.normalize(), "f")
        return item


@dataclass(frozen=True)
class Product:
    name: str
    category: str  # 食品大类
    analytes: tuple[Analyte, ...]
    lot_kg: tuple[int, int]  # a farm lot's weight range
    farm_suffixes: tuple[str, ...]  # which farms produce it (see world.SPECS)


_VEG = ("蔬菜种植专业合作社", "家庭农场")
_ANIMAL = ("养殖专业合作社",)
FARM_PRODUCTS: Final = (
    Product("韭菜", "蔬菜", (Analyte("腐霉利", Decimal("0.2")), Analyte("毒死蜱", Decimal("0.02")),
                           Analyte("甲拌磷", Decimal("0.01"))), (150, 600), _VEG),
    Product("芹菜", "蔬菜", (Analyte("毒死蜱", Decimal("0.05")),
                           Analyte("甲拌磷", Decimal("0.01"))),
            (200, 800), _VEG),
    Product("豇豆", "蔬菜", (Analyte("灭蝇胺", Decimal("0.5")), Analyte("倍硫磷", Decimal("0.05")),
                           Analyte("克百威", Decimal("0.02"))), (150, 500), _VEG),
    Product("菠菜", "蔬菜", (Analyte("镉", Decimal("0.2")), Analyte("毒死蜱", Decimal("0.1"))),
            (150, 500), _VEG),
    Product("大白菜", "蔬菜", (Analyte("毒死蜱", Decimal("0.1")),
                            Analyte("氧乐果", Decimal("0.02"))),
            (500, 2000), _VEG),
    Product("西瓜", "水果", (Analyte("氯吡脲", Decimal("0.1")), Analyte("克百威", Decimal("0.02"))),
            (800, 3000), _VEG),
    Product("大豆", "豆类", (Analyte("铅", Decimal("0.2")), Analyte("镉", Decimal("0.2"))),
            (500, 2000), _VEG),
    Product("大米", "粮食", (Analyte("镉", Decimal("0.2")), Analyte("无机砷", Decimal("0.2"))),
            (1000, 5000), _VEG),
    Product("鸡蛋", "鲜蛋", (Analyte("恩诺沙星", None), Analyte("氟苯尼考", None),
                           Analyte("甲硝唑", None)), (300, 1200), _ANIMAL),
    Product("猪肉", "畜肉", (Analyte("克伦特罗", None, "μg/kg"),
                           Analyte("莱克多巴胺", None, "μg/kg"),
                           Analyte("恩诺沙星", Decimal("100"), "μg/kg")), (300, 1500), _ANIMAL),
    Product("鸡肉", "禽肉", (Analyte("恩诺沙星", Decimal("100"), "μg/kg"),
                           Analyte("氧氟沙星", None, "μg/kg")), (200, 800), _ANIMAL),
    Product("鲤鱼", "水产品", (Analyte("孔雀石绿", None, "μg/kg"),
                            Analyte("恩诺沙星", Decimal("100"), "μg/kg"),
                            Analyte("氯霉素", None, "μg/kg")), (200, 1000), ("水产养殖场",)),
)
TOFU: Final = Product("豆腐", "豆制品", (Analyte("苯甲酸", None, "g/kg"),
                                       Analyte("脱氢乙酸", None, "g/kg")), (50, 200), ())
FROZEN_BEEF: Final = Product("冷冻牛肉", "畜肉", (Analyte("克伦特罗", None, "μg/kg"),
                                              Analyte("莱克多巴胺", None, "μg/kg")),
                             (500, 2000), ())
PACKAGED: Final = (  # packaged food from outside the district, sampled on shelves
    Product("挂面", "粮食加工品", (Analyte("铅", Decimal("0.2")),
                               Analyte("脱氢乙酸", None, "g/kg")),
            (1, 1), ()),
    Product("酱油", "调味品", (Analyte("苯甲酸", Decimal("1.0"), "g/kg"),
                             Analyte("氨基酸态氮", None, "g/100mL")), (1, 1), ()),
    Product("卤肉", "熟肉制品", (Analyte("亚硝酸盐", Decimal("30")),
                             Analyte("菌落总数", Decimal("80000"), "CFU/g")), (1, 1), ()),
    Product("馒头", "粮食加工品", (Analyte("甜蜜素", None, "g/kg"),
                               Analyte("糖精钠", None, "g/kg")), (1, 1), ()),
    Product("白酒", "酒类", (Analyte("甲醇", Decimal("0.6"), "g/L"),
                           Analyte("氰化物", Decimal("8.0"))), (1, 1), ()),
)
