"""Rule sets (规则集): chosen by the fact's date, sourced, and checked when loaded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from services.workflow.domain.calendar import WorkingCalendar, end_of_day
from services.workflow.domain.deadlines import Budget, Pause, compute_due
from services.workflow.domain.ruleitems import Confidence, RuleDataError
from services.workflow.domain.rulesets import NoRuleSetError, UnknownRuleError, load_rulebook
from services.workflow.rules.rulebook_loader import load_default_rulebook

CST = timezone(timedelta(hours=8))
ORDER_20 = "complaints/samr-order-20-2022"
ORDER_121 = "complaints/samr-order-121-2025"


@pytest.fixture(scope="module")
def book():
    return load_default_rulebook()


def version(set_id: str, start: str, until: str | None, **sections: object) -> dict[str, object]:
    return {
        "id": set_id,
        "effective_from": start,
        "effective_until": until,
        "source": "test",
        "confidence": "R",
        **sections,
    }


def rule_file(*versions: dict[str, object], topic: str = "demo") -> dict[str, str]:
    doc = {"format_version": 1, "topic": topic, "versions": list(versions)}
    return {f"{topic}.json": json.dumps(doc)}


def limit(**changes: object) -> dict[str, object]:
    return {
        "amount": 7,
        "unit": "working_days",
        "starts": "receipt",
        "source": "test",
        "confidence": "R",
        **changes,
    }


class TestChoiceByDate:
    def test_order_20_applies_up_to_2026_04_14(self, book):
        assert book.for_("complaints", date(2026, 4, 14)).id == ORDER_20
        assert book.for_("complaints", date(2022, 6, 1)).confidence is Confidence.VERIFIED

    def test_order_121_applies_from_2026_04_15_and_is_unconfirmed(self, book):
        rules = book.for_("complaints", date(2026, 4, 15))
        assert rules.id == ORDER_121
        assert rules.effective_from == date(2026, 4, 15)
        assert rules.confidence is not Confidence.VERIFIED
        assert all(rule.provenance.is_policy for rule in rules.deadlines.values())
        assert "UNCONFIRMED" in rules.provenance.note

    def test_a_time_is_placed_by_its_china_date(self, book):
        # 2026-04-14T16:30Z is 00:30 on 15 April in China
        moment = datetime(2026, 4, 14, 16, 30, tzinfo=UTC)
        assert book.for_("complaints", moment).id == ORDER_121

    def test_reports_switch_on_the_same_day(self, book):
        assert book.for_("reports", date(2026, 4, 14)).id == "reports/samr-order-20-2022"
        assert book.for_("reports", date(2026, 4, 15)).id == "reports/samr-order-121-2025"

    def test_the_reported_recall_revision_shortens_the_level_3_start(self, book):
        before = book.for_("recall", date(2026, 1, 31))
        after = book.for_("recall", date(2026, 2, 1))
        assert before.deadline("recall_start_level_3") == Budget(72, "hours")
        assert after.deadline("recall_start_level_3") == Budget(48, "hours")
        assert after.confidence is Confidence.RECALLED

    def test_no_rule_set_before_the_first_version(self, book):
        with pytest.raises(NoRuleSetError, match="in force on 2019-12-31"):
            book.for_("complaints", date(2019, 12, 31))

    def test_unknown_topic_names_the_known_ones(self, book):
        with pytest.raises(NoRuleSetError, match="complaints"):
            book.for_("weather", date(2024, 1, 1))

    def test_a_case_finds_its_recorded_rule_set_by_id(self, book):
        assert book.by_id(ORDER_20).topic == "complaints"
        with pytest.raises(NoRuleSetError):
            book.by_id("complaints/nope")


class TestRuleContent:
    def test_order_20_complaint_limits(self, book):
        rules = book.for_("complaints", date(2024, 5, 1))
        assert rules.deadline("acceptance") == Budget(7, "working_days")
        assert rules.deadline("mediation") == Budget(45, "working_days")
        assert rules.deadline("termination_notice") == Budget(7, "working_days")
        assert "testing" in rules.deadline_rule("mediation").excludes

    def test_refusal_and_termination_reasons(self, book):
        old = book.for_("complaints", date(2024, 5, 1))
        new = book.for_("complaints", date(2026, 5, 1))
        assert len(old.code_list("refusal_reasons").codes) == 6
        assert len(old.code_list("termination_reasons").codes) == 7
        assert len(new.code_list("refusal_reasons").codes) == 7
        assert new.codes("refusal_reasons") - old.codes("refusal_reasons") == {
            "identity_not_verified"
        }
        assert {"outside_duties", "over_three_years"} <= old.codes("refusal_reasons")
        assert {"withdrawn", "no_agreement_45_wd"} <= old.codes("termination_reasons")

    def test_only_the_excluded_pause_kinds_stop_the_clock(self, book):
        mediation = book.for_("complaints", date(2024, 5, 1)).deadline_rule("mediation")
        start = datetime(2024, 3, 1, 9, tzinfo=CST)
        testing = Pause(start, start + timedelta(days=3), kind="testing")
        holiday = Pause(start, start + timedelta(days=3), kind="staff_leave")
        assert mediation.counted_pauses([testing, holiday]) == (testing,)

    def test_standard_extensions(self, book):
        verification = book.for_("reports", date(2024, 5, 1)).deadline_rule("verification")
        assert verification.extensions(1) == (Budget(15, "working_days"),)
        assert verification.extensions(0) == ()
        acceptance = book.for_("complaints", date(2024, 5, 1)).deadline_rule("acceptance")
        with pytest.raises(ValueError, match="no extension"):
            acceptance.extensions(1)

    def test_numbers_dates_and_escalation(self, book):
        assert book.for_("escalation", date(2024, 5, 1)).number("warn_fraction") == 0.8
        assert book.for_("kitchen", date(2024, 5, 1)).number("alerts_per_day_threshold") == 3
        summary = book.for_("annual_summary", date(2023, 1, 1))
        assert summary.annual_date("summary_due", 2023) == date(2023, 12, 2)
        escalation = book.for_("escalation", date(2024, 5, 1))
        assert escalation.codes("overdue_escalation") == {"district-food-safety-office"}

    def test_publication_limit_exists_only_under_order_49(self, book):
        assert book.for_("inspection", date(2022, 3, 15)).deadline("publication") == Budget(
            20, "working_days"
        )
        with pytest.raises(UnknownRuleError, match="publication"):
            book.for_("inspection", date(2022, 3, 14)).deadline("publication")

    def test_calendar_day_limits_roll_over_per_rule_data(self, book):
        assert book.for_("sampling", date(2024, 5, 1)).deadline("disposal").roll_to_working_day

    def test_a_rule_set_and_the_calendar_give_a_complaint_deadline(self, book):
        # given a complaint received on Friday 2024-02-09, before the 2024 春节 break
        rules = book.for_("complaints", date(2024, 2, 9))
        escalation = book.for_("escalation", date(2024, 2, 9))
        # when the acceptance deadline is computed
        due = compute_due(
            WorkingCalendar(),
            datetime(2024, 2, 9, 10, tzinfo=CST),
            rules.deadline("acceptance"),
            warn_fraction=float(escalation.number("warn_fraction")),
        )
        # then it falls at the end of Monday 2024-02-26
        assert due.at == end_of_day(date(2024, 2, 26))


class TestProvenance:
    def test_every_rule_carries_a_source(self, book):
        for topic in book.topics():
            for rules in book.versions(topic):
                for key, provenance in rules.provenances().items():
                    assert provenance.source.strip(), f"{rules.id} {key}"

    def test_every_unverified_rule_is_policy(self, book):
        unverified = [
            (rules.id, key)
            for topic in book.topics()
            for rules in book.versions(topic)
            for key, provenance in rules.provenances().items()
            if provenance.confidence is not Confidence.VERIFIED
        ]
        assert unverified
        for set_id, key in unverified:
            assert book.by_id(set_id).provenances()[key].is_policy

    def test_versions_of_every_topic_follow_each_other_without_gap(self, book):
        for topic in book.topics():
            versions = book.versions(topic)
            assert versions[-1].effective_until is None, topic
            for earlier, later in pairwise(versions):
                assert earlier.effective_until + timedelta(days=1) == later.effective_from


class TestValidation:
    def test_accepts_a_minimal_book(self):
        book = load_rulebook(
            rule_file(version("demo/a", "2020-01-01", None, deadlines={"x": limit()}))
        )
        assert book.for_("demo", date(2030, 1, 1)).deadline("x") == Budget(7, "working_days")

    def test_refuses_overlapping_versions(self):
        texts = rule_file(
            version("demo/a", "2020-01-01", "2021-06-30"),
            version("demo/b", "2021-06-01", None),
        )
        with pytest.raises(RuleDataError, match="overlaps"):
            load_rulebook(texts)

    def test_refuses_an_open_ended_version_followed_by_another(self):
        texts = rule_file(
            version("demo/a", "2020-01-01", None), version("demo/b", "2021-01-01", None)
        )
        with pytest.raises(RuleDataError, match="overlaps"):
            load_rulebook(texts)

    def test_refuses_a_gap_between_versions(self):
        texts = rule_file(
            version("demo/a", "2020-01-01", "2020-12-30"),
            version("demo/b", "2021-01-01", None),
        )
        with pytest.raises(RuleDataError, match="gap"):
            load_rulebook(texts)

    @pytest.mark.parametrize(
        ("item", "message"),
        [
            (limit(unit="weeks"), "unknown unit"),
            (limit(amount=-3), "at least 0"),
            (limit(source=""), "'source' is required"),
            (limit(confidence="X"), "confidence"),
            (limit(roll_to_working_day=True), "only calendar-day"),
            (limit(excludes="testing"), "excludes"),
            (limit(extension={"amount": 5, "unit": "fortnights"}), "unknown unit"),
            (limit(colour="red"), "unknown fields"),
        ],
    )
    def test_refuses_a_bad_time_limit(self, item, message):
        texts = rule_file(version("demo/a", "2020-01-01", None, deadlines={"x": item}))
        with pytest.raises(RuleDataError, match=message):
            load_rulebook(texts)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (version("other/a", "2020-01-01", None), "must start with 'demo/'"),
            (version("demo/a", "2020-02-30", None), "not a date"),
            (version("demo/a", "2021-01-01", "2020-01-01"), "before effective_from"),
            ({**version("demo/a", "2020-01-01", None), "source": " "}, "'source' is required"),
            (version("demo/a", "2020-01-01", None, lists={"l": {"items": []}}), "non-empty"),
            (version("demo/a", "2020-01-01", None, numbers={"n": {"value": "3"}}), "number"),
        ],
    )
    def test_refuses_a_bad_version(self, raw, message):
        with pytest.raises(RuleDataError, match=message):
            load_rulebook(rule_file(raw))

    def test_refuses_the_same_id_twice(self):
        texts = {
            **rule_file(version("demo/a", "2020-01-01", None)),
            **rule_file(version("other/a", "2020-01-01", None), topic="other"),
            "copy.json": json.dumps(
                {
                    "format_version": 1,
                    "topic": "demo",
                    "versions": [version("demo/a", "2019-01-01", "2019-12-31")],
                }
            ),
        }
        with pytest.raises(RuleDataError, match="used twice"):
            load_rulebook(texts)

    def test_refuses_text_that_is_not_json(self):
        with pytest.raises(RuleDataError, match=r"bad\.json: not JSON"):
            load_rulebook({"bad.json": "{"})
