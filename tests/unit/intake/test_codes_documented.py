"""The README's rejection-code table is the one the code generates."""

from pathlib import Path

from services.intake.codes import CODES, Code, markdown_table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_code_has_a_meaning():
    assert set(CODES) == set(Code)


def test_the_readme_shows_the_generated_table():
    text = README.read_text(encoding="utf-8")
    between = text.split("<!-- codes:start -->")[1].split("<!-- codes:end -->")[0]
    assert between.strip() == markdown_table(), "run: python -m services.intake.codes"
