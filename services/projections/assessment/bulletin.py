"""The period bulletin (通报) as content blocks, rendered to Markdown or HTML by ``exports``.

Key figures of the district, the canteen sampling coverage against the plan's line, the ranking
of units by composite score, and the annual summaries sent late or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.projections.assessment.periods import SHANGHAI, Period, parse_period
from services.projections.assessment.queries import AssessmentReader

TITLE = "龙亭区食品安全放心工程建设攻坚行动评议考核通报"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class CoverageBar:
    """A coverage against its target line (rendered as a bar in HTML)."""

    label: str
    coverage: float | None
    target: float


Block = Heading | Paragraph | Table | CoverageBar


@dataclass(frozen=True)
class Bulletin:
    period: Period
    generated_at: datetime
    blocks: tuple[Block, ...]

    @property
    def title(self) -> str:
        return f"{TITLE}（{self.period.label_zh}）"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _of(numerator: int, denominator: int, rate: float | None) -> str:
    return f"{numerator} / {denominator}（{pct(rate)}）"


def _key_figures(totals: dict[str, Any], period: Period) -> Table:
    t = totals
    yearly = "（按年度统计）"
    rows = [
        ("新立案件", str(t["cases_opened"])),
        ("已办结", str(t["cases_closed"])),
        ("按期办结", _of(t["cases_closed_on_time"], t["cases_opened"], t["closed_on_time_rate"])),
        ("逾期案件", _of(t["cases_overdue"], t["cases_opened"], t["overdue_rate"])),
        ("投诉7个工作日内作出受理决定",
         _of(t["complaints_on_time"], t["complaints"], t["complaints_on_time_rate"])),
        ("抽检批次", str(t["samples"])),
        ("不合格批次（不合格率）", f"{t['samples_unqualified']}（{pct(t['unqualified_rate'])}）"),
        ("不合格样品核查处置按期办结",
         _of(t["disposals_on_time"], t["disposals"], t["disposals_on_time_rate"])),
        ("风险分级检查频次达标",
         _of(t["graded_inspected_enough"], t["graded_entities"], t["inspection_coverage"])
         if period.is_year else yearly),
        ("年度工作总结按时报送",
         _of(t["summaries_on_time"], t["summaries_due"], t["summaries_on_time_rate"])
         if period.is_year else yearly),
    ]
    return Table(("指标", "数值"), tuple(rows))


def _verdict(meets: bool | None) -> str:
    return "—" if meets is None else ("达标" if meets else "未达标")


def _coverage(coverage: dict[str, Any], period: Period) -> list[Block]:
    target, aim = coverage["target"], coverage["aim"]
    line = f"{target * 100:.0f}%"
    scope = "全年" if coverage["until"] is None else f"截至{coverage['until']}年度累计"
    summary = (f"{scope}：在册学校食堂 {coverage['registered']} 家，已抽检 {coverage['sampled']} "
               f"家，覆盖率 {pct(coverage['coverage'])}；目标不低于 {line}、力争 "
               f"{aim * 100:.0f}%：{_verdict(coverage['meets_target'])}")
    if coverage["meets_target"] is False:
        summary += f"，距目标尚需抽检 {coverage['to_reach_target']} 家"
    rows = tuple((str(g["township"] or "未明确"), str(g["registered"]), str(g["sampled"]),
                  pct(g["coverage"]), _verdict(g["meets_target"]))
                 for g in coverage["townships"])
    return [Heading("二、学校食堂抽检覆盖率"), Paragraph(summary, strong=True),
            CoverageBar("全区", coverage["coverage"], target),
            Table(("乡（街道）", "在册食堂", "已抽检", "覆盖率", f"对照{line}目标"), rows)]


def _ranking(ranking: list[dict[str, Any]], labels: dict[str, str]) -> list[Block]:
    names = tuple(labels)
    headers = ("名次", "单位", "综合得分", *(labels[n] for n in names))
    rows = tuple((str(r["rank"]), str(r["name"]), f"{r['score']:.2f}",
                  *(pct(r["components"].get(n)) for n in names)) for r in ranking)
    if not rows:
        return [Heading("三、综合评分排名"), Paragraph("本期无可评分单位。")]
    return [Heading("三、综合评分排名"), Table(headers, rows)]


def _summaries(statuses: list[dict[str, Any]], period: Period) -> list[Block]:
    late = [s for s in statuses if s["status"] == "late"]
    missing = [s for s in statuses if s["status"] == "missing"]
    pending = [s for s in statuses if s["status"] == "pending"]
    blocks: list[Block] = [Heading(f"四、{period.year}年度工作总结报送情况（12月2日前报送）")]
    if late:
        blocks += [Paragraph("逾期报送：", strong=True), Table(
            ("行动", "牵头单位", "截止时间", "报送时间", "逾期天数"),
            tuple((f"{s['action']}. {s['title']}", s["lead_name"], s["due_at"][:10],
                   (s["submitted_at"] or "")[:10], str(s["days_late"])) for s in late))]
    if missing:
        blocks += [Paragraph("逾期未报送：", strong=True), Table(
            ("行动", "牵头单位", "截止时间"),
            tuple((f"{s['action']}. {s['title']}", s["lead_name"], (s["due_at"] or "")[:10])
                  for s in missing))]
    if not late and not missing:
        blocks.append(Paragraph("无逾期报送或逾期未报送的年度工作总结。"))
    if pending:
        blocks.append(Paragraph(f"尚未到报送截止时间、尚未报送：{len(pending)} 项。"))
    return blocks


def build_bulletin(view: AssessmentReader, period: str | Period, *,
                   now: datetime | None = None) -> Bulletin:
    """The bulletin of ``period`` from the read model, as of ``now``."""
    found = period if isinstance(period, Period) else parse_period(period)
    now = now or datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    until = None if found.is_year and today > found.last else min(found.last, today)
    config = view.config
    labels = {n: c.label_zh for n, c in config.weights.components.items()}
    weights = "；".join(f"{c.label_zh} {c.weight:g}" for c in config.weights.components.values())
    blocks: list[Block] = [
        Paragraph(f"生成时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）。统计口径："
                  "案件按立案日期、抽检按抽样日期计入本期；覆盖率、检查频次和年度总结按年度统计。"),
        Heading("一、主要指标"), _key_figures(view.totals(found, now=now), found),
        *_coverage(view.canteen_coverage(found.year, until=until), found),
        *_ranking(view.ranking(found.text, now=now), labels),
        *_summaries(view.summaries(found.year, now=now), found),
        Heading("五、说明"),
        Paragraph(f"综合得分 = 100 × Σ(权重 × 指标) ÷ 适用指标权重之和。权重（{config.weights.id} "
                  f"第{config.weights.version}版）：{weights}。权重为项目建议，待区食品安全办确认。"),
    ]
    return Bulletin(found, now, tuple(blocks))
