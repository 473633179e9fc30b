"""``foodsafety.kitchen.alerted``: a camera alert from 互联网+明厨亮灶 (connected kitchens)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts import topics
from contracts.facts.base import FactModel
from contracts.identifiers import EntityRef
from contracts.registry import FactType
from contracts.times import Timestamp

TYPE = "foodsafety.kitchen.alerted"


class KitchenAlert(StrEnum):
    """What the kitchen camera's recognition saw (AI 识别预警)."""

    NO_HAT = "no_hat"  # 未戴厨师帽
    NO_MASK = "no_mask"  # 未戴口罩
    NO_UNIFORM = "no_uniform"  # 未穿工作服
    SMOKING = "smoking"  # 吸烟
    PHONE_USE = "phone_use"  # 玩手机
    RODENT = "rodent"  # 老鼠
    INSECT = "insect"  # 蟑螂等虫害
    BARE_HANDS = "bare_hands"  # 未戴手套
    OTHER = "other"


class KitchenAlerted(FactModel):
    """A kitchen camera raised an alert at a catering business (明厨亮灶预警)."""

    entity_id: EntityRef = Field(description="the catering business, by its entity id")
    alert: KitchenAlert = Field(description="what was seen")
    observed_at: Timestamp = Field(description="when the camera saw it (抓拍时间)")
    camera_id: str | None = Field(default=None, min_length=1, max_length=100,
                                  description="the camera (摄像头编号)")
    snapshot_ref: str | None = Field(default=None, min_length=1, max_length=1000,
                                     description="where the snapshot is kept (抓拍图片链接)")


def _key(fact: KitchenAlerted) -> str:
    return fact.entity_id


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=KitchenAlerted, topic=topics.SUPERVISION, key=_key),
)
