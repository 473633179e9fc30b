"""The working calendar (工作日历) on real 2024-2026 holidays and 调休 days.

Every date below was checked against chinese-calendar 1.11.0 before it was asserted. Sources of the
arrangements (the State Council General Office's yearly notices):
- 2024: gov.cn/zhengce/content/202310/content_6911527.htm
- 2025: gov.cn/zhengce/content/202411/content_6986382.htm (13 statutory days from 2025)
- 2026: notice of 2025-11-04 (Xinhua copy politics.gmw.cn/2025-11/04/content_38391083.htm)
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from services.workflow.domain.calendar import (
    SHANGHAI,
    CalendarDataError,
    WorkingCalendar,
    YearCalendar,
    end_of_day,
    local_date,
    parse_year_file,
)
from services.workflow.rules.rulebook_loader import load_year_files

CST = timezone(timedelta(hours=8))

# A made-up 2027 arrangement for tests only: the State Council has not published 2027's notice.
FIXTURE_2027 = {
    "format_version": 1,
    "year": 2027,
    "notice": "",
    "source": "test fixture (not the real 2027 notice)",
    "holidays": [
        {"name": "元旦", "date": "2027-01-01"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-12"},
    ],
    "adjusted_workdays": ["2026-12-26", "2027-02-13"],
}


def year_file(**changes: object) -> str:
    return json.dumps({**FIXTURE_2027, **changes})


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


class TestRealHolidays:
    @pytest.mark.parametrize(
        "day",
        [
            date(2024, 2, 4),  # Sun, 2024 春节 调休
            date(2024, 2, 18),  # Sun, 2024 春节 调休
            date(2025, 1, 26),  # Sun, 2025 春节 调休
            date(2025, 2, 8),  # Sat, 2025 春节 调休
            date(2025, 9, 28),  # Sun, 2025 国庆 调休
            date(2025, 10, 11),  # Sat, 2025 国庆 调休
            date(2026, 1, 4),  # Sun, 2026 元旦 调休
            date(2026, 2, 14),  # Sat, 2026 春节 调休
            date(2026, 2, 28),  # Sat, 2026 春节 调休
            date(2026, 5, 9),  # Sat, 2026 劳动节 调休
            date(2026, 9, 20),  # Sun, 2026 国庆 调休
            date(2026, 10, 10),  # Sat, 2026 国庆 调休
        ],
    )
    def test_adjusted_weekend_days_are_working_days(self, calendar, day):
        assert day.weekday() >= 5
        assert calendar.is_working_day(day)

    @pytest.mark.parametrize(
        ("first", "last"),
        [
            (date(2024, 2, 10), date(2024, 2, 17)),  # 2024 春节
            (date(2025, 1, 28), date(2025, 2, 4)),  # 2025 春节 (4 statutory days from 2025)
            (date(2025, 10, 1), date(2025, 10, 8)),  # 2025 国庆 + 中秋
            (date(2026, 1, 1), date(2026, 1, 3)),  # 2026 元旦
            (date(2026, 2, 15), date(2026, 2, 23)),  # 2026 春节
            (date(2026, 5, 1), date(2026, 5, 5)),  # 2026 劳动节
            (date(2026, 10, 1), date(2026, 10, 7)),  # 2026 国庆
        ],
    )
    def test_every_day_of_a_holiday_is_a_rest_day(self, calendar, first, last):
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        assert not any(calendar.is_working_day(day) for day in days)

    @pytest.mark.parametrize(
        "day", [date(2024, 2, 9), date(2024, 2, 19), date(2025, 2, 5), date(2025, 10, 9)]
    )
    def test_weekdays_around_a_holiday_are_working_days(self, calendar, day):
        assert calendar.is_working_day(day)

    def test_packaged_2026_file_agrees_with_chinese_calendar_every_day(self):
        packaged = WorkingCalendar(load_year_files(), library=False)
        days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
        differ = [d for d in days if packaged.is_working_day(d) != chinese_calendar.is_workday(d)]
        assert packaged.knows(2026)
        assert differ == []


class TestAddWorkingDays:
    def test_seven_working_days_from_the_friday_before_spring_festival(self, calendar):
        # given a complaint received on Friday 2024-02-09, the eve of the 春节 break (Feb 10-17)
        # when 7 working days are counted (Feb 18 Sun 调休, 19, 20, 21, 22, 23, then Mon 26)
        due = calendar.add_working_days(at(2024, 2, 9, 16, 30), 7)
        # then the limit ends at the very end of Monday 2024-02-26, China time
        assert due.at == datetime(2024, 2, 26, 23, 59, 59, 999999, tzinfo=CST)
        assert due.at.utcoffset() == timedelta(hours=8)
        assert not due.provisional

    def test_seven_working_days_across_national_day_2025(self, calendar):
        # Sep 28 Sun 调休, 29, 30, (Oct 1-8 off), 9, 10, 11 Sat 调休, 13
        due = calendar.add_working_days(at(2025, 9, 26, 9), 7)
        assert local_date(due.at) == date(2025, 10, 13)

    def test_start_on_a_rest_day_counts_from_the_next_working_day(self, calendar):
        due = calendar.add_working_days(at(2024, 2, 10, 12), 1)
        assert local_date(due.at) == date(2024, 2, 18)

    def test_start_day_is_the_china_date_of_a_utc_time(self, calendar):
        # 2024-02-08T20:00Z is 04:00 on Friday 2024-02-09 in China
        due = calendar.add_working_days(datetime(2024, 2, 8, 20, tzinfo=UTC), 7)
        assert local_date(due.at) == date(2024, 2, 26)

    def test_zero_working_days_ends_with_the_start_day(self, calendar):
        assert calendar.add_working_days(at(2024, 2, 10, 8), 0).at == end_of_day(date(2024, 2, 10))

    def test_refuses_a_negative_count(self, calendar):
        with pytest.raises(ValueError, match="count back"):
            calendar.add_working_days(at(2024, 2, 9), -1)

    def test_refuses_a_time_without_offset(self, calendar):
        with pytest.raises(ValueError, match="offset"):
            calendar.add_working_days(datetime(2024, 2, 9, 10), 1)


class TestWorkingDaysBetween:
    def test_counts_days_after_the_first_up_to_and_including_the_last(self, calendar):
        assert calendar.working_days_between(date(2024, 2, 9), date(2024, 2, 26)) == 7

    def test_is_negative_backwards_and_zero_on_the_same_day(self, calendar):
        assert calendar.working_days_between(date(2024, 2, 26), date(2024, 2, 9)) == -7
        assert calendar.working_days_between(date(2024, 2, 9), date(2024, 2, 9)) == 0


class TestYearsWithoutData:
    def test_unknown_year_counts_monday_to_friday_and_is_provisional(self, calendar):
        assert not calendar.knows(2027)
        assert calendar.is_working_day(date(2027, 1, 1))  # a Friday, presumably 元旦
        due = calendar.add_working_days(at(2026, 12, 31, 10), 1)
        assert local_date(due.at) == date(2027, 1, 1)
        assert due.provisional

    def test_count_inside_a_known_year_is_not_provisional(self, calendar):
        assert not calendar.add_working_days(at(2026, 12, 1, 10), 5).provisional

    def test_loading_a_year_file_changes_the_result_and_clears_provisional(self, calendar):
        # given the 2027 arrangement (a test fixture) is loaded
        calendar.load_year(parse_year_file(year_file()))
        # when one working day is counted from the last day of 2026
        due = calendar.add_working_days(at(2026, 12, 31, 10), 1)
        # then 元旦 is skipped and the result is final
        assert calendar.knows(2027)
        assert local_date(due.at) == date(2027, 1, 4)
        assert not due.provisional
        assert calendar.is_working_day(date(2027, 2, 13))  # a Saturday 调休

    def test_a_year_file_may_name_days_of_the_previous_december(self, calendar):
        assert not calendar.is_working_day(date(2026, 12, 26))  # Saturday
        calendar.load_year(parse_year_file(year_file()))
        assert calendar.is_working_day(date(2026, 12, 26))

    def test_loaded_data_wins_over_chinese_calendar(self, calendar):
        assert calendar.is_working_day(date(2026, 3, 2))
        changed = year_file(
            year=2026,
            holidays=[{"name": "test", "date": "2026-03-02"}],
            adjusted_workdays=[],
        )
        calendar.load_year(parse_year_file(changed))
        assert not calendar.is_working_day(date(2026, 3, 2))
        # the file replaces the library for the whole year: 春节 Monday 2026-02-16, absent from
        # this file, is then a plain Monday
        assert calendar.is_working_day(date(2026, 2, 16))

    def test_without_the_library_only_loaded_years_are_known(self):
        calendar = WorkingCalendar(library=False)
        assert not calendar.knows(2024)
        assert calendar.is_working_day(date(2024, 2, 12))  # Monday of 春节, weekday rule


class TestYearFiles:
    def test_parses_ranges_single_days_and_adjusted_workdays(self):
        year = parse_year_file(year_file())
        assert isinstance(year, YearCalendar)
        assert year.year == 2027
        assert date(2027, 2, 9) in year.rest_days()
        assert year.adjusted_workdays == (date(2026, 12, 26), date(2027, 2, 13))

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"source": ""}, "source"),
            ({"format_version": 2}, "format_version"),
            ({"adjusted_workdays": ["2027-02-15"]}, "not a weekend day"),
            ({"adjusted_workdays": ["2027-02-06"]}, "both a holiday and a working day"),
            ({"holidays": [{"name": "x", "date": "2025-12-01"}]}, "outside"),
            (
                {"holidays": [{"name": "x", "from": "2027-02-10", "to": "2027-02-01"}]},
                "ends before",
            ),
            ({"holidays": [{"name": "x", "date": "2027/01/01"}]}, "not a date"),
            ({"holidays": [{"date": "2027-01-01"}]}, "name"),
            ({"holidays": "2027-01-01"}, "must be a list"),
        ],
    )
    def test_refuses_a_broken_year_file(self, changes, message):
        with pytest.raises(CalendarDataError, match=message):
            parse_year_file(year_file(**changes))

    def test_refuses_text_that_is_not_json(self):
        with pytest.raises(CalendarDataError, match="not JSON"):
            parse_year_file("{")


def test_china_time_is_utc_plus_eight():
    assert datetime(2026, 7, 1, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)
