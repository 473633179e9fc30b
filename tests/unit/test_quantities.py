"""Quantities: positive decimals in curated UN/ECE Recommendation 20 units."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts.quantities import (
    DATA_FILE,
    Dimension,
    Quantity,
    UnitCode,
    known_units,
    normalise_quantity,
    to_decimal,
    unit,
    unit_code,
)


class Holder(BaseModel):
    unit: UnitCode


def test_the_curated_list_has_the_common_food_units_and_the_epcis_example_uoms():
    expected = {"KGM", "GRM", "TNE", "LTR", "MLT", "EA", "H87", "C62", "XBX", "XCT", "XPK",
                "XBG", "XPX", "LBR"}
    assert expected <= known_units()


def test_pallet_is_xpx_and_pail_is_xpl():
    assert unit("XPX").name == "pallet"
    assert unit("XPL").name == "pail"


def test_every_code_and_alias_names_one_unit():
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    spellings = [s.lower() for entry in raw["units"] for s in (entry["code"], *entry["aliases"])]
    assert len(spellings) == len(set(spellings))
    market = {m["alias"].lower() for m in raw["market_units"]}
    assert not market & set(spellings)
    for entry in raw["units"]:
        assert Dimension(entry["dimension"])
        assert (entry["factor"] is None) == (entry["dimension"] == "package" or
                                             entry["code"] == "SET")


@pytest.mark.parametrize(("spelling", "code"), [
    ("KGM", "KGM"), ("kgm", "KGM"), (" kg ", "KGM"), ("千克", "KGM"), ("公斤", "KGM"),
    ("g", "GRM"), ("吨", "TNE"), ("L", "LTR"), ("毫升", "MLT"), ("箱", "XCT"), ("袋", "XBG"),
    ("个", "H87"), ("托盘", "XPX"), ("EA", "EA"),
])
def test_codes_and_common_spellings_normalise_to_the_code(spelling, code):
    assert unit_code(spelling) == code
    assert Holder(unit=spelling).unit == code


@pytest.mark.parametrize("spelling", ["", "XYZ", "kilo", "A93", "CEL"])
def test_unknown_units_are_refused(spelling):
    with pytest.raises(ValueError, match="Recommendation 20"):
        unit_code(spelling)
    with pytest.raises(ValidationError):
        Holder(unit=spelling)


def test_a_market_unit_is_refused_as_a_bare_code_with_its_conversion():
    with pytest.raises(ValueError, match=r"0\.5 KGM"):
        unit_code("斤")


@pytest.mark.parametrize(("value", "spelling", "expected"), [
    (10, "斤", Quantity(value=Decimal("5.0"), unit="KGM")),
    ("3", "两", Quantity(value=Decimal(150), unit="GRM")),
    (2.5, "kg", Quantity(value=Decimal("2.5"), unit="KGM")),
])
def test_normalise_quantity_converts_market_units(value, spelling, expected):
    assert normalise_quantity(value, spelling) == expected


@pytest.mark.parametrize("value", [0, -1, "0", "-0.5"])
def test_a_quantity_is_above_zero(value):
    with pytest.raises(ValidationError):
        Quantity(value=value, unit="KGM")


@pytest.mark.parametrize("value", [True, None, "abc", "NaN", "Infinity", float("nan"), [1]])
def test_a_quantity_is_a_finite_number(value):
    with pytest.raises(ValueError, match="number"):
        to_decimal(value)


def test_floats_become_their_shortest_decimal():
    assert to_decimal(31563.68030294531) == Decimal("31563.68030294531")
    assert to_decimal(0.1) == Decimal("0.1")


@pytest.mark.parametrize(("quantity", "target", "expected"), [
    (Quantity(value=Decimal(1), unit="TNE"), "KGM", Decimal(1000)),
    (Quantity(value=Decimal(1), unit="LBR"), "GRM", Decimal("453.59237")),
    (Quantity(value=Decimal(2500), unit="MLT"), "LTR", Decimal("2.5")),
    (Quantity(value=Decimal(2), unit="DZN"), "EA", Decimal(24)),
])
def test_units_of_one_dimension_convert_exactly(quantity, target, expected):
    assert quantity.to(target).value == expected
    assert quantity.to(target).unit == target


@pytest.mark.parametrize(("quantity", "target"), [
    (Quantity(value=Decimal(1), unit="KGM"), "LTR"),
    (Quantity(value=Decimal(1), unit="XCT"), "EA"),
    (Quantity(value=Decimal(1), unit="SET"), "EA"),
])
def test_other_units_do_not_convert(quantity, target):
    with pytest.raises(ValueError, match="does not convert"):
        quantity.to(target)


def test_the_base_unit_of_a_package_is_unknown():
    assert Quantity(value=Decimal(3), unit="XBX").in_base_unit() is None
    assert Quantity(value=Decimal(3), unit="GRM").in_base_unit() == Quantity(
        value=Decimal("0.003"), unit="KGM")


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**9), places=3),
       st.sampled_from(sorted(c for c in known_units() if unit(c).dimension == Dimension.MASS)))
def test_a_mass_survives_a_round_trip_through_kilograms(value, code):
    quantity = Quantity(value=value, unit=code)
    assert quantity.to("KGM").to(code).value == pytest.approx(value, rel=Decimal("1e-20"))


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**9), places=3),
       st.sampled_from(sorted(known_units())))
def test_a_quantity_survives_its_canonical_json(value, code):
    quantity = Quantity(value=value, unit=code)
    assert Quantity.model_validate_json(quantity.model_dump_json()) == quantity
