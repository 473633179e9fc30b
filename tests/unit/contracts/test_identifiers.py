"""Entity identifiers: the unified social credit code check character and the other schemes."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.identifiers import (
    EntityRef,
    IdScheme,
    Uscc,
    is_valid_uscc,
    uscc_check_character,
    uscc_division,
    validate_entity_id,
)

USCC = TypeAdapter(Uscc)
REF = TypeAdapter(EntityRef)


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",  # the worked example of GB 32100 guides
    "91110000802100433B",
    "92410202MA46P2LQ8M",  # made-up Longting codes, check characters computed
    "124102020051234564",
])
def test_a_code_with_its_check_character_is_a_valid_uscc(code):
    assert is_valid_uscc(code)
    assert USCC.validate_python(code) == code


def test_the_check_character_is_computed_from_the_first_seventeen():
    assert uscc_check_character("91350100M000100Y4") == "3"
    assert uscc_check_character("92410202MA46P2LQ8") == "M"


def test_a_check_value_of_31_is_written_as_zero():
    # given seventeen characters whose weighted sum is a multiple of 31
    first17 = "00000000000000000"
    # then the check character is "0", not an out-of-range 31st character
    assert uscc_check_character(first17) == "0"


def test_a_lower_case_code_with_blanks_is_normalised():
    assert USCC.validate_python("  92410202ma46p2lq8m ") == "92410202MA46P2LQ8M"


@pytest.mark.parametrize(("code", "why"), [
    ("92410202MA46P2LQ8N", "check character"),
    ("92410202MA46P2LQ8", "18 characters"),
    ("92410202MA46P2LQ8MM", "18 characters"),
    ("92410202MA46P2LO8M", "never used"),  # O is not in the character set
    ("9241020AMA46P2LQ8M", "digits"),  # the division code is six digits
    ("", "18 characters"),
])
def test_a_malformed_uscc_is_refused_with_the_reason(code, why):
    with pytest.raises(ValidationError) as caught:
        USCC.validate_python(code)
    assert why in str(caught.value)
    assert caught.value.errors()[0]["type"] == "entity_id_invalid"


def test_a_uscc_must_be_a_string():
    with pytest.raises(ValidationError):
        USCC.validate_python(924102021)


def test_the_division_of_a_uscc_is_its_registering_authority_area():
    assert uscc_division("92410202MA46P2LQ8M") == "410202"


@pytest.mark.parametrize(("scheme", "value", "normalised"), [
    (IdScheme.FOOD_LICENSE, "jy24102020012347", "JY24102020012347"),
    (IdScheme.FOOD_PRODUCTION_LICENSE, "SC10641020200015", "SC10641020200015"),
    (IdScheme.SMALL_WORKSHOP_REGISTRATION, " 豫食小作坊登字第410202-0031号 ",
     "豫食小作坊登字第410202-0031号"),
    (IdScheme.OTHER, "LT-stall-0077", "LT-STALL-0077"),
])
def test_other_schemes_accept_their_formats(scheme, value, normalised):
    assert validate_entity_id(value, scheme) == normalised


@pytest.mark.parametrize(("scheme", "value"), [
    (IdScheme.FOOD_LICENSE, "JY2410202001234"),  # 13 digits
    (IdScheme.FOOD_LICENSE, "SC24102020012347"),  # wrong prefix
    (IdScheme.FOOD_PRODUCTION_LICENSE, "SC1064102020001X"),
    (IdScheme.STALL_FILING, "   "),
    (IdScheme.OTHER, "A" * 101),
    (IdScheme.OTHER, "bad\x00id"),
])
def test_other_schemes_refuse_what_does_not_fit(scheme, value):
    with pytest.raises(ValueError, match=r"entity id|licence number"):
        validate_entity_id(value, scheme)


def test_an_entity_reference_is_trimmed_and_upper_cased_but_not_checked():
    # references may use any scheme, so no USCC check is applied to them
    assert REF.validate_python(" e-9 ") == "E-9"
    with pytest.raises(ValidationError):
        REF.validate_python("   ")
