"""A planner for domain tests: every budget in whole calendar days, reasons from a dict."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

DAYS = {"acceptance": 7, "mediation": 45, "refusal_notice": 7, "termination_notice": 7,
        "verification": 15, "reporter_notice": 5, "risk_control": 1, "retest_window": 7,
        "disposal": 90, "retest_decision": 5, "retest_lab_assignment": 5,
        "retest_conclusion": 10, "summary_due": 30, "alert_handling": 3, "rectification": 30,
        "reinspection": 10, "investigation_filing": 15, "case_decision": 90,
        "recall_start": 2, "recall_completion": 20}
REASONS = {"refusal_reasons": {"outside_duties", "over_three_years"},
           "termination_reasons": {"withdrawn", "no_agreement_45_wd"},
           "retest_refusal_reasons": {"microbiological", "late"}}


class FakePlanner:
    def __init__(self, skip: set[str] | None = None, provisional: bool = False) -> None:
        self.skip = skip or set()
        self.provisional = provisional

    def due(self, name: str, start: datetime, *, pauses: list[list[datetime]] = [],  # noqa: B006
            extensions: int = 0) -> dict[str, Any] | None:
        if name in self.skip:
            return None
        days = DAYS[name] * (1 + extensions)
        paused = sum(((pause[1] - pause[0]) for pause in pauses), timedelta())
        due = start + timedelta(days=days) + paused
        return {"due_at": due, "warn_at": start + (due - start) * 0.8,
                "provisional": self.provisional, "started_at": start,
                "budget": {"amount": days, "unit": "calendar_days"}}

    def allowed(self, list_name: str) -> frozenset[str]:
        return frozenset(REASONS.get(list_name, set()))
