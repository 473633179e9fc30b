"""``foodsafety.entity.registered``: a supervised business (监管对象) and where it belongs."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, ValidationInfo, field_validator

from contracts import topics
from contracts.divisions import Township
from contracts.facts.base import FactModel
from contracts.identifiers import IdScheme, validate_entity_id
from contracts.registry import FactType
from contracts.times import Timestamp

TYPE = "foodsafety.entity.registered"


class EntityKind(StrEnum):
    """What kind of food business it is (主体业态)."""

    PRODUCER = "producer"  # 食品生产者
    SELLER = "seller"  # 食品销售者
    MARKET = "market"  # 集中交易市场 / 农贸市场
    CATERING = "catering"  # 餐饮服务
    SCHOOL_CANTEEN = "school_canteen"  # 学校食堂
    CENTRAL_KITCHEN = "central_kitchen"  # 中央厨房
    GROUP_MEAL_DISTRIBUTOR = "group_meal_distributor"  # 集体用餐配送单位
    SMALL_WORKSHOP = "small_workshop"  # 食品小作坊
    SMALL_SHOP = "small_shop"  # 小经营店
    STALL = "stall"  # 小摊点
    ONLINE_PLATFORM = "online_platform"  # 网络食品交易第三方平台
    IMPORTER = "importer"  # 进口食品经营者
    FARM = "farm"  # 食用农产品生产者


class RiskGrade(StrEnum):
    """Risk grade (风险等级), A lowest to D highest."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class EntityRegistered(FactModel):
    """A business under supervision was registered or its registration changed (主体登记)."""

    id_scheme: IdScheme = Field(default=IdScheme.USCC,
                                description="the register entity_id comes from; default uscc")
    entity_id: str = Field(
        min_length=1, max_length=100,
        description="the business's id under id_scheme: an 18-character unified social credit "
                    "code (统一社会信用代码) with its GB 32100 check character, or e.g. JY + 14 "
                    "digits")
    name: str = Field(min_length=1, max_length=200, description="registered name (主体名称)")
    kind: EntityKind = Field(description="kind of food business (主体业态)")
    township: Township = Field(description="the 乡 / 街道 it is in (所属乡镇/街道); any listed "
                                           "spelling, normalised to the canonical name")
    address: str | None = Field(default=None, max_length=300,
                                description="business address (经营场所)")
    risk_grade: RiskGrade | None = Field(default=None, description="risk grade (风险等级) A-D")
    registered_at: Timestamp | None = Field(default=None,
                                            description="when it was registered (登记时间)")

    @field_validator("entity_id", mode="before")
    @classmethod
    def _valid_under_scheme(cls, value: object, info: ValidationInfo) -> object:
        scheme = info.data.get("id_scheme")
        if isinstance(value, str) and isinstance(scheme, IdScheme):
            return validate_entity_id(value, scheme)
        return value


def _key(fact: EntityRegistered) -> str:
    return fact.entity_id


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=EntityRegistered, topic=topics.SUPERVISION, key=_key),
)
