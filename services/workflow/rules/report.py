"""``python -m services.workflow.rules.report``: the rule data as a Markdown table for docs/.

docs/rules.md is generated from the rule files, so the list of policy defaults (everything not
verified against the law's text) cannot drift from what the workflow applies.
"""

from __future__ import annotations

import sys
from typing import Any

from services.workflow.domain.rulesets import RuleSet
from services.workflow.rules.rulebook_loader import load_default_rulebook

HEADER = """# Rule data in force

Generated from `services/workflow/rules/rulesets/*.json` by
`python -m services.workflow.rules.report > docs/rules.md`; a test keeps it current.
Confidence: **V** checked against the rule's full text, **S** from a secondary source,
**R** recalled or chosen as policy. Everything that is not V is a *policy default*: the
district may change it in the rule data without touching code.
"""


def _value(kind: str, item: Any) -> str:
    if kind == "deadlines":
        budget = item.budget
        extension = f" (+{item.extension.amount} on approval)" if item.extension else ""
        return f"{budget.amount} {budget.unit.replace('_', ' ')}{extension}"
    if kind == "lists":
        return ", ".join(code.code for code in item.codes)
    if kind == "numbers":
        return str(item.value)
    return f"{item.month:02d}-{item.day:02d} each year"


def _rows(rule_set: RuleSet) -> list[str]:
    rows = []
    for kind, items in (("deadlines", rule_set.deadlines), ("lists", rule_set.lists),
                        ("numbers", rule_set.numbers), ("dates", rule_set.dates)):
        for name, item in items.items():
            p = item.provenance
            source = p.source.replace("|", "/")
            rows.append(f"| `{rule_set.id}` | {name} | {_value(kind, item)} | "
                        f"{p.confidence.value} | {source} |")
    return rows


def markdown() -> str:
    book = load_default_rulebook()
    lines = [HEADER, "| rule set | rule | value | confidence | source |",
             "|---|---|---|---|---|"]
    for topic in book.topics():
        for rule_set in book.versions(topic):
            lines += _rows(rule_set)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
