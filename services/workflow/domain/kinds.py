"""Case kinds (案件类别) and their deterministic ids."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5


class CaseKind(StrEnum):
    """Case kinds; the value is the prefix of the case id."""

    SAMPLING_DISPOSAL = "SD"  # 核查处置: an unqualified sample
    RECALL_VERIFICATION = "RV"  # 召回 / 下架 verification at a downstream business
    RECTIFICATION = "RC"  # 整改
    INVESTIGATION = "IV"  # 立案调查
    COMPLAINT = "CP"  # 投诉
    REPORT = "RP"  # 举报
    ANNUAL_SUMMARY = "AS"  # 年度工作总结
    KITCHEN_ALERTS = "KA"  # 明厨亮灶 alerts


@lru_cache(maxsize=65_536)  # a batch asks for the same ids several times
def case_uuid(case_id: str) -> UUID:
    """The aggregate id of a case: stable, so a repeated fact finds the same case."""
    return uuid5(NAMESPACE_URL, f"fangxin:case:{case_id}")


def kind_of(case_id: str) -> CaseKind:
    return CaseKind(case_id.split("-", 1)[0])
