"""The assessment's queries over a store: the table, coverage, summaries and the ranking."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from fractions import Fraction
from math import ceil
from typing import Any, Literal, Protocol

from services.projections.assessment import figures
from services.projections.assessment.attribution import Attributor, Row, Scope
from services.projections.assessment.config import AssessmentConfig
from services.projections.assessment.periods import Period, parse_period, year_period
from services.projections.assessment.summaries import summary_statuses

TableBy = Literal["unit", "township", "action"]


def _period(value: int | str | Period) -> Period:
    if isinstance(value, Period):
        return value
    return year_period(value) if isinstance(value, int) else parse_period(value)


def _meets(sampled: int, registered: int, line: float) -> bool | None:
    return None if registered == 0 else Fraction(sampled, registered) >= Fraction(str(line))


class AssessmentQueries:
    """Queries of the assessment; a store provides ``config`` and ``dataset``."""

    @property
    def config(self) -> AssessmentConfig:
        raise NotImplementedError

    def dataset(self, period: Period, *, samples_until: str | None = None) -> figures.Dataset:
        raise NotImplementedError

    def table(self, period: str | Period, by: TableBy, *, scope: Scope | None = None,
              now: datetime | None = None) -> list[dict[str, Any]]:
        """Figures per unit, township or action for ``period`` (2024, 2024-Q2, 2024-05)."""
        if by not in {"unit", "township", "action"}:
            raise ValueError(f"by must be unit, township or action, not {by!r}")
        found = _period(period)
        return figures.table(self.dataset(found), by, self.config, scope=scope,
                             now=now or datetime.now(UTC))

    def totals(self, period: str | Period, *, scope: Scope | None = None,
               now: datetime | None = None) -> dict[str, Any]:
        """The district's figures for ``period`` (within ``scope``), in one row."""
        found = _period(period)
        return figures.table(self.dataset(found), "district", self.config, scope=scope,
                             now=now or datetime.now(UTC))[0]

    def canteen_coverage(self, year: int, *, scope: Scope | None = None,
                         until: date | None = None) -> dict[str, Any]:
        """School canteens sampled in ``year`` (up to ``until``) among those registered, by
        township, against the plan's target and aim."""
        period, scope = year_period(year), scope or Scope()
        data = self.dataset(period, samples_until=until.isoformat() if until else None)
        attr, target = Attributor(self.config.router, data.entities), \
            self.config.targets.canteen_sampling_coverage
        sampled_ids = {s["entity_id"] for s in data.samples}
        by_township: dict[str | None, dict[str, Any]] = {}
        for entity_id in figures.canteens(data.entities, until or period.last, self.config):
            keys = attr.canteen(entity_id)
            if not scope.admits(keys):
                continue
            group = by_township.setdefault(keys.township, {
                "township": keys.township, "registered": 0, "sampled": 0, "unsampled": []})
            group["registered"] += 1
            if entity_id in sampled_ids:
                group["sampled"] += 1
            else:
                group["unsampled"].append(entity_id)
        townships = sorted(by_township.values(), key=lambda g: str(g["township"]))
        for group in townships:
            group.update(coverage=figures.ratio(group["sampled"], group["registered"]),
                         meets_target=_meets(group["sampled"], group["registered"],
                                             target.target))
        registered = sum(g["registered"] for g in townships)
        sampled = sum(g["sampled"] for g in townships)
        return {
            "year": year, "until": until and until.isoformat(), "target": target.target,
            "aim": target.aim, "source": target.source, "registered": registered,
            "sampled": sampled, "coverage": figures.ratio(sampled, registered),
            "meets_target": _meets(sampled, registered, target.target),
            "meets_aim": _meets(sampled, registered, target.aim),
            "to_reach_target": max(0, ceil(Fraction(str(target.target)) * registered) - sampled),
            "townships": townships,
            "unsampled": sorted(e for g in townships for e in g["unsampled"]),
        }

    def summaries(self, year: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every action's annual summary for ``year`` and its status."""
        data = self.dataset(year_period(year))
        return summary_statuses(year, data.cases, self.config, now or datetime.now(UTC))

    def ranking(self, year: int | str, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Units by composite score, best first; equal scores share a rank. Collective units
        and units no weighted figure applies to are not ranked."""
        rows = self.table(_period(year), "unit", now=now)
        plan = self.config.plan
        collective = {u.id for u in plan.units if u.kind == "collective"}
        scored = sorted((r for r in rows if r["score"] is not None
                         and r["key"] not in collective),
                        key=lambda r: (-r["score"], str(r["key"])))
        out = []
        for row in scored:
            better = sum(1 for other in scored if other["score"] > row["score"])
            _, parts = figures.score(row, self.config)
            out.append({"rank": better + 1, "unit": row["key"], "name": row["name"],
                        "score": row["score"], "period": row["period"], "components": parts})
        return out

    @staticmethod
    def decoded_case(row: Row) -> Row:
        return {**row, **{k: json.loads(row[k]) for k in ("units", "details", "deadlines")
                          if row.get(k) is not None}}


class AssessmentReader(Protocol):
    """What exports and the HTTP API read (``SQLiteAssessmentView`` and the like)."""

    @property
    def config(self) -> AssessmentConfig: ...
    def table(self, period: str | Period, by: TableBy, *, scope: Scope | None = None,
              now: datetime | None = None) -> list[dict[str, Any]]: ...
    def totals(self, period: str | Period, *, scope: Scope | None = None,
               now: datetime | None = None) -> dict[str, Any]: ...
    def canteen_coverage(self, year: int, *, scope: Scope | None = None,
                         until: date | None = None) -> dict[str, Any]: ...
    def summaries(self, year: int, *, now: datetime | None = None) -> list[dict[str, Any]]: ...
    def ranking(self, year: int | str, *, now: datetime | None = None
                ) -> list[dict[str, Any]]: ...
