"""The generator's ground truth against the platform's own code: the smoke set through intake,
its supervision facts through the workflow's translation, its trace facts into the trace read
model (SQLite), and the cases counted as the workflow and the recall scope would open them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from eventsourcing.persistence import InfrastructureFactory, Tracking

from contracts.envelope import CloudEvent
from contracts.registry import by_type
from contracts.topics import Topics
from fangxin.generator import Dataset, generate
from services.intake.application import Inbound, Intake
from services.intake.decoding import FactDecoder
from services.intake.dedupe import SQLiteSeenStore
from services.intake.producers import ProducerRegistry
from services.projections.trace import SQLiteTraceView, TraceProjection
from services.workflow.domain.calendar import local_date
from services.workflow.domain.commands import CountKitchenAlert, OpenCase
from services.workflow.policy import CasePolicy
from services.workflow.translate import commands_for
from tests.unit.intake.helpers import no_epcis

PRODUCERS = Path(__file__).resolve().parents[2] / "deploy" / "local" / "producers.json"
TOPICS = Topics()


@pytest.fixture(scope="module")
def routed(tmp_path_factory) -> tuple[Dataset, dict[str, list[CloudEvent]]]:
    """The smoke set and the canonical facts intake routes, by topic."""
    dataset = generate(seed=20240102, size="smoke")
    seen = SQLiteSeenStore(tmp_path_factory.mktemp("intake") / "seen.sqlite")
    intake = Intake(FactDecoder(by_type(), max_bytes=1_048_576),
                    ProducerRegistry.load(PRODUCERS), seen, TOPICS, no_epcis)
    inbound = [Inbound(m.value, m.key, f"kafka:in:0:{n}", topic="in", partition=0, offset=n)
               for n, m in enumerate(dataset.messages)]
    by_topic: dict[str, list[CloudEvent]] = {TOPICS.supervision: [], TOPICS.trace: []}
    for start in range(0, len(inbound), 500):
        for answer in intake.answer(inbound[start:start + 500]):
            for publication in answer.publications:
                if publication.topic in by_topic:
                    by_topic[publication.topic].append(
                        CloudEvent.model_validate_json(publication.value))
    return dataset, by_topic


def test_cases_are_those_the_workflow_opens(routed):
    dataset, by_topic = routed
    opened: set[str] = set()
    tally: Counter[tuple[str, str]] = Counter()
    threshold = CasePolicy.default().kitchen_threshold
    kitchen_cases = 0
    for fact in by_topic[TOPICS.supervision]:
        for command in commands_for(fact):
            if isinstance(command, OpenCase):
                opened.add(command.case_id)
            elif isinstance(command, CountKitchenAlert):
                day = (command.entity_id, local_date(command.observed_at).isoformat())
                tally[day] += 1
                kitchen_cases += tally[day] == threshold(command.observed_at)
    found = Counter(case_id.split("-", 1)[0] for case_id in opened)
    expected = dataset.truth.cases_by_kind
    for kind in ("SD", "RC", "IV", "CP", "RP"):
        assert found[kind] == expected[kind], kind
    assert found["AS"] <= expected["AS"] == 39  # the rest open at the start of each year
    assert kitchen_cases == expected["KA"]


def test_recall_verifications_are_the_recall_scope_of_each_unqualified_lot(routed, tmp_path):
    dataset, by_topic = routed
    factory = InfrastructureFactory.construct({
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "trace.sqlite")})
    try:
        view = factory.tracking_recorder(SQLiteTraceView)
        TraceProjection(view).apply([*by_topic[TOPICS.supervision], *by_topic[TOPICS.trace]],
                                    Tracking("trace:test", 1))
        unqualified = [f.data for f in by_topic[TOPICS.supervision]
                       if f.type == "foodsafety.sampling.reported"
                       and f.data["verdict"] == "unqualified"]
        recall = sum(len({row["entity_id"] for row in view.recall_scope(s["lot_code"])}
                         - {s["entity_id"]}) for s in unqualified)
        assert recall == dataset.truth.cases_by_kind["RV"]
        traced = dataset.truth.traced_lot
        assert traced is not None
        scope = {row["entity_id"] for row in view.recall_scope(traced.lot_code)}
        assert sorted(scope - {traced.market_id}) == traced.recall_scope
    finally:
        factory.close()
