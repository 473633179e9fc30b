"""Lot codes: GS1 EPC URNs and Digital Links of one lot meet in one canonical form."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contracts.lots import (
    LotCode,
    LotKind,
    gs1_check_digit,
    lot_kind,
    normalise_lot,
    parse_lot,
)


class Holder(BaseModel):
    lot: LotCode


@pytest.mark.parametrize(("body", "check"), [
    ("0401234512345", "6"),   # GTIN-14 04012345123456 of the GS1 examples
    ("7061414112345", "1"),   # 70614141123451
    ("0061414177777", "8"),   # 00614141777778
    ("10614141234567890", "8"),  # SSCC-18 106141412345678908
    ("690123456789", "2"),    # GTIN-13 6901234567892
])
def test_the_gs1_check_digit(body, check):
    assert gs1_check_digit(body) == check


@pytest.mark.parametrize("body", ["", "12a4", " 123"])
def test_a_check_digit_needs_digits(body):
    with pytest.raises(ValueError, match="digits"):
        gs1_check_digit(body)


# Pairs taken from the GS1 EPCIS 2.0 examples: the same lot in both spellings.
SAME_LOT = [
    ("urn:epc:class:lgtin:4012345.012345.998877",
     "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:class:lgtin:0614141.077777.987", "https://id.gs1.org/01/00614141777778/10/987"),
    ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
]


@pytest.mark.parametrize(("urn", "link"), SAME_LOT)
def test_an_epc_urn_and_its_digital_link_normalise_alike(urn, link):
    assert normalise_lot(urn) == normalise_lot(link) == link


@pytest.mark.parametrize(("code", "canonical", "kind"), [
    ("urn:epc:class:lgtin:4012345.012345.998877",
     "https://id.gs1.org/01/04012345123456/10/998877", LotKind.LOT),
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017",
     LotKind.ITEM),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908",
     LotKind.LOGISTIC_UNIT),
    ("https://id.gs1.org/00/106141412345678908", "https://id.gs1.org/00/106141412345678908",
     LotKind.LOGISTIC_UNIT),
    ("https://id.gs1.org/01/70614141123451/21/2017",
     "https://id.gs1.org/01/70614141123451/21/2017", LotKind.ITEM),
    # any host, a path prefix, other AIs in the query, a fragment
    ("https://brand.example.cn/dl/01/04012345123456/10/998877?17=250101&linkType=all#x",
     "https://id.gs1.org/01/04012345123456/10/998877", LotKind.LOT),
    ("HTTP://ID.GS1.ORG/01/04012345123456/10/998877",
     "https://id.gs1.org/01/04012345123456/10/998877", LotKind.LOT),
    # a GTIN-13 in a Digital Link is left-padded to 14 digits
    ("https://id.gs1.org/01/6901234567892/10/LT2306",
     "https://id.gs1.org/01/06901234567892/10/LT2306", LotKind.LOT),
    # Digital Link 1.x convenience names
    ("https://example.com/gtin/04012345123456/lot/998877",
     "https://id.gs1.org/01/04012345123456/10/998877", LotKind.LOT),
    # ... which name AIs only: a lot may be called "ser"
    ("https://id.gs1.org/01/04012345123456/10/ser",
     "https://id.gs1.org/01/04012345123456/10/ser", LotKind.LOT),
    # the URN scheme and its namespace are case-insensitive
    ("URN:EPC:CLASS:LGTIN:4012345.012345.998877",
     "https://id.gs1.org/01/04012345123456/10/998877", LotKind.LOT),
])
def test_gs1_identifiers_take_the_canonical_digital_link(code, canonical, kind):
    parsed = parse_lot(code)
    assert parsed.canonical == canonical
    assert parsed.kind is kind
    assert lot_kind(code) is kind


@pytest.mark.parametrize(("urn", "link"), [
    ("urn:epc:class:lgtin:4012345.012345.AB%2F1",
     "https://example.org/01/04012345123456/10/AB%2F1"),
    ("urn:epc:class:lgtin:4012345.012345.A%25B", "https://id.gs1.org/01/04012345123456/10/A%25B"),
])
def test_escaped_lots_meet_after_percent_decoding(urn, link):
    assert normalise_lot(urn) == normalise_lot(link)


def test_a_lot_with_a_slash_is_escaped_once_in_the_canonical_form():
    assert normalise_lot("urn:epc:class:lgtin:4012345.012345.AB%2F1") == (
        "https://id.gs1.org/01/04012345123456/10/AB%2F1")


def test_an_unescaped_slash_breaks_a_digital_link_into_other_segments():
    code = "https://id.gs1.org/01/04012345123456/10/AB/1"
    assert parse_lot(code).kind is LotKind.OTHER


def test_a_digital_link_item_with_a_lot_keeps_its_item_identity_and_names_its_lot():
    parsed = parse_lot("https://id.gs1.org/01/04012345123456/10/L1/21/S9")
    assert parsed.canonical == "https://id.gs1.org/01/04012345123456/21/S9"
    assert parsed.kind is LotKind.ITEM
    assert parsed.lot_class == "https://id.gs1.org/01/04012345123456/10/L1"
    assert parsed.product_class == "https://id.gs1.org/01/04012345123456"
    assert parse_lot("urn:epc:id:sgtin:4012345.012345.S9").canonical == parsed.canonical


@pytest.mark.parametrize("code", [
    "LT-20230612-001",            # a Chinese market system's own lot code
    "龙亭-韭菜-0612",
    "urn:gdst:example.org:product:lot:class:processor.2u.v1-0122-2022",
    "urn:epc:id:sscc:08600031303.0004",    # 15 digits: not an SSCC
    "urn:epc:id:sgtin:0614141.10734.2017",  # 12 digits: not a GTIN
    "https://id.gs1.org/01/04012345123457/10/1",  # wrong check digit
    "https://id.gs1.org/01/04012345123456/22/V1/10/1",  # a CPV: not re-spelt
    "https://id.gs1.org/01/04012345123456/21/1/10/2",   # qualifiers out of order
    "https://example.com/lot/123",
    "urn:epc:id:giai:4000001.111",
])
def test_other_codes_pass_through_unchanged(code):
    assert normalise_lot(code) == code
    assert lot_kind(code) is LotKind.OTHER


def test_other_codes_are_trimmed_and_keep_their_case():
    assert normalise_lot("  lt-20230612-001\u3000") == "lt-20230612-001"


@pytest.mark.parametrize("code", ["", "   ", "LT\n001", "A\x00B", "x" * 301])
def test_blank_control_or_overlong_codes_are_refused(code):
    with pytest.raises(ValueError, match="lot code"):
        normalise_lot(code)
    with pytest.raises(ValidationError):
        Holder(lot=code)


def test_the_pydantic_type_normalises():
    assert Holder(lot=" urn:epc:class:lgtin:4012345.012345.998877 ").lot == (
        "https://id.gs1.org/01/04012345123456/10/998877")
    assert Holder.model_json_schema()["properties"]["lot"]["maxLength"] == 300


lots = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
               max_size=20)
gtin_bodies = st.text(alphabet="0123456789", min_size=13, max_size=13)


@given(gtin_bodies, lots)
def test_any_gs1_lot_reads_the_same_from_a_digital_link_and_its_canonical_form(body, lot):
    gtin = body + gs1_check_digit(body)
    link = f"https://example.com/01/{gtin}/10/{lot.replace('%', '%25').replace('/', '%2F')}"
    link = link.replace("?", "%3F").replace("#", "%23")
    parsed = parse_lot(link)
    assert parsed.kind is LotKind.LOT
    assert parsed.lot == lot
    assert normalise_lot(parsed.canonical) == parsed.canonical


@given(st.integers(6, 12).flatmap(lambda n: st.tuples(
    st.text(alphabet="0123456789", min_size=n, max_size=n),
    st.text(alphabet="0123456789", min_size=13 - n, max_size=13 - n))), lots)
def test_any_lgtin_meets_its_digital_link(parts, lot):
    prefix, item = parts
    escaped = "".join(f"%{ord(c):02X}" if c in '"%&/<>?' else c for c in lot)
    urn = f"urn:epc:class:lgtin:{prefix}.{item}.{escaped}"
    body = item[0] + prefix + item[1:]
    assert normalise_lot(urn) == parse_lot(f"https://id.gs1.org/01/{body}"
                                           f"{gs1_check_digit(body)}/10/{quote(lot, safe='')}"
                                           ).canonical


gs1_looking = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(["https://id.gs1.org/01/04012345123456/", "https://x.cn/gtin/6901234567892/",
                     "urn:epc:class:lgtin:4012345.012345.", "urn:epc:id:sgtin:0614141.107346.",
                     "urn:epc:id:sscc:0614141.", "https://id.gs1.org/00/", "HTTPS://a/01/"]),
    st.text(alphabet=st.sampled_from("0123456789/%2Fabc.*?#lotser10 21"), max_size=30))


@given(st.text(max_size=60) | gs1_looking)
def test_normalising_is_idempotent_or_refuses(code):
    try:
        once = normalise_lot(code)
    except ValueError:
        return
    assert normalise_lot(once) == once


canonical_looking = st.builds(
    lambda gtin, lot: f"https://id.gs1.org/01/{gtin}/10/{lot}",
    st.text(alphabet="0123456789", min_size=14, max_size=14)
    | gtin_bodies.map(lambda body: body + gs1_check_digit(body)),
    st.text(alphabet=st.sampled_from("AZaz09._~-%/"), min_size=1, max_size=22))


@given(canonical_looking)
def test_the_canonical_shortcut_gives_what_the_full_parse_gives(code):
    normalise_lot.cache_clear()
    assert normalise_lot(code) == parse_lot(code).canonical
