"""Case state machines: given a case, when a command, then these events or this refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.workflow.domain import errors
from services.workflow.domain.cases import Case
from services.workflow.domain.kinds import CaseKind
from services.workflow.domain.machines import MACHINES
from tests.unit.workflow.fake_planner import FakePlanner

T0 = datetime(2024, 5, 20, 1, 0, tzinfo=UTC)
OFFICE = "district-food-safety-office"


def open_case(kind: CaseKind, planner: FakePlanner | None = None,
              tracks: dict[str, str] | None = None) -> Case:
    planner = planner or FakePlanner()
    machine = MACHINES[kind]
    deadlines = {n: s for n in machine.opening_deadlines if (s := planner.due(n, T0))}
    case = Case(case_id=f"{kind.value}-1", kind=kind, opened_at=T0, fact_id="src#1",
                entity_id="E1", assignment={"action": 5, "lead": "market-regulation",
                                            "co_units": ["commerce"],
                                            "township_unit": "township:北郊乡"},
                rule_set="test/1", tracks={**machine.tracks, **(tracks or {})},
                deadlines=deadlines, details={})
    case.collect_events()
    return case


def new_events(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


class TestComplaint:
    def test_accepting_starts_mediation_and_meets_the_acceptance_deadline(self):
        case = open_case(CaseKind.COMPLAINT)

        case.advance("accept_complaint", at=T0 + timedelta(days=2), by="market-regulation",
                     planner=FakePlanner())

        assert new_events(case) == ["Advanced"]
        assert case.tracks == {"complaint": "mediating"}
        assert case.deadlines["acceptance"]["status"] == "met"
        assert case.deadlines["mediation"]["due_at"] == T0 + timedelta(days=47)

    def test_refusal_needs_a_statutory_reason(self):
        case = open_case(CaseKind.COMPLAINT)

        with pytest.raises(errors.InvalidReasonError) as refused:
            case.advance("refuse_complaint", at=T0, by="market-regulation",
                         planner=FakePlanner(), reason="too_busy")

        assert "outside_duties" in refused.value.allowed
        assert new_events(case) == []
        assert case.tracks == {"complaint": "received"}

    def test_a_refused_complaint_closes_after_its_notice(self):
        case = open_case(CaseKind.COMPLAINT)
        case.advance("refuse_complaint", at=T0, by="m", planner=FakePlanner(),
                     reason="over_three_years")

        assert not case.is_closed  # the refusal notice is still due
        assert case.deadlines["refusal_notice"]["status"] == "running"

    def test_a_terminated_mediation_closes_once_both_parties_are_told(self):
        case = open_case(CaseKind.COMPLAINT)
        case.advance("accept_complaint", at=T0, by="m", planner=FakePlanner())
        case.advance("terminate_mediation", at=T0, by="m", planner=FakePlanner(),
                     reason="withdrawn")
        assert not case.is_closed

        case.advance("notify_parties", at=T0, by="m", planner=FakePlanner())

        assert case.is_closed

    def test_mediation_cannot_end_before_acceptance(self):
        case = open_case(CaseKind.COMPLAINT)

        with pytest.raises(errors.CommandNotAllowedError):
            case.advance("record_agreement", at=T0, by="m", planner=FakePlanner())
        assert new_events(case) == []

    def test_testing_time_pauses_the_mediation_clock(self):
        case = open_case(CaseKind.COMPLAINT)
        case.advance("accept_complaint", at=T0, by="m", planner=FakePlanner())
        case.pause_clock("mediation", at=T0 + timedelta(days=10), by="m", reason="testing")

        case.resume_clock("mediation", at=T0 + timedelta(days=14), by="m",
                          planner=FakePlanner())

        assert new_events(case) == ["Advanced", "ClockPaused", "ClockResumed"]
        assert case.deadlines["mediation"]["due_at"] == T0 + timedelta(days=49)

    def test_only_mediation_may_pause(self):
        case = open_case(CaseKind.COMPLAINT)

        with pytest.raises(errors.NotPausableError):
            case.pause_clock("acceptance", at=T0, by="m", reason="testing")


class TestReport:
    def test_an_approved_extension_adds_the_rule_budget_once_more(self):
        case = open_case(CaseKind.REPORT)

        case.extend("verification", approval_ref="龙市监〔2024〕12号", at=T0, by="m",
                    planner=FakePlanner())

        assert case.deadlines["verification"]["due_at"] == T0 + timedelta(days=30)
        assert new_events(case) == ["DeadlineExtended"]

    def test_an_extension_without_approval_is_refused(self):
        case = open_case(CaseKind.REPORT)

        with pytest.raises(errors.MissingArgumentError):
            case.extend("verification", approval_ref=" ", at=T0, by="m", planner=FakePlanner())

    def test_an_anonymous_report_closes_at_the_decision(self):
        planner = FakePlanner(skip={"reporter_notice"})
        case = open_case(CaseKind.REPORT, planner)

        case.advance("file_report_case", at=T0, by="m", planner=planner)

        assert case.is_closed

    def test_a_real_name_report_closes_once_the_reporter_is_told(self):
        case = open_case(CaseKind.REPORT)
        case.advance("file_report_case", at=T0, by="m", planner=FakePlanner())
        assert not case.is_closed

        case.advance("notify_reporter", at=T0 + timedelta(days=1), by="m",
                     planner=FakePlanner())

        assert case.is_closed
        assert case.state == "closed"


class TestSamplingDisposal:
    def test_risk_control_and_the_retest_window_run_in_parallel(self):
        case = open_case(CaseKind.SAMPLING_DISPOSAL)

        case.advance("request_retest", at=T0 + timedelta(days=3), by="m", planner=FakePlanner())

        assert case.tracks == {"disposal": "risk_control", "retest": "requested"}
        assert case.deadlines["risk_control"]["status"] == "running"
        assert case.deadlines["retest_decision"]["status"] == "running"

    def test_a_risk_monitoring_sample_has_no_retest(self):
        planner = FakePlanner(skip={"retest_window"})
        case = open_case(CaseKind.SAMPLING_DISPOSAL, planner, {"retest": "not_applicable"})

        with pytest.raises(errors.CommandNotAllowedError):
            case.advance("request_retest", at=T0, by="m", planner=planner)
        assert "retest_window" not in case.deadlines

    def test_an_overturned_retest_closes_the_case(self):
        case = open_case(CaseKind.SAMPLING_DISPOSAL)
        for command, args in [("request_retest", {}), ("accept_retest", {}),
                              ("assign_retest_lab", {"lab": "郑州某检测中心"}),
                              ("record_retest_overturned", {})]:
            case.advance(command, at=T0, by="m", planner=FakePlanner(), args=args)

        assert case.is_closed
        assert all(d["status"] in {"met", "cleared"} for d in case.deadlines.values())

    def test_disposal_completes_when_both_tracks_are_done(self):
        case = open_case(CaseKind.SAMPLING_DISPOSAL)
        case.advance("confirm_risk_control", at=T0, by="m", planner=FakePlanner(),
                     args={"measures": "封存、下架"})
        case.advance("complete_disposal", at=T0, by="m", planner=FakePlanner(),
                     args={"summary": "已处置"})
        assert not case.is_closed  # the re-test window is still open

        case.advance("close_retest_window", at=T0 + timedelta(days=8), by="m",
                     planner=FakePlanner())

        assert case.is_closed

    def test_a_command_missing_its_argument_is_refused(self):
        case = open_case(CaseKind.SAMPLING_DISPOSAL)

        with pytest.raises(errors.MissingArgumentError):
            case.advance("confirm_risk_control", at=T0, by="m", planner=FakePlanner())


class TestTimers:
    def test_a_warning_and_an_overdue_fire_once_each_and_escalate(self):
        case = open_case(CaseKind.COMPLAINT)
        late = T0 + timedelta(days=30)

        fired = [case.fire("acceptance", "warn", now=late, escalate_to=OFFICE),
                 case.fire("acceptance", "overdue", now=late, escalate_to=OFFICE),
                 case.fire("acceptance", "overdue", now=late, escalate_to=OFFICE)]

        assert fired == [True, True, False]
        assert new_events(case) == ["DeadlineWarned", "DeadlineOverdue"]
        assert case.deadlines["acceptance"]["escalated_to"] == OFFICE

    def test_nothing_fires_before_its_time_or_after_the_deadline_is_met(self):
        case = open_case(CaseKind.COMPLAINT)

        assert not case.fire("acceptance", "overdue", now=T0 + timedelta(days=1),
                             escalate_to=OFFICE)
        case.advance("accept_complaint", at=T0, by="m", planner=FakePlanner())
        assert not case.fire("acceptance", "overdue", now=T0 + timedelta(days=99),
                             escalate_to=OFFICE)

    def test_a_provisional_deadline_is_recomputed_once_the_year_is_known(self):
        case = open_case(CaseKind.COMPLAINT, FakePlanner(provisional=True))

        assert case.recompute("acceptance", planner=FakePlanner())
        assert not case.recompute("acceptance", planner=FakePlanner())
        assert case.deadlines["acceptance"]["provisional"] is False


def test_a_closed_case_refuses_every_command():
    case = open_case(CaseKind.KITCHEN_ALERTS)
    case.advance("record_alerts_handled", at=T0, by="m", planner=FakePlanner(),
                 args={"note": "已整改"})

    with pytest.raises(errors.CaseClosedError):
        case.advance("record_alerts_handled", at=T0, by="m", planner=FakePlanner(),
                     args={"note": "again"})


def test_replaying_the_events_rebuilds_the_same_case():
    planner = FakePlanner()
    deadlines = {n: s for n in MACHINES[CaseKind.COMPLAINT].opening_deadlines
                 if (s := planner.due(n, T0))}
    case = Case(case_id="CP-9", kind=CaseKind.COMPLAINT, opened_at=T0, fact_id="src#9",
                entity_id=None, assignment={"lead": "market-regulation"}, rule_set="test/1",
                tracks=dict(MACHINES[CaseKind.COMPLAINT].tracks), deadlines=deadlines,
                details={})
    case.advance("accept_complaint", at=T0, by="m", planner=planner)
    case.fire("mediation", "warn", now=T0 + timedelta(days=44), escalate_to=OFFICE)

    replayed = None
    for stored in case.collect_events():
        replayed = stored.mutate(replayed)

    assert isinstance(replayed, Case)
    assert (replayed.tracks, replayed.deadlines, replayed.version) == (
        case.tracks, case.deadlines, case.version)
