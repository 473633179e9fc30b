"""Horizontal bar charts laid out server-side for inline SVG (coverage against a target line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 150
BAR_WIDTH = 420
VALUE_WIDTH = 70
ROW = 28
BAR = 18
TOP = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # 0..1
    text: str
    y: float
    width: float
    below: bool


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    target: float | None
    target_x: float | None
    target_label: str
    width: float
    height: float
    label_width: float = LABEL_WIDTH
    bar_width: float = BAR_WIDTH
    bar_height: float = BAR


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def bar_chart(rows: Sequence[tuple[str, float | None]], *, target: float | None = None,
              target_label: str = "") -> BarChart:
    """One bar per (label, value in 0..1); a dashed line at ``target`` when given."""
    bars = tuple(
        Bar(label, value, percent(value), TOP + i * ROW,
            0.0 if value is None else max(0.0, min(1.0, value)) * BAR_WIDTH,
            target is not None and value is not None and value < target)
        for i, (label, value) in enumerate(rows))
    return BarChart(bars, target,
                    None if target is None else LABEL_WIDTH + target * BAR_WIDTH,
                    target_label, LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
                    TOP + len(bars) * ROW + 8)
