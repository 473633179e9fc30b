"""``foodsafety.complaint.received``: a complaint (投诉) and/or report (举报) was received.

``complainant`` is personal data (个人信息): it is encrypted at rest and masked in read models
elsewhere; here it is only marked, in its description and with ``x-personal-data`` in the schema.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Self

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from contracts import topics
from contracts.facts.base import FactModel, FactPart
from contracts.identifiers import EntityRef
from contracts.lots import LotCode
from contracts.registry import FactType
from contracts.times import Timestamp

TYPE = "foodsafety.complaint.received"
PERSONAL_DATA_FIELDS: Final = ("complainant",)
"""Fields of the fact that hold personal data (to encrypt at rest and mask in read models)."""

_PERSONAL: JsonDict = {"x-personal-data": True}


class ComplaintKind(StrEnum):
    """Complaint (投诉: resolve a consumer dispute), report (举报: a suspected violation), or both
    (handled as two matters, SAMR Order 20 Art. 7)."""

    COMPLAINT = "complaint"
    REPORT = "report"
    BOTH = "both"

    @property
    def includes_complaint(self) -> bool:
        return self in (ComplaintKind.COMPLAINT, ComplaintKind.BOTH)


class Channel(StrEnum):
    """How it reached us (受理渠道)."""

    SAMR_12315 = "12315"  # 全国12315平台 / 热线
    HOTLINE_12345 = "hotline_12345"  # 12345 政务服务便民热线
    INFORMATION_OFFICER = "information_officer"  # 食品安全信息员
    LETTER = "letter"  # 信函
    WALK_IN = "walk_in"  # 来访
    ONLINE = "online"  # 网站 / 其他网络渠道
    OTHER = "other"


class Respondent(FactPart):
    """The business complained about or reported (被投诉/被举报人): its entity id, or its name and
    address when it is not registered with us."""

    entity_id: EntityRef | None = Field(default=None,
                                        description="the business's entity id, when known")
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="name of the business (被投诉人名称)")
    address: str | None = Field(default=None, min_length=1, max_length=300,
                                description="its address (地址)")

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.entity_id is None and (self.name is None or self.address is None):
            raise PydanticCustomError("respondent_unidentified",
                                      "a respondent needs entity_id, or name and address")
        return self


class Complainant(FactPart):
    """PERSONAL DATA (个人信息) of the complainant or reporter: encrypted at rest, masked in read
    models, never logged."""

    model_config = ConfigDict(json_schema_extra=_PERSONAL)

    name: str | None = Field(default=None, min_length=1, max_length=100,
                             description="personal data: name (姓名)")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ()-]{4,24}$",
                              description="personal data: telephone (联系电话)")
    address: str | None = Field(default=None, min_length=1, max_length=300,
                                description="personal data: address (联系地址)")
    id_number: str | None = Field(default=None, min_length=1, max_length=40,
                                  description="personal data: identity document number "
                                              "(身份证件号码), optional")
    real_name: bool = Field(default=False,
                            description="the reporter gave their real name (实名举报)")


class ComplaintReceived(FactModel):
    """A complaint or report about a food business was received (投诉举报登记)."""

    complaint_id: str = Field(min_length=1, max_length=100,
                              description="registration number (登记编号), e.g. from 12315")
    kind: ComplaintKind = Field(description="complaint, report, or both (opens two cases)")
    channel: Channel = Field(description="how it was received (受理渠道)")
    received_at: Timestamp = Field(description="when it was received (登记时间); deadlines run "
                                               "from here")
    respondent: Respondent = Field(description="who it is about (被投诉/被举报对象)")
    lot_code: LotCode | None = Field(default=None, min_length=1, max_length=300,
                                 description="lot of the product concerned, if known")
    summary: str = Field(min_length=1, max_length=4000, description="what happened (主要内容)")
    complainant: Complainant = Field(
        json_schema_extra=_PERSONAL,
        description="PERSONAL DATA: who complained or reported (投诉人/举报人); a complaint needs "
                    "name, phone and address (Order 20 Art. 9); a real-name report needs name and "
                    "phone")

    @field_validator("complainant")
    @classmethod
    def _complainant_reachable(cls, complainant: Complainant,
                               info: ValidationInfo) -> Complainant:
        kind = info.data.get("kind")
        if isinstance(kind, ComplaintKind) and kind.includes_complaint:
            required: tuple[str, ...] = ("name", "phone", "address")
        elif complainant.real_name:
            required = ("name", "phone")
        else:
            return complainant
        missing = [name for name in required if getattr(complainant, name) is None]
        if missing:
            raise PydanticCustomError("complainant_incomplete",
                                      "complainant needs {missing} here",
                                      {"missing": ", ".join(missing)})
        return complainant


def _key(fact: ComplaintReceived) -> str:
    return fact.respondent.entity_id or fact.complaint_id


FACT_TYPES = (
    FactType(type=TYPE, version=1, model=ComplaintReceived, topic=topics.SUPERVISION, key=_key),
)
