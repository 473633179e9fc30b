"""Annual work summaries (年度工作总结): one per action and year, from its lead unit.

The workflow opens ``AS-<year>-<action>`` when the summary arrives and closes it at once; its
``summary_due`` deadline comes from the annual_summary rule set (before 2 December). An action
without a case has not sent its summary: it is *missing* once the due time has passed, else
*pending*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from services.projections.assessment.attribution import Row
from services.projections.assessment.config import AssessmentConfig
from services.projections.assessment.periods import SHANGHAI, parse_instant

STATUSES = ("on_time", "late", "missing", "pending", "open")


def due_by_rule(year: int, config: AssessmentConfig) -> datetime | None:
    """The end of the due day the rule set in force gives for ``year`` (None without one)."""
    try:
        rules = config.rulebook.for_("annual_summary", datetime(year, 1, 1, tzinfo=SHANGHAI))
        day = rules.annual_date(config.targets.annual_summary.deadline, year)
    except LookupError:  # no rule set in force, or it names no such date
        return None
    return datetime.combine(day, time.max, SHANGHAI)


def _status(case: Row | None, due: datetime | None, now: datetime) -> str:
    if case is None:
        return "missing" if due is not None and now > due else "pending"
    if case.get("closed_at") is None:
        return "open"
    return "on_time" if int(case["on_time"]) == 1 else "late"


def summary_statuses(year: int, cases: Iterable[Row], config: AssessmentConfig,
                     now: datetime) -> list[dict[str, Any]]:
    """The summary of every action of the plan for ``year``: who leads it, when it was due
    and submitted, and its status (on_time, late, missing, pending, open)."""
    kind, deadline = config.targets.annual_summary.case_kind, config.targets.annual_summary.deadline
    found: dict[int, Row] = {}
    for row in cases:
        details = json.loads(row.get("details") or "{}")
        if row["kind"] == kind and details.get("year") == year and details.get("action"):
            found[int(details["action"])] = row
    default_due = due_by_rule(year, config)
    out = []
    for action in config.plan.actions:
        case = found.get(action.number)
        spec = json.loads(case["deadlines"]).get(deadline, {}) if case else {}
        due = parse_instant(spec.get("due_at")) or default_due
        submitted = parse_instant(case.get("closed_at")) if case else None
        late_days = None
        if submitted is not None and due is not None and submitted > due:
            late_days = (submitted.astimezone(SHANGHAI).date()
                         - due.astimezone(SHANGHAI).date()).days
        out.append({
            "year": year, "action": action.number, "title": action.title_zh,
            "lead": action.lead, "lead_name": config.plan.unit(action.lead).name,
            "case_id": case["case_id"] if case else None,
            "due_at": due and due.isoformat(),
            "submitted_at": submitted and submitted.astimezone(SHANGHAI).isoformat(),
            "submitted_by": case.get("closed_by") if case else None,
            "days_late": late_days, "status": _status(case, due, now)})
    return out
