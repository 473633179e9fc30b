"""The workflow application's behaviour, written once, run on every event store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eventsourcing.persistence import Tracking

from contracts.envelope import CloudEvent
from services.workflow.application import Outcome, Workflow
from services.workflow.domain.cases import CaseKind, CaseState
from services.workflow.errors import CaseNotFoundError, UnusableFactError
from services.workflow.translate import command_for
from tests.factories import sampling_fact


def command(**kwargs: object):
    return command_for(CloudEvent.model_validate(sampling_fact(**kwargs)))  # type: ignore[arg-type]


class WorkflowSuite:
    @pytest.fixture
    def env(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    @pytest.fixture
    def workflow(self, env: dict[str, str]) -> Iterator[Workflow]:
        app = Workflow(env=env)
        yield app
        app.close()

    def test_unqualified_sample_opens_a_sampling_disposal_case(self, workflow: Workflow):
        outcome = workflow.handle(command(sample_id="S1"), Tracking("kafka:t:0", 1))

        assert outcome is Outcome.APPLIED
        case = workflow.get_case("SD-S1")
        assert (case.kind, case.state, case.version) == (CaseKind.SAMPLING_DISPOSAL,
                                                           CaseState.OPEN, 1)
        assert case.details["lot_code"].endswith("/10/LT2306")
        assert workflow.recorder.max_tracking_id("kafka:t:0") == 1

    def test_qualified_sample_opens_no_case_but_records_its_position(self, workflow: Workflow):
        outcome = workflow.handle(command(sample_id="S2", verdict="qualified"),
                                  Tracking("kafka:t:0", 7))

        assert outcome is Outcome.APPLIED
        with pytest.raises(CaseNotFoundError):
            workflow.get_case("SD-S2")
        assert workflow.recorder.max_tracking_id("kafka:t:0") == 7

    def test_redelivery_at_the_same_position_changes_nothing(self, workflow: Workflow):
        workflow.handle(command(sample_id="S3"), Tracking("kafka:t:0", 3))

        outcome = workflow.handle(command(sample_id="S3"), Tracking("kafka:t:0", 3))

        assert outcome is Outcome.DUPLICATE_POSITION
        assert len(workflow.case_history("SD-S3")) == 1

    def test_same_fact_at_a_new_position_opens_no_second_case(self, workflow: Workflow):
        workflow.handle(command(sample_id="S4"), Tracking("kafka:t:0", 4))

        outcome = workflow.handle(command(sample_id="S4"), Tracking("kafka:t:1", 9))

        assert outcome is Outcome.APPLIED
        assert [e.originator_version for e in workflow.case_history("SD-S4")] == [1]
        assert workflow.recorder.max_tracking_id("kafka:t:1") == 9

    def test_fact_with_a_verdict_contradicting_its_items_is_unusable(self):
        fact = sampling_fact(sample_id="S5")
        fact["data"]["verdict"] = "qualified"  # but the item failed

        with pytest.raises(UnusableFactError):
            command_for(CloudEvent.model_validate(fact))
