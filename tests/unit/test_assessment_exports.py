"""Assessment exports: CSV columns, JSON, and the bulletin (通报) in Markdown and HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from services.projections.assessment import COLUMNS, InvalidPeriodError, parse_period
from services.projections.assessment.config import default_config
from services.projections.assessment.exports import (
    build_bulletin,
    bulletin_html,
    bulletin_markdown,
    to_csv,
    to_json,
)
from services.projections.assessment.figures import COUNT_COLUMNS, RATES

NOW = datetime(2025, 1, 10, 2, tzinfo=UTC)
EVIL = '<script>alert("x")</script> & 区'


def table_row(key: str, name: str, **figures: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"period": "2024", "by": "unit", "key": key, "name": name,
                           **dict.fromkeys(COUNT_COLUMNS, 0), **dict.fromkeys(RATES),
                           "score": None}
    row.update(figures)
    return row


class FakeReader:
    """Canned figures in the shape the store's queries return."""

    config = default_config()

    def __init__(self, coverage: float = 0.75) -> None:
        self.coverage = coverage
        self.asked: dict[str, Any] = {}

    def table(self, period: Any, by: Any, *, scope: Any = None, now: Any = None) -> list[Any]:
        return [table_row(EVIL, EVIL)]

    def totals(self, period: Any, *, scope: Any = None, now: Any = None) -> dict[str, Any]:
        return table_row("district", "全区", cases_opened=12, cases_closed=10,
                         cases_closed_on_time=9, closed_on_time_rate=0.75, cases_overdue=2,
                         overdue_rate=0.1667, complaints=4, complaints_on_time=3,
                         complaints_on_time_rate=0.75, samples=40, samples_unqualified=3,
                         unqualified_rate=0.075, disposals=3, disposals_on_time=2,
                         disposals_on_time_rate=0.6667, graded_entities=5,
                         graded_inspected_enough=4, inspection_coverage=0.8, summaries_due=13,
                         summaries_on_time=11, summaries_on_time_rate=0.8462)

    def canteen_coverage(self, year: int, *, scope: Any = None,
                         until: date | None = None) -> dict[str, Any]:
        self.asked["until"] = until
        return {"year": year, "until": until and until.isoformat(), "target": 0.9, "aim": 1.0,
                "registered": 4, "sampled": 3, "coverage": self.coverage,
                "meets_target": self.coverage >= 0.9, "meets_aim": False, "to_reach_target": 1,
                "townships": [{"township": "午朝门街道<b>", "registered": 4, "sampled": 3,
                               "coverage": self.coverage, "meets_target": False}]}

    def summaries(self, year: int, *, now: Any = None) -> list[dict[str, Any]]:
        base = {"year": year, "title": "实施校园食品安全守护行动", "lead": "market-regulation",
                "lead_name": "区市场监管局", "due_at": "2024-12-02T23:59:59.999999+08:00"}
        return [{**base, "action": 9, "status": "late", "days_late": 3,
                 "submitted_at": "2024-12-05T10:00:00+08:00"},
                {**base, "action": 13, "status": "missing", "submitted_at": None,
                 "days_late": None, "lead_name": "区食品安全办"},
                {**base, "action": 5, "status": "on_time", "submitted_at": "2024-11-01",
                 "days_late": None}]

    def ranking(self, year: Any, *, now: Any = None) -> list[dict[str, Any]]:
        parts = dict.fromkeys(self.config.weights.components, 0.5)
        return [{"rank": 1, "unit": "township:北郊乡", "name": "北郊乡", "score": 86.11,
                 "components": parts},
                {"rank": 2, "unit": "x", "name": EVIL, "score": 50.0, "components": parts}]


def test_csv_has_the_table_columns_in_order_and_empty_cells_for_none():
    rows = [table_row("market-regulation", "区市场监管局", cases_opened=5,
                      closed_on_time_rate=0.4, score=50.92)]

    parsed = list(csv.reader(io.StringIO(to_csv(rows))))

    assert parsed[0] == list(COLUMNS)
    assert COLUMNS[:4] == ("period", "by", "key", "name")
    assert COLUMNS[-1] == "score"
    record = dict(zip(parsed[0], parsed[1], strict=True))
    assert (record["name"], record["cases_opened"], record["closed_on_time_rate"],
            record["canteen_coverage"], record["score"]) == (
        "区市场监管局", "5", "0.4", "", "50.92")


def test_csv_quotes_commas_quotes_and_newlines_and_ignores_extra_keys():
    text = to_csv([{**table_row("k", 'a,"b"\nc'), "unexpected": 1}])

    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][3] == 'a,"b"\nc'
    assert "unexpected" not in text


def test_json_keeps_chinese_readable():
    assert json.loads(to_json({"name": "北郊乡", "on": date(2024, 1, 1)})) == {
        "name": "北郊乡", "on": "2024-01-01"}
    assert "北郊乡" in to_json(["北郊乡"])


def test_markdown_bulletin_gives_key_figures_coverage_ranking_and_late_summaries():
    text = bulletin_markdown(build_bulletin(FakeReader(), "2024", now=NOW))

    assert text.startswith("# 龙亭区食品安全放心工程建设攻坚行动评议考核通报（2024年）")
    assert "| 按期办结 | 9 / 12（75.0%） |" in text
    assert "| 不合格批次（不合格率） | 3（7.5%） |" in text
    assert "覆盖率 75.0%；目标不低于 90%、力争 100%：未达标，距目标尚需抽检 1 家" in text
    assert "| 1 | 北郊乡 | 86.11 |" in text
    assert "| 9. 实施校园食品安全守护行动 | 区市场监管局 | 2024-12-02 | 2024-12-05 | 3 |" in text
    assert "| 13. 实施校园食品安全守护行动 | 区食品安全办 | 2024-12-02 |" in text
    assert "5. 实施" not in text  # on time: not listed
    assert "权重" in text


def test_markdown_table_cells_cannot_break_the_table():
    text = bulletin_markdown(build_bulletin(FakeReader(), "2024", now=NOW))

    assert "| 午朝门街道<b> |" in text  # Markdown is text; pipes are what would break it

    class PipeReader(FakeReader):
        def ranking(self, year: Any, *, now: Any = None) -> list[dict[str, Any]]:
            return [{"rank": 1, "unit": "u", "name": "a|b", "score": 1.0, "components": {}}]

    text = bulletin_markdown(build_bulletin(PipeReader(), "2024", now=NOW))
    assert "| 1 | a\\|b | 1.00 |" in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_bulletin_escapes_every_text_and_loads_nothing_from_outside():
    page = bulletin_html(build_bulletin(FakeReader(), "2024-Q2", now=NOW))
    parsed = _Collector()
    parsed.feed(page)

    assert not {"script", "b"} & set(parsed.tags)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 区" in page
    assert EVIL in "".join(parsed.text)
    assert not {"link", "img", "iframe"} & set(parsed.tags)
    assert not any(name in {"src", "href"} for name, _ in parsed.attrs)
    assert "http" not in page
    assert '<html lang="zh-CN">' in page
    assert "2024年第二季度" in page


def test_html_bulletin_draws_the_coverage_against_the_90_percent_line():
    below = bulletin_html(build_bulletin(FakeReader(0.75), "2024", now=NOW))
    above = bulletin_html(build_bulletin(FakeReader(0.95), "2024", now=NOW))

    assert 'class="fill below" style="width:75.0%"' in below
    assert 'class="line" style="left:90.0%"' in below
    assert "目标线 90%" in below
    assert 'class="fill" style="width:95.0%"' in above


def test_a_bulletin_during_the_year_reads_coverage_to_date():
    reader = FakeReader()
    build_bulletin(reader, "2025", now=datetime(2025, 3, 15, tzinfo=UTC))
    assert reader.asked["until"] == date(2025, 3, 15)
    build_bulletin(reader, "2024-Q2", now=NOW)
    assert reader.asked["until"] == date(2024, 6, 30)
    build_bulletin(reader, "2024", now=NOW)
    assert reader.asked["until"] is None


@pytest.mark.parametrize(("text", "first", "last", "label"), [
    ("2024", date(2024, 1, 1), date(2024, 12, 31), "2024年"),
    ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30), "2024年第二季度"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024年2月"),
    ("2023-12", date(2023, 12, 1), date(2023, 12, 31), "2023年12月"),
])
def test_periods_parse_to_their_local_dates_and_chinese_labels(text, first, last, label):
    period = parse_period(text)
    assert (period.first, period.last, period.label_zh, period.text) == (first, last, label, text)


@pytest.mark.parametrize("text", ["24", "2024-Q5", "2024-13", "2024-5", "Q2-2024", ""])
def test_other_texts_are_not_periods(text):
    with pytest.raises(InvalidPeriodError):
        parse_period(text)
