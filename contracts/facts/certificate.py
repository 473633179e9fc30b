"""``foodsafety.certificate.issued``: a 承诺达标合格证 issued for a lot of edible farm produce.

农产品质量安全法 Art. 39 (in force 2023-01-01): producers issue the certificate per batch at
origin (批批开具), promising no banned pesticides, veterinary drugs or compounds and residues
within limits; buyers who mix or repack issue a new one, and wholesale markets check them. The
basis of the promise (承诺依据) follows the certificate template: self test, commissioned test,
internal quality control, or the promise alone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from contracts import topics
from contracts.facts.base import FactModel
from contracts.lots import LotCode
from contracts.quantities import PositiveDecimal, UnitCode
from contracts.registry import FactType
from contracts.times import Timestamp

TYPE = "foodsafety.certificate.issued"

Text = Annotated[str, Field(min_length=1, max_length=300)]


class CertificateBasis(StrEnum):
    """What the promise rests on (承诺依据)."""

    SELF_TEST = "self_test"  # 自我检测
    COMMISSIONED_TEST = "commissioned_test"  # 委托检测
    INTERNAL_QUALITY_CONTROL = "internal_quality_control"  # 内部质量控制
    SELF_PROMISE = "self_promise"  # 自我承诺 (no test stated)


class IssuerType(StrEnum):
    """Who issued the certificate (开具主体)."""

    ENTERPRISE = "enterprise"  # 生产企业
    COOPERATIVE = "cooperative"  # 农民专业合作社
    FARMER = "farmer"  # 农户
    PURCHASER = "purchaser"  # 收购商 re-issuing after mixing or repacking


class CertificateIssued(FactModel):
    """A producer issued a 承诺达标合格证 for one lot of edible agricultural produce."""

    certificate_no: Text = Field(description="certificate number (合格证编号)")
    lot_code: LotCode = Field(description="the lot the certificate covers (批次)")
    product: Text = Field(description="name of the edible agricultural product (食用农产品名称)")
    quantity: PositiveDecimal = Field(description="quantity or weight (数量/重量)")
    unit: UnitCode = Field(description="UN/ECE Recommendation 20 unit of the quantity")
    producer: Text = Field(description="producer name or identifier (生产者)")
    producer_id: Text | None = Field(None, description="producer's registration id, e.g. USCC")
    producer_contact: Text | None = Field(None, description="producer's phone (联系方式)")
    origin: Text = Field(description="place of origin (产地)")
    issued_at: Timestamp = Field(description="when the certificate was issued (开具日期)")
    basis: CertificateBasis = Field(description="what the promise rests on (承诺依据)")
    issuer_type: IssuerType | None = Field(None, description="who issued it (开具主体)")
    promises: list[Text] = Field(default_factory=list, max_length=20,
                                 description="the promises made (承诺事项), as printed")


FACT_TYPES: tuple[FactType, ...] = (
    FactType(type=TYPE, version=1, model=CertificateIssued, topic=topics.TRACE,
             key=lambda fact: fact.lot_code),
)
