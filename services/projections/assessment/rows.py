"""Rows of the assessment read model: from facts and case events, and a case's folded state.

Pure functions: the store writes what they return. A fact row is keyed by the fact's own number
(entity id, sample number, inspection record number); among several facts with the same key the
latest by CloudEvent ``time`` (then fact id) wins, whatever order they arrive in. A case event is
keyed by ``(case_id, version)``; a case's row is the fold of all its stored events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.facts import entity, inspection, sampling
from contracts.registry import by_type
from services.projections.assessment.periods import local_day, parse_instant, utc_text

Row = dict[str, Any]


@dataclass
class FactRows:
    """What a batch of facts writes, by table; ``ignored`` counts facts of other types."""

    entities: list[Row] = field(default_factory=list)
    samples: list[Row] = field(default_factory=list)
    inspections: list[Row] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def fact_id(fact: CloudEvent) -> str:
    """The identity of a fact across re-sends, as the workflow writes it: ``source#id``."""
    return f"{fact.source}#{fact.id}"


def _validated(fact: CloudEvent) -> BaseModel | None:
    fact_type = by_type().get(fact.type)
    if fact_type is None:
        return None
    return fact_type.model.model_validate(fact.data)


def fact_rows(facts: Iterable[CloudEvent]) -> FactRows:
    """The rows of the facts the assessment reads; other facts are only counted."""
    out = FactRows()
    for fact in facts:
        try:
            data = _validated(fact)
        except ValidationError:
            out.invalid.append(fact.type)
            continue
        common = {"fact_id": fact_id(fact), "fact_at": utc_text(fact.time)}
        if isinstance(data, entity.EntityRegistered):
            registered = data.registered_at or fact.time
            out.entities.append({**common, "entity_id": data.entity_id, "kind": data.kind.value,
                                 "township": data.township,
                                 "risk_grade": data.risk_grade and data.risk_grade.value,
                                 "registered_on": local_day(registered).isoformat()})
        elif isinstance(data, sampling.SamplingReported):
            out.samples.append({**common, "sample_id": data.sample_id,
                                "entity_id": data.entity_id, "category": data.category,
                                "program": data.program.value, "verdict": data.verdict.value,
                                "sampled_on": local_day(data.sampled_at).isoformat()})
        elif isinstance(data, inspection.InspectionRecorded):
            out.inspections.append({**common, "inspection_id": data.inspection_id,
                                    "entity_id": data.entity_id, "result": data.result.value,
                                    "reinspection_of": data.reinspection_of,
                                    "inspected_on": local_day(data.inspected_at).isoformat()})
        else:
            out.ignored.append(fact.type)
    return out


def event_row(event: CaseEvent) -> Row:
    return {"case_id": event.case_id, "version": event.version, "type": event.type,
            "kind": event.kind, "occurred_at": utc_text(event.occurred_at),
            "data": json.dumps(event.data, ensure_ascii=False, sort_keys=True)}


@dataclass
class _Deadline:
    due_at: datetime | None
    met_at: datetime | None = None
    overdue_seen: bool = False

    @property
    def met_in_time(self) -> bool:
        """Met, and at or before its due time (a deadline without a due time cannot be late)."""
        return self.met_at is not None and (self.due_at is None or self.met_at <= self.due_at)

    @property
    def overdue(self) -> bool:
        """An overdue timer fired for it and it was not met by its due time (or not at all)."""
        return self.overdue_seen and not self.met_in_time

    def describe(self) -> dict[str, Any]:
        return {"due_at": self.due_at and self.due_at.isoformat(),
                "met_at": self.met_at and self.met_at.isoformat(),
                "overdue_seen": self.overdue_seen, "met_in_time": self.met_in_time}


def _due(spec: object) -> datetime | None:
    return parse_instant(spec.get("due_at")) if isinstance(spec, dict) else None


@dataclass
class _CaseFold:
    case_id: str
    kind: str
    opened: dict[str, Any] | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    state: str | None = None
    deadlines: dict[str, _Deadline] = field(default_factory=dict)

    def apply(self, type_: str, data: dict[str, Any]) -> None:  # noqa: PLR0912 - one per type
        at = parse_instant(data.get("at"))
        name = str(data.get("name", ""))
        if type_ == "case.opened":
            self.opened = data
            for key, spec in (data.get("deadlines") or {}).items():
                self.deadlines[key] = _Deadline(_due(spec))
        elif type_ in {"case.advanced", "case.closed"}:
            for key in data.get("stopped") or ():
                if key in self.deadlines and self.deadlines[key].met_at is None:
                    self.deadlines[key].met_at = at
            for key, spec in (data.get("started") or {}).items():
                self.deadlines[key] = _Deadline(_due(spec))
            if type_ == "case.closed":
                self.closed_at, self.closed_by = at, data.get("by")
                for deadline in self.deadlines.values():
                    if deadline.met_at is None:
                        deadline.met_at = at  # cleared when the case closed
        elif name not in self.deadlines:
            return
        elif type_ == "deadline.overdue":
            self.deadlines[name].overdue_seen = True
        elif type_ == "deadline.extended":
            self.deadlines[name].due_at = _due(data.get("spec"))
            self.deadlines[name].overdue_seen = False  # an approved extension lifts it
        elif type_ in {"clock.resumed", "deadline.recomputed"} and _due(data.get("spec")):
            self.deadlines[name].due_at = _due(data.get("spec"))
        if "state" in data:
            self.state = data["state"]


def case_row(case_id: str, kind: str, events: Iterable[Row], *, acceptance: str) -> Row:
    """The folded row of a case from all its stored events (any order; folded by version)."""
    fold = _CaseFold(case_id, kind)
    version = 0
    for event in sorted(events, key=lambda e: int(e["version"])):
        fold.apply(str(event["type"]), json.loads(event["data"]))
        version = int(event["version"])
    opened = fold.opened or {}
    assignment = opened.get("assignment") or {}
    units = sorted({u for u in (assignment.get("lead"), *(assignment.get("co_units") or ()),
                                assignment.get("township_unit")) if u})
    opened_at = parse_instant(opened.get("opened_at"))
    closed = fold.closed_at is not None
    accepted = fold.deadlines.get(acceptance)
    return {
        "case_id": case_id, "kind": kind, "version": version,
        "action": assignment.get("action"), "lead": assignment.get("lead"),
        "units": json.dumps(units, ensure_ascii=False),
        "township_unit": assignment.get("township_unit"), "entity_id": opened.get("entity_id"),
        "opened_on": opened_at and local_day(opened_at).isoformat(),
        "closed_at": fold.closed_at and utc_text(fold.closed_at), "closed_by": fold.closed_by,
        "state": fold.state,
        "on_time": int(closed and all(d.met_in_time for d in fold.deadlines.values())),
        "overdue": int(any(d.overdue for d in fold.deadlines.values())),
        "acceptance_on_time": None if accepted is None else int(accepted.met_in_time),
        "details": json.dumps(opened.get("details") or {}, ensure_ascii=False, sort_keys=True),
        "deadlines": json.dumps({n: d.describe() for n, d in fold.deadlines.items()},
                                ensure_ascii=False, sort_keys=True),
    }
