"""Exports of the assessment: JSON, CSV (stdlib ``csv``), and the bulletin (通报) as Markdown or
as one self-contained HTML page (stdlib only: ``html.escape``, inline style, no external assets).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from services.projections.assessment.bulletin import (
    Block,
    Bulletin,
    CoverageBar,
    Heading,
    Paragraph,
    build_bulletin,
    pct,
)
from services.projections.assessment.figures import COLUMNS

__all__ = ["COLUMNS", "Bulletin", "build_bulletin", "bulletin_html", "bulletin_markdown",
           "to_csv", "to_json"]


def to_json(data: Any) -> str:
    """Figures as JSON text (UTF-8, Chinese kept as is)."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str)


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    """Rows as CSV with a fixed header (``COLUMNS`` for the table); empty cells for None."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return out.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Paragraph):
        return f"**{block.text}**" if block.strong else block.text
    if isinstance(block, CoverageBar):
        return (f"{block.label}覆盖率 {pct(block.coverage)}（目标线 "
                f"{block.target * 100:.0f}%）")
    lines = ["| " + " | ".join(map(_md_cell, block.headers)) + " |",
             "|" + "---|" * len(block.headers)]
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows]
    return "\n".join(lines)


def bulletin_markdown(bulletin: Bulletin) -> str:
    """The bulletin as Markdown."""
    parts = [f"# {bulletin.title}", *(_markdown(b) for b in bulletin.blocks)]
    return "\n\n".join(parts) + "\n"


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222;line-height:1.6}
h1{font-size:1.5rem;text-align:center}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.75rem 0}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left}th{background:#eee}
.bar{position:relative;height:1.4rem;background:#eee;border:1px solid #999;margin:1.8rem 0 .5rem}
.fill{height:100%;background:#4a7}.fill.below{background:#c54}
.line{position:absolute;top:-.3rem;bottom:-.3rem;border-left:2px dashed #222}
.line span{position:absolute;top:-1.3rem;left:.2rem;font-size:.8rem;white-space:nowrap}
"""


def _html(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{escape(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        text = escape(block.text)
        return f"<p><strong>{text}</strong></p>" if block.strong else f"<p>{text}</p>"
    if isinstance(block, CoverageBar):
        return _bar(block)
    head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in block.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(block: CoverageBar) -> str:
    value = max(0.0, min(1.0, block.coverage or 0.0))
    below = "" if block.coverage is not None and block.coverage >= block.target else " below"
    target = f"{block.target * 100:.0f}%"
    label = escape(f"{block.label}覆盖率 {pct(block.coverage)}，目标线 {target}")
    return (f'<div class="bar" role="img" aria-label="{label}">'
            f'<div class="fill{below}" style="width:{value * 100:.1f}%"></div>'
            f'<div class="line" style="left:{block.target * 100:.1f}%">'
            f"<span>目标线 {escape(target)}</span></div></div>"
            f"<p>{label}</p>")


def bulletin_html(bulletin: Bulletin) -> str:
    """The bulletin as one HTML page; every text from the data is escaped."""
    body = "\n".join(_html(b) for b in bulletin.blocks)
    title = escape(bulletin.title)
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>{_STYLE}</style></head>\n"
            f"<body><h1>{title}</h1>\n{body}\n</body></html>\n")
