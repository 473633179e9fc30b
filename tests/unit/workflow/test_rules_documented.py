"""docs/rules.md is the table generated from the rule data in force."""

from pathlib import Path

from services.workflow.rules.report import markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def test_the_rules_document_matches_the_rule_data():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "run: python -m services.workflow.rules.report > docs/rules.md")


def test_every_policy_default_is_listed_with_its_source():
    rows = [line for line in markdown().splitlines() if line.startswith("| `")]
    assert rows
    assert all(line.rstrip(" |").split("|")[-1].strip() for line in rows)
