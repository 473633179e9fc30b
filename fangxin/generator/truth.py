"""The ground truth of a data set, computed while generating it.

Cases follow the workflow's rules (``services/workflow/translate.py``): an unqualified sample
opens SD; an inspection that is not 符合 opens RC, a 不符合 one IV too; a complaint opens CP, a
report RP, both opens both; every action has an AS case per plan year; a kitchen with as many
alerts on one China-local day as the kitchen rule set's threshold opens KA; every downstream
business of an unqualified lot other than the sampled one gets RV (``projections/recall.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from contracts.facts import complaint, inspection, kitchen, sampling
from contracts.facts.entity import EntityKind
from fangxin.generator.common import CHINA, YEARS, Fact
from fangxin.generator.message import BAD, DUPLICATE, FACT, Message
from fangxin.generator.sampling import Sampling
from fangxin.generator.tracebook import TraceBook
from fangxin.generator.world import World

ACTIONS: Final = 13  # the work plan's 主要任务
KITCHEN_THRESHOLD: Final = 3  # services/workflow/rules/rulesets/kitchen.json, 2022 policy
CASE_KINDS: Final = ("SD", "RC", "IV", "CP", "RP", "AS", "KA", "RV")


@dataclass(frozen=True)
class TracedLot:
    """The lot the demo traces: sampled unqualified at a wholesale market."""

    lot_code: str
    product: str
    market_id: str
    market_name: str
    sample_id: str
    upstream: list[dict[str, str]]  # farm lots: lot, farm_id, farm_name, certificate_no, quantity
    downstream: list[dict[str, str]]  # entity_id, name, township, quantity (KGM)
    recall_scope: list[str]  # entity ids that get an RV case for this lot


@dataclass(frozen=True)
class Truth:
    seed: int
    size: str
    messages: int
    accepted: int
    duplicates: int
    rejected: int
    rejected_by_code: dict[str, int]
    facts_by_type: dict[str, int]
    businesses_by_kind: dict[str, int]
    businesses_by_township: dict[str, int]
    cases_by_kind: dict[str, int]
    canteen_coverage: dict[str, dict[str, float]]  # year -> registered, sampled, ratio
    summaries: dict[str, dict[str, int]]  # year -> on_time, late, missing
    samples: int
    samples_unqualified: int
    traced_lot: TracedLot | None
    period: list[int] = field(default_factory=lambda: list(YEARS))


@dataclass(frozen=True)
class Generated:
    """What the parts of the generator produced, for the truth."""

    world: World
    book: TraceBook
    sampling: Sampling
    summaries: dict[int, dict[int, str]]


def compute_truth(seed: int, size: str, messages: list[Message], facts: list[Fact],
                  parts: Generated) -> Truth:
    kinds = Counter(m.kind for m in messages)
    bad = Counter(m.expected_code or "" for m in messages if m.kind == BAD)
    samples = parts.sampling.samples
    return Truth(
        seed=seed, size=size, messages=len(messages), accepted=kinds[FACT],
        duplicates=kinds[DUPLICATE], rejected=kinds[BAD],
        rejected_by_code=dict(sorted(bad.items())),
        facts_by_type=dict(sorted(Counter(f.type for f in facts).items())),
        businesses_by_kind=dict(sorted(Counter(b.kind.value for b in
                                               parts.world.businesses).items())),
        businesses_by_township=dict(sorted(Counter(b.township for b in
                                                   parts.world.businesses).items())),
        cases_by_kind=_cases(facts, parts),
        canteen_coverage=_coverage(parts),
        summaries={str(year): {o: list(by_action.values()).count(o)
                               for o in ("on_time", "late", "missing")}
                   for year, by_action in parts.summaries.items()},
        samples=len(samples), samples_unqualified=sum(s.unqualified for s in samples),
        traced_lot=_traced(parts))


def _cases(facts: list[Fact], parts: Generated) -> dict[str, int]:
    cases: Counter[str] = Counter(dict.fromkeys(CASE_KINDS, 0))
    alerts: Counter[tuple[str, str]] = Counter()
    for fact in facts:
        data = fact.data
        if fact.type == sampling.TYPE and data["verdict"] == "unqualified":
            cases["SD"] += 1
        elif fact.type == inspection.TYPE and data["result"] != "conforming":
            cases["RC"] += 1
            cases["IV"] += data["result"] == "nonconforming"
        elif fact.type == complaint.TYPE:
            cases["CP"] += data["kind"] != "report"
            cases["RP"] += data["kind"] != "complaint"
        elif fact.type == kitchen.TYPE:
            day = datetime.fromisoformat(data["observed_at"]).astimezone(CHINA).date()
            alerts[(data["entity_id"], day.isoformat())] += 1
    cases["AS"] = ACTIONS * len(YEARS)
    cases["KA"] = sum(1 for n in alerts.values() if n >= KITCHEN_THRESHOLD)
    cases["RV"] = sum(len(parts.book.recall_scope(s.lot) - {s.entity_id})
                      for s in parts.sampling.samples if s.unqualified)
    return dict(cases)


def _coverage(parts: Generated) -> dict[str, dict[str, float]]:
    canteens = parts.world.of(EntityKind.SCHOOL_CANTEEN)
    ids = {c.entity_id for c in canteens}
    coverage = {}
    for year in YEARS:
        registered = sum(1 for c in canteens if c.registered_at.year <= year)
        sampled = len({s.entity_id for s in parts.sampling.samples
                       if s.entity_id in ids and s.sampled_at.year == year})
        coverage[str(year)] = {"registered": registered, "sampled": sampled,
                               "ratio": round(sampled / registered, 4) if registered else 0.0}
    return coverage


def _traced(parts: Generated) -> TracedLot | None:
    chosen, sample = parts.sampling.traced, parts.sampling.traced_sample
    if chosen is None or sample is None:
        return None
    by_id = {b.entity_id: b for b in parts.world.businesses}
    received: dict[str, Decimal] = {}
    for entity_id, quantity in chosen.recipients:
        received[entity_id] = received.get(entity_id, Decimal(0)) + quantity
    downstream = [{"entity_id": e, "name": by_id[e].name, "township": by_id[e].township,
                   "quantity": str(q), "unit": "KGM"} for e, q in sorted(received.items())]
    upstream = [{"lot": lot, "farm_id": c.farm_id, "farm_name": c.farm_name,
                 "certificate_no": c.certificate_no, "quantity": str(c.quantity), "unit": "KGM"}
                for lot, c in chosen.upstream]
    scope = sorted(parts.book.recall_scope(chosen.lot) - {chosen.market_id})
    return TracedLot(chosen.lot, chosen.product.name, chosen.market_id,
                     by_id[chosen.market_id].name, sample.sample_id, upstream, downstream, scope)


def as_json(truth: Truth) -> dict[str, Any]:
    from dataclasses import asdict  # noqa: PLC0415

    return asdict(truth)
