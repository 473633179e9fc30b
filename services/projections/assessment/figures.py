"""The assessment figures, computed from the stored rows (pure functions, no store).

See the package docstring for the definition of every figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal

from services.projections.assessment.attribution import Attributor, Keys, Row, Scope
from services.projections.assessment.config import AssessmentConfig
from services.projections.assessment.periods import Period
from services.projections.assessment.summaries import summary_statuses

By = Literal["unit", "township", "action", "district"]
KEY_COLUMNS = ("period", "by", "key", "name")


@dataclass
class Dataset:
    """The rows one computation reads: cases opened and samples taken in the period; for a
    whole year also the registrations and the year's inspections."""

    period: Period
    entities: dict[str, Row]
    cases: list[Row]
    samples: list[Row]
    inspections: list[Row] = field(default_factory=list)


@dataclass
class Tally:
    """Counts of one group; the rates and the score derive from them."""

    cases_opened: int = 0
    cases_closed: int = 0
    cases_closed_on_time: int = 0
    cases_overdue: int = 0
    complaints: int = 0
    complaints_on_time: int = 0
    samples: int = 0
    samples_unqualified: int = 0
    disposals: int = 0
    disposals_on_time: int = 0
    canteens_registered: int = 0
    canteens_sampled: int = 0
    graded_entities: int = 0
    graded_inspected_enough: int = 0
    summaries_due: int = 0
    summaries_on_time: int = 0


COUNT_COLUMNS = tuple(f.name for f in fields(Tally))
RATES: dict[str, tuple[str, str]] = {  # rate -> (numerator, denominator)
    "closed_on_time_rate": ("cases_closed_on_time", "cases_opened"),
    "overdue_rate": ("cases_overdue", "cases_opened"),
    "complaints_on_time_rate": ("complaints_on_time", "complaints"),
    "unqualified_rate": ("samples_unqualified", "samples"),
    "disposals_on_time_rate": ("disposals_on_time", "disposals"),
    "canteen_coverage": ("canteens_sampled", "canteens_registered"),
    "inspection_coverage": ("graded_inspected_enough", "graded_entities"),
    "summaries_on_time_rate": ("summaries_on_time", "summaries_due"),
}
COMPONENT_RATES: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "cases_on_time": lambda r: r["closed_on_time_rate"],
    "no_overdue": lambda r: None if r["overdue_rate"] is None else 1 - r["overdue_rate"],
    "complaints_on_time": lambda r: r["complaints_on_time_rate"],
    "disposals_on_time": lambda r: r["disposals_on_time_rate"],
    "canteen_coverage": lambda r: r["canteen_coverage"],
    "inspection_coverage": lambda r: r["inspection_coverage"],
    "summaries_on_time": lambda r: r["summaries_on_time_rate"],
}
COLUMNS = (*KEY_COLUMNS, *COUNT_COLUMNS, *RATES, "score")


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


def score(row: dict[str, Any], config: AssessmentConfig) -> tuple[float | None,
                                                                   dict[str, float | None]]:
    """The composite score (0-100) of a row and the rate of each component; None when no
    weighted component applies."""
    parts = {name: None if (r := rate(row)) is None else round(r, 4)
             for name, rate in COMPONENT_RATES.items()}
    weighted = [(config.weights.weight(n), r) for n, r in parts.items() if r is not None]
    total = sum(w for w, _ in weighted)
    if total <= 0:
        return None, parts
    return round(100 * sum(w * r for w, r in weighted) / total, 2), parts


def _records(data: Dataset, attr: Attributor, config: AssessmentConfig,
             now: datetime) -> Iterator[tuple[Keys, Tally]]:
    """Every record of the dataset as (keys, its contribution)."""
    complaint_kind = config.targets.complaint_decision_deadline.case_kind
    summary_kind = config.targets.annual_summary.case_kind
    for case in data.cases:
        if case["kind"] == summary_kind or case.get("opened_on") is None:
            continue
        on_time, closed = int(case["on_time"]), case["closed_at"] is not None
        is_complaint, is_disposal = case["kind"] == complaint_kind, case["kind"] == "SD"
        yield attr.case(case), Tally(
            cases_opened=1, cases_closed=int(closed), cases_closed_on_time=on_time,
            cases_overdue=int(case["overdue"]), complaints=int(is_complaint),
            complaints_on_time=int(is_complaint and case["acceptance_on_time"] == 1),
            disposals=int(is_disposal), disposals_on_time=int(is_disposal and on_time == 1))
    for sample in data.samples:
        yield attr.sample(sample), Tally(
            samples=1, samples_unqualified=int(sample["verdict"] == "unqualified"))
    if data.period.is_year:
        yield from _year_records(data, attr, config, now)


def _year_records(data: Dataset, attr: Attributor, config: AssessmentConfig,
                  now: datetime) -> Iterator[tuple[Keys, Tally]]:
    sampled = {s["entity_id"] for s in data.samples}
    for entity_id in canteens(data.entities, data.period.last, config):
        yield attr.canteen(entity_id), Tally(canteens_registered=1,
                                             canteens_sampled=int(entity_id in sampled))
    enough = inspected_enough(data, config)
    for entity_id in graded(data.entities, data.period.last, config):
        yield attr.graded(entity_id), Tally(graded_entities=1,
                                            graded_inspected_enough=int(entity_id in enough))
    for status in summary_statuses(data.period.year, data.cases, config, now):
        if status["status"] in {"on_time", "late", "missing"}:
            yield attr.summary(status["action"], status["lead"]), Tally(
                summaries_due=1, summaries_on_time=int(status["status"] == "on_time"))


def canteens(entities: dict[str, Row], until: date, config: AssessmentConfig) -> list[str]:
    """School canteens registered by ``until`` (by their current registration)."""
    kind = config.targets.canteen_sampling_coverage.entity_kind
    return sorted(e for e, row in entities.items()
                  if row["kind"] == kind and row["registered_on"] <= until.isoformat())


def graded(entities: dict[str, Row], until: date, config: AssessmentConfig) -> list[str]:
    """Businesses registered by ``until`` whose current grade has a frequency."""
    grades = config.targets.inspection_frequencies.grades
    return sorted(e for e, row in entities.items()
                  if row["risk_grade"] in grades and row["registered_on"] <= until.isoformat())


def inspected_enough(data: Dataset, config: AssessmentConfig) -> set[str]:
    """Graded businesses inspected at least their grade's minimum times in the period."""
    rules = config.targets.inspection_frequencies
    counts: dict[str, int] = {}
    for row in data.inspections:
        if rules.count_reinspections or not row.get("reinspection_of"):
            counts[row["entity_id"]] = counts.get(row["entity_id"], 0) + 1
    out = set()
    for entity_id, row in data.entities.items():
        grade = rules.grades.get(row["risk_grade"] or "")
        if grade is not None and counts.get(entity_id, 0) >= grade.min:
            out.add(entity_id)
    return out


def _group_keys(keys: Keys, by: By, scope: Scope) -> Iterable[object]:
    if by == "district":
        return ("district",)
    if by == "township":
        return (keys.township,)
    if by == "action":
        return (keys.action,)
    return (u for u in keys.units if scope.unit is None or u == scope.unit)


def _row_keys(by: By, scope: Scope, config: AssessmentConfig, seen: set[object]) -> list[object]:
    plan = config.plan
    if by == "district":
        return ["district"]
    if by == "unit":
        listed: list[object] = [scope.unit] if scope.unit else [u.id for u in plan.units]
    elif by == "township":
        listed = [scope.township] if scope.township else [
            u.name for u in plan.units if u.is_division]
    else:
        listed = [a.number for a in plan.actions]
    extra = sorted((k for k in seen if k not in listed and k is not None), key=str)
    nones: list[object] = [None] if None in seen and not (by == "township" and scope.township) \
        else []
    return [*listed, *extra, *nones]


def _name(by: By, key: object, config: AssessmentConfig) -> str:
    plan = config.plan
    try:
        if by == "unit":
            return plan.unit(str(key)).name
        if by == "action" and isinstance(key, int):
            return plan.action(key).title_zh
    except LookupError:
        return str(key)
    if by == "district":
        return "全区"
    return "未明确" if key is None else str(key)


def table(data: Dataset, by: By, config: AssessmentConfig, *, scope: Scope | None = None,
          now: datetime) -> list[dict[str, Any]]:
    """One row per group with its counts, rates and (for units) the composite score."""
    scope = scope or Scope()
    attr = Attributor(config.router, data.entities)
    tallies: dict[object, Tally] = {}
    for keys, part in _records(data, attr, config, now):
        if not scope.admits(keys):
            continue
        for key in _group_keys(keys, by, scope):
            total = tallies.setdefault(key, Tally())
            for name in COUNT_COLUMNS:
                setattr(total, name, getattr(total, name) + getattr(part, name))
    rows = []
    for key in _row_keys(by, scope, config, set(tallies)):
        counts = vars(tallies.get(key) or Tally())
        row: dict[str, Any] = {"period": data.period.text, "by": by, "key": key,
                               "name": _name(by, key, config), **counts}
        row.update({rate: ratio(counts[n], counts[d]) for rate, (n, d) in RATES.items()})
        row["score"] = score(row, config)[0] if by == "unit" else None
        rows.append(row)
    return rows
