"""Deadlines (时限): working days, calendar days, hours, pauses, extensions, warning, provisional.

Holiday dates are the real 2024 arrangement (gov.cn/zhengce/content/202310/content_6911527.htm),
checked against chinese-calendar 1.11.0: 春节 off Feb 10-17, Sun Feb 4 and Sun Feb 18 worked;
劳动节 off May 1-5, Sat May 11 worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.workflow.domain.calendar import WorkingCalendar, end_of_day, local_date
from services.workflow.domain.deadlines import Budget, Due, Pause, compute_due

CST = timezone(timedelta(hours=8))
WARN = 0.8


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


def due_day(due: Due) -> date:
    assert due.at is not None
    return local_date(due.at)


def wd(amount: int) -> Budget:
    return Budget(amount, "working_days")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


class TestWorkingDayBudgets:
    def test_ends_at_the_end_of_the_nth_working_day_after_the_start_day(self, calendar):
        due = compute_due(calendar, at(2024, 2, 9, 10), wd(7), warn_fraction=WARN)
        assert due.at == end_of_day(date(2024, 2, 26))
        assert not due.provisional
        assert not due.suspended

    def test_is_provisional_when_it_runs_into_a_year_without_data(self, calendar):
        due = compute_due(calendar, at(2026, 12, 21, 10), wd(15), warn_fraction=WARN)
        assert due_day(due) == date(2027, 1, 11)  # Mon-Fri only in 2027
        assert due.provisional


class TestCalendarDayBudgets:
    def test_ends_at_the_end_of_the_nth_day(self, calendar):
        due = compute_due(
            calendar, at(2024, 1, 15, 10), Budget(30, "calendar_days"), warn_fraction=WARN
        )
        assert due.at == end_of_day(date(2024, 2, 14))  # inside the 春节 break, not moved

    def test_rolls_over_to_the_next_working_day_when_the_rule_says_so(self, calendar):
        budget = Budget(30, "calendar_days", roll_to_working_day=True)
        due = compute_due(calendar, at(2024, 1, 15, 10), budget, warn_fraction=WARN)
        assert due.at == end_of_day(date(2024, 2, 18))  # Sunday 调休, the first working day

    def test_rolls_a_sunday_over_to_monday(self, calendar):
        budget = Budget(30, "calendar_days", roll_to_working_day=True)
        due = compute_due(calendar, at(2024, 3, 1, 10), budget, warn_fraction=WARN)
        assert due_day(due) == date(2024, 4, 1)  # Mar 31 is a Sunday

    def test_does_not_move_a_deadline_that_ends_on_a_working_day(self, calendar):
        budget = Budget(30, "calendar_days", roll_to_working_day=True)
        due = compute_due(calendar, at(2024, 3, 4, 10), budget, warn_fraction=WARN)
        assert due.at == end_of_day(date(2024, 4, 3))
        assert due.warn_at == end_of_day(date(2024, 3, 28))  # day 24, never rolled

    def test_roll_over_into_a_year_without_data_is_provisional(self, calendar):
        budget = Budget(90, "calendar_days", roll_to_working_day=True)
        due = compute_due(calendar, at(2026, 10, 5, 10), budget, warn_fraction=WARN)
        assert due_day(due) == date(2027, 1, 4)  # Jan 3 2027 is a Sunday
        assert due.provisional


class TestHourBudgets:
    def test_is_exact_and_ignores_holidays(self, calendar):
        due = compute_due(calendar, at(2024, 2, 9, 10), Budget(24, "hours"), warn_fraction=WARN)
        assert due.at == at(2024, 2, 10, 10)
        assert due.warn_at == at(2024, 2, 10, 5, 12)  # 19.2 hours
        assert not due.provisional

    def test_a_utc_start_gives_the_same_instant(self, calendar):
        start = datetime(2024, 2, 9, 2, tzinfo=UTC)
        due = compute_due(calendar, start, Budget(48, "hours"), warn_fraction=WARN)
        assert due.at == at(2024, 2, 11, 10)


class TestPauses:
    def test_closed_pause_extends_by_the_working_days_it_covered(self, calendar):
        # given mediation accepted on Friday 2024-03-01 and testing from Tue 5 to Fri 8 March
        testing = Pause(at(2024, 3, 5, 9), at(2024, 3, 8, 17), kind="testing")
        # when the 45 working-day limit is computed
        due = compute_due(
            calendar, at(2024, 3, 1, 15), wd(45), pauses=[testing], warn_fraction=WARN
        )
        # then the Wed, Thu and Fri of the pause are not counted: 48 working days in all
        assert due.at == calendar.add_working_days(at(2024, 3, 1, 15), 48).at
        assert due_day(due) == date(2024, 5, 11)  # Saturday 调休 after 劳动节

    def test_pause_within_one_day_extends_nothing(self, calendar):
        pause = Pause(at(2024, 3, 5, 9), at(2024, 3, 5, 17))
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(7), pauses=[pause], warn_fraction=WARN)
        assert due.at == compute_due(calendar, at(2024, 3, 1, 15), wd(7), warn_fraction=WARN).at

    def test_open_pause_suspends_the_deadline(self, calendar):
        pause = Pause(at(2024, 3, 5, 9))
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(45), pauses=[pause], warn_fraction=WARN)
        assert due == Due(at=None, provisional=False, warn_at=None, suspended=True)
        assert not due.is_overdue(at(2030, 1, 1))

    def test_pause_after_the_deadline_changes_nothing(self, calendar):
        late = [Pause(at(2024, 3, 20, 9), at(2024, 3, 25, 9)), Pause(at(2024, 3, 26, 9))]
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(7), pauses=late, warn_fraction=WARN)
        assert due.at == end_of_day(date(2024, 3, 12))
        assert not due.suspended

    def test_overlapping_pauses_are_counted_once(self, calendar):
        pauses = [
            Pause(at(2024, 3, 5, 9), at(2024, 3, 7, 9)),
            Pause(at(2024, 3, 6, 9), at(2024, 3, 8, 9)),
        ]
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(7), pauses=pauses, warn_fraction=WARN)
        assert due.at == calendar.add_working_days(at(2024, 3, 1, 15), 10).at

    def test_pause_before_the_start_is_cut_at_the_start(self, calendar):
        pause = Pause(at(2024, 2, 20, 9), at(2024, 3, 5, 9))
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(7), pauses=[pause], warn_fraction=WARN)
        assert due.at == calendar.add_working_days(at(2024, 3, 1, 15), 9).at  # Mar 4, 5 paused

    def test_hour_budget_is_extended_by_the_exact_pause(self, calendar):
        pause = Pause(at(2024, 2, 9, 12), at(2024, 2, 9, 14, 30))
        due = compute_due(
            calendar, at(2024, 2, 9, 10), Budget(24, "hours"), pauses=[pause], warn_fraction=WARN
        )
        assert due.at == at(2024, 2, 10, 12, 30)

    def test_calendar_day_budget_is_extended_by_the_days_covered(self, calendar):
        pause = Pause(at(2024, 3, 5, 9), at(2024, 3, 15, 9))
        budget = Budget(30, "calendar_days")
        due = compute_due(calendar, at(2024, 3, 1, 15), budget, pauses=[pause], warn_fraction=WARN)
        assert due.at == end_of_day(date(2024, 4, 10))

    def test_refuses_a_pause_that_ends_before_it_starts(self):
        with pytest.raises(ValueError, match="before it starts"):
            Pause(at(2024, 3, 5, 9), at(2024, 3, 4, 9))


class TestExtensions:
    def test_adds_the_extension_to_the_budget(self, calendar):
        due = compute_due(
            calendar, at(2024, 3, 1, 15), wd(15), extensions=[wd(15)], warn_fraction=WARN
        )
        assert due.at == calendar.add_working_days(at(2024, 3, 1, 15), 30).at
        assert due.warn_at == calendar.add_working_days(at(2024, 3, 1, 15), 24).at

    def test_refuses_an_extension_in_another_unit(self, calendar):
        with pytest.raises(ValueError, match="cannot extend"):
            compute_due(
                calendar,
                at(2024, 3, 1),
                wd(15),
                extensions=[Budget(30, "calendar_days")],
                warn_fraction=WARN,
            )


class TestWarning:
    @pytest.mark.parametrize(("amount", "warn_day"), [(7, 6), (45, 36), (5, 4), (15, 12), (1, 1)])
    def test_warns_at_the_end_of_working_day_ceil_fraction_of_n(self, calendar, amount, warn_day):
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(amount), warn_fraction=WARN)
        assert due.warn_at == calendar.add_working_days(at(2024, 3, 1, 15), warn_day).at

    def test_fraction_is_exact_not_floating_point(self, calendar):
        # 0.7 * 10 is 7.000000000000001 in floating point; the warning must still be day 7
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(10), warn_fraction=0.7)
        assert due.warn_at == calendar.add_working_days(at(2024, 3, 1, 15), 7).at

    def test_pause_before_the_warning_moves_it(self, calendar):
        pause = Pause(at(2024, 3, 4, 9), at(2024, 3, 6, 9))
        due = compute_due(calendar, at(2024, 3, 1, 15), wd(10), pauses=[pause], warn_fraction=WARN)
        assert due.warn_at == calendar.add_working_days(at(2024, 3, 1, 15), 10).at

    def test_refuses_a_fraction_outside_zero_to_one(self, calendar):
        with pytest.raises(ValueError, match="warn_fraction"):
            compute_due(calendar, at(2024, 3, 1), wd(7), warn_fraction=1.5)

    def test_due_tells_warning_and_overdue_times(self, calendar):
        due = compute_due(calendar, at(2024, 2, 9, 10), wd(7), warn_fraction=WARN)
        assert not due.is_warning(at(2024, 2, 23, 23))
        assert due.is_warning(at(2024, 2, 24, 0))
        assert not due.is_overdue(at(2024, 2, 26, 23, 59))
        assert due.is_overdue(at(2024, 2, 27, 0))


class TestBudget:
    @pytest.mark.parametrize(
        ("amount", "unit", "roll", "message"),
        [
            (7, "weeks", False, "unknown unit"),
            (-1, "working_days", False, "at least 0"),
            (True, "working_days", False, "whole number"),
            (24, "hours", True, "only calendar-day"),
        ],
    )
    def test_refuses_an_invalid_budget(self, amount, unit, roll, message):
        with pytest.raises(ValueError, match=message):
            Budget(amount, unit, roll)

    def test_refuses_a_start_without_offset(self, calendar):
        with pytest.raises(ValueError, match="offset"):
            compute_due(calendar, datetime(2024, 3, 1), wd(7), warn_fraction=WARN)
