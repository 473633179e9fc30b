"""Cases: the units of supervision work that facts turn into."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CaseKind(StrEnum):
    """Case kinds and the prefixes of their ids."""

    SAMPLING_DISPOSAL = "SD"  # 核查处置: an unqualified sample
    RECALL_VERIFICATION = "RV"  # 召回 / 下架 verification at a downstream business
    RECTIFICATION = "RC"  # 整改
    INVESTIGATION = "IV"  # 立案调查
    COMPLAINT = "CP"  # 投诉
    REPORT = "RP"  # 举报
    ANNUAL_SUMMARY = "AS"  # 年度总结
    KITCHEN_ALERTS = "KA"  # 明厨亮灶 alerts


class CaseState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def case_uuid(case_id: str) -> UUID:
    """The aggregate id of a case: stable, so a repeated fact finds the same case."""
    return uuid5(NAMESPACE_URL, f"fangxin:case:{case_id}")


class Case(Aggregate):
    """A supervision case (案件) opened by a fact and owned by the units the work plan names."""

    @staticmethod
    def create_id(case_id: str) -> UUID:
        return case_uuid(case_id)

    @event("Opened")
    def __init__(  # noqa: PLR0917 - the event is built from this signature
        self,
        case_id: str,
        kind: CaseKind,
        entity_id: str,
        opened_at: datetime,
        fact_id: str,
        details: dict[str, Any],
    ) -> None:
        self.case_id = case_id
        self.kind = CaseKind(kind)
        self.entity_id = entity_id
        self.opened_at = opened_at
        self.fact_id = fact_id
        self.details = dict(details)
        self.state = CaseState.OPEN


class InboxEntry(Aggregate):
    """A message the workflow has already acted on (收件登记), so a second copy changes nothing."""

    @staticmethod
    def create_id(message_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"fangxin:inbox:{message_id}")

    @event("Received")
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
