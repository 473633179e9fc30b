"""The workflow application's behaviour, written once, run on every event store."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from contracts.envelope import CloudEvent
from services.workflow.application import Workflow
from services.workflow.decisions import CaseNotFoundError, Outcome
from services.workflow.domain.commands import AdvanceCase
from services.workflow.translate import command_from, commands_for, message_id
from tests.unit.contracts.examples import (
    CANTEEN_USCC,
    CATERING_USCC,
    KITCHEN_USCC,
    MARKET_USCC,
    example,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
_ids = itertools.count(1)


def fact(fact_type: str, *, event_id: str | None = None, **changes: Any) -> CloudEvent:
    return CloudEvent.model_validate({
        "specversion": "1.0", "id": event_id or f"evt-{next(_ids)}",
        "source": "urn:fangxin:test", "type": fact_type,
        "time": "2023-06-12T10:00:00+08:00", "data": example(fact_type, **changes)})


class WorkflowSuite:
    @pytest.fixture
    def env(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    @pytest.fixture
    def workflow(self, env: dict[str, str]) -> Iterator[Workflow]:
        app = Workflow(env=env)
        yield app
        app.close()

    @pytest.fixture
    def offsets(self) -> Iterator[int]:
        return itertools.count(1)

    def handle(self, workflow: Workflow, offsets: Iterator[int], *facts: CloudEvent,
               partition: int = 0) -> list[Outcome]:
        messages = [(message_id(f), commands_for(f)) for f in facts]
        tracking = Tracking(f"kafka:supervision:{partition}", next(offsets))
        return [d.outcome for d in workflow.handle(messages, tracking)]

    def test_an_unqualified_sample_opens_sampling_disposal_with_its_deadlines(
            self, workflow, offsets):
        outcomes = self.handle(workflow, offsets, fact("foodsafety.sampling.reported"))

        case = workflow.get_case("SD-DC23410202410001")
        assert outcomes == [Outcome.APPLIED]
        assert case.tracks == {"disposal": "risk_control", "retest": "window_open"}
        assert case.rule_set == "sampling/samr-order-15-2019"
        assert set(case.deadlines) == {"risk_control", "retest_window", "disposal"}
        # 7 working days after Mon 2023-06-12, across the 端午 holiday (22-24 June, 25th worked)
        assert case.deadlines["retest_window"]["due_at"].date().isoformat() == "2023-06-21"
        assert case.assignment["action"] == 5  # 蔬菜: edible agricultural products

    def test_a_redelivered_batch_changes_nothing(self, workflow, offsets):
        sample = fact("foodsafety.sampling.reported")
        workflow.handle([(message_id(sample), commands_for(sample))],
                        Tracking("kafka:supervision:0", 4))

        again = workflow.handle([(message_id(sample), commands_for(sample))],
                                Tracking("kafka:supervision:0", 4))

        assert [d.outcome for d in again] == [Outcome.DUPLICATE_POSITION]
        assert len(workflow.case_history("SD-DC23410202410001")) == 1

    def test_the_same_fact_on_another_partition_is_a_duplicate_message(self, workflow, offsets):
        sample = fact("foodsafety.sampling.reported", event_id="same")
        self.handle(workflow, offsets, sample)

        assert self.handle(workflow, offsets, sample, partition=1) == [
            Outcome.DUPLICATE_MESSAGE]

    def test_a_school_canteen_sample_goes_to_action_9_and_its_township(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.entity.registered",
                                            entity_id=CANTEEN_USCC, kind="school_canteen",
                                            township="北郊乡"),
                    fact("foodsafety.sampling.reported", entity_id=CANTEEN_USCC,
                         sample_id="S-CANTEEN"))

        case = workflow.get_case("SD-S-CANTEEN")
        assert case.assignment["action"] == 9
        assert case.assignment["township_unit"] == "township:北郊乡"
        assert "education-sports" in case.owners()

    def test_a_risk_monitoring_sample_has_no_retest_window(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.sampling.reported", sample_id="S-RM",
                                            program="risk_monitoring"))

        case = workflow.get_case("SD-S-RM")
        assert case.tracks["retest"] == "not_applicable"
        assert "retest_window" not in case.deadlines
        assert case.assignment["lead"] == "health"

    def test_a_complaint_received_long_ago_is_overdue_and_escalated_at_once(
            self, workflow, offsets):
        received = (NOW - timedelta(days=20)).isoformat()
        self.handle(workflow, offsets, fact("foodsafety.complaint.received",
                                            complaint_id="C-LATE", received_at=received))

        fired = [workflow.fire_timer("CP-C-LATE", "acceptance", kind, NOW)
                 for kind in ("warn", "overdue", "overdue")]

        case = workflow.get_case("CP-C-LATE")
        assert fired == [True, True, False]
        assert case.deadlines["acceptance"]["escalated_to"] == "district-food-safety-office"

    def test_a_complaint_and_report_opens_two_cases(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.complaint.received",
                                            complaint_id="C-BOTH", kind="both"))

        assert workflow.get_case("CP-C-BOTH").kind.value == "CP"
        assert workflow.get_case("RP-C-BOTH").kind.value == "RP"
        assert workflow.get_case("RP-C-BOTH").private["complainant"]["name"] == "王某"

    def test_only_an_owning_unit_may_act_and_a_refusal_is_named(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.entity.registered",
                                            entity_id=CATERING_USCC, kind="catering"),
                    fact("foodsafety.complaint.received", complaint_id="C-ACT"))
        at = datetime(2023, 6, 19, 9, tzinfo=UTC)

        outsider = workflow.act(AdvanceCase("http#1", "CP-C-ACT", "accept_complaint", at,
                                            "education-sports"))
        bad = workflow.act(AdvanceCase("http#2", "CP-C-ACT", "record_agreement", at,
                                       "market-regulation"))
        owner = workflow.act(AdvanceCase("http#3", "CP-C-ACT", "accept_complaint", at,
                                         "market-regulation"))
        repeat = workflow.act(AdvanceCase("http#3", "CP-C-ACT", "accept_complaint", at,
                                          "market-regulation"))

        assert (outsider.outcome, outsider.code) == (Outcome.REFUSED, "not_authorized")
        assert (bad.outcome, bad.code) == (Outcome.REFUSED, "command_not_allowed")
        assert (owner.outcome, repeat.outcome) == (Outcome.APPLIED, Outcome.DUPLICATE_MESSAGE)
        assert workflow.get_case("CP-C-ACT").tracks == {"complaint": "mediating"}

    def test_three_kitchen_alerts_in_one_day_open_a_kitchen_case(self, workflow, offsets):
        alerts = [fact("foodsafety.kitchen.alerted", observed_at=f"2023-07-03T1{h}:00:00+08:00")
                  for h in (0, 1, 2)]

        self.handle(workflow, offsets, *alerts[:2])
        with pytest.raises(CaseNotFoundError):
            workflow.get_case(f"KA-{KITCHEN_USCC}-2023-07-03")
        self.handle(workflow, offsets, alerts[2])

        case = workflow.get_case(f"KA-{KITCHEN_USCC}-2023-07-03")
        assert case.details["alerts"] == ["no_mask"] * 3
        assert case.assignment["action"] == 6

    def test_a_summary_submitted_before_2_december_closes_its_case_on_time(
            self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.summary.submitted"))

        case = workflow.get_case("AS-2023-9")
        deadline = case.deadlines["summary_due"]
        assert case.is_closed
        assert deadline["due_at"].isoformat().startswith("2023-12-02T23:59:59")
        assert deadline["met_at"] <= deadline["due_at"]

    def test_a_past_version_of_a_case_can_be_read(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.entity.registered",
                                            entity_id=CATERING_USCC, kind="catering"),
                    fact("foodsafety.complaint.received",
                                            complaint_id="C-V"))
        workflow.act(AdvanceCase("http#v", "CP-C-V", "accept_complaint", NOW,
                                 "market-regulation"))

        assert workflow.get_case("CP-C-V", version=1).tracks == {"complaint": "received"}
        assert workflow.get_case("CP-C-V").version == 2

    def test_loading_a_year_file_recomputes_provisional_deadlines(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.complaint.received",
                                            complaint_id="C-2027",
                                            received_at="2027-09-29T10:00:00+08:00"))
        assert workflow.get_case("CP-C-2027").deadlines["acceptance"]["provisional"]

        changed = workflow.load_year(YEAR_2027, ["CP-C-2027"])

        acceptance = workflow.get_case("CP-C-2027").deadlines["acceptance"]
        assert changed == 1
        assert acceptance["provisional"] is False
        # 国庆 1-7 October (a test fixture, not a published notice): 7 WD end on 15 October,
    # where weekdays alone gave 8 October
        assert acceptance["due_at"].date().isoformat() == "2027-10-15"

    def test_a_repeated_case_command_is_applied_once(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.entity.registered",
                                            entity_id=CATERING_USCC, kind="catering"),
                    fact("foodsafety.complaint.received", complaint_id="C-CMD"))
        raw = json.dumps({"command_id": "sys-42", "case_id": "CP-C-CMD",
                          "command": "accept_complaint", "by_unit": "market-regulation",
                          "at": "2023-06-19T09:00:00+08:00"}).encode()
        command = command_from(raw)

        first = workflow.handle([(command.message_id, [command])],
                                Tracking("kafka:commands:0", 1))
        again = workflow.handle([(command.message_id, [command])],
                                Tracking("kafka:commands:0", 2))

        assert [d.outcome for d in first + again] == [Outcome.APPLIED,
                                                      Outcome.DUPLICATE_MESSAGE]
        assert workflow.get_case("CP-C-CMD").version == 2

    def test_a_sample_for_an_unknown_business_still_gets_a_lead_unit(self, workflow, offsets):
        self.handle(workflow, offsets, fact("foodsafety.sampling.reported", sample_id="S-UNK",
                                            entity_id=MARKET_USCC))

        assert workflow.get_case("SD-S-UNK").assignment["lead"] == "market-regulation"


YEAR_2027 = """{"format_version": 1, "year": 2027, "notice": "test fixture, not a real notice",
 "source": "tests", "holidays": [{"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"}],
 "adjusted_workdays": []}"""
