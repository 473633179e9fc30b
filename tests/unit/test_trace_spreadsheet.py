"""The FSMA 204-style sortable traceability spreadsheet: columns, rows, order, CSV form."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from services.projections.trace.spreadsheet import (
    COLUMNS,
    event_type,
    spreadsheet_rows,
    to_csv,
)

MARKET, KITCHEN, FARM = "91410202MA4000002X", "91410202MA4000003Y", "91410202MA4000001Z"
ENTITIES = {MARKET: {"name": "龙亭农产品批发市场"}, KITCHEN: {"name": "龙亭中央厨房"},
            FARM: {"name": "北郊韭菜种植合作社"}}
LOTS = {"LOT-A": {"product": "韭菜", "origin_entity": FARM, "origin_location": None,
                  "origin_ilmd": '{"harvest_date": "2023-06-01"}'},
        "LOT-B": {"product": "韭菜饺子", "origin_entity": KITCHEN,
                  "origin_location": "urn:epc:id:sgln:6901234.00001.0", "origin_ilmd": None}}


def event(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": kind, "at": at, "fact": f"src#{kind}-{at}", "event_ref": None, "flags": [],
        "lot_code": None, "product": None, "quantity": None, "unit": None,
        "from_entity": None, "to_entity": None, "from_location": None, "to_location": None,
        "entity_id": None, "location": None, "certificate_no": None,
        "reference_document": None, "reference_document_type": None, "step": None,
        "from_lot": None, "to_lot": None, "input_product": None, "input_quantity": None,
        "input_unit": None}
    return {**base, **fields}


SHIPPED = event("shipped", "2023-06-02T00:00:00.000000Z", event_ref="ship-1", lot_code="LOT-A",
                product="韭菜", quantity="300", unit="KGM", from_entity=MARKET,
                to_entity=KITCHEN, certificate_no="HG-0001")
TRANSFORMED = [
    event("transformed", "2023-06-03T02:00:00.000000Z", event_ref="make-1", lot_code="LOT-B",
          from_lot=source, to_lot="LOT-B", product="韭菜饺子", quantity="350", unit="KGM",
          input_product=name, input_quantity=qty, input_unit="KGM", entity_id=KITCHEN)
    for source, name, qty in (("LOT-A", "韭菜", "290"), ("LT-FLOUR", "面粉", "100"))]


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_header_is_the_kde_column_set_in_order():
    header = next(csv.reader(io.StringIO(to_csv([], excel_bom=False))))

    assert header == list(COLUMNS)
    assert header[:14] == [
        "EventType", "EventID", "TLC", "ProductDescription", "Quantity", "UOM", "EventDate",
        "EventLocation", "ShipFrom", "ShipTo", "TLCSource", "TLCSourceReference", "HarvestDate",
        "InputTLCs"]
    assert header[-3:] == ["ReferenceDocumentType", "ReferenceDocumentNumber", "ErrorDeclared"]


def test_a_shipment_row_carries_its_kdes_and_leaves_the_rest_empty():
    [row] = spreadsheet_rows([SHIPPED], LOTS, ENTITIES)

    assert row["EventType"] == "Shipping"
    assert (row["EventID"], row["TLC"], row["ProductDescription"]) == ("ship-1", "LOT-A", "韭菜")
    assert (row["Quantity"], row["UOM"], row["EventDate"]) == (
        "300", "KGM", "2023-06-02T00:00:00.000000Z")
    assert row["ShipFrom"] == f"龙亭农产品批发市场 ({MARKET})"
    assert row["ShipTo"] == f"龙亭中央厨房 ({KITCHEN})"
    assert row["EventLocation"] == row["ShipFrom"]  # no location given: the shipper
    assert (row["TLCSource"], row["TLCSourceReference"], row["HarvestDate"]) == (
        f"北郊韭菜种植合作社 ({FARM})", FARM, "2023-06-01")
    assert (row["ReferenceDocumentType"], row["ReferenceDocumentNumber"]) == (
        "certificate", "HG-0001")
    assert all(row[c] == "" for c in ("InputTLCs", "InputQuantity", "Container",
                                      "ErrorDeclared"))


def test_a_transformation_gives_one_row_per_input_sharing_its_event_id():
    rows = spreadsheet_rows(TRANSFORMED, LOTS, ENTITIES)

    assert [(r["EventType"], r["EventID"], r["TLC"], r["InputTLCs"], r["InputQuantity"])
            for r in rows] == [("Transformation", "make-1", "LOT-B", "LOT-A", "290"),
                               ("Transformation", "make-1", "LOT-B", "LT-FLOUR", "100")]
    assert {r["TLCSource"] for r in rows} == {"urn:epc:id:sgln:6901234.00001.0"}
    assert {r["Quantity"] for r in rows} == {"350"}


def test_rows_are_sorted_by_event_time_whatever_the_input_order():
    late = event("received", "2023-06-04T01:00:00.000000Z", event_ref="recv-9",
                 lot_code="LOT-B", to_entity=KITCHEN, to_location="冷库 1 号")
    early = event("commissioned", "2023-06-01T00:00:00.000000Z", event_ref="harvest-1",
                  lot_code="LOT-A", step="urn:gdst:bizStep:fishingEvent", entity_id=FARM)

    rows = spreadsheet_rows([late, *TRANSFORMED, SHIPPED, early], LOTS, ENTITIES)

    assert [r["EventID"] for r in rows] == ["harvest-1", "ship-1", "make-1", "make-1", "recv-9"]
    assert rows[0]["EventType"] == "Harvesting"
    assert rows[-1]["EventLocation"] == "冷库 1 号"


@pytest.mark.parametrize(("step", "cte"), [
    ("harvesting", "Harvesting"), ("urn:gdst:bizStep:fishingEvent", "Harvesting"),
    ("urn:gdst:bizStep:landing", "First Land-Based Receiving"), ("cooling", "Cooling"),
    ("packing", "Initial Packing"), ("commissioning", "Commissioning"), (None, "Commissioning"),
])
def test_a_commissioning_is_named_by_its_business_step(step: str | None, cte: str):
    assert event_type(event("commissioned", "t", step=step)) == cte


def test_pallet_rows_name_the_container_and_errors_are_declared_not_hidden():
    packed = event("packed", "2023-06-01T07:00:00.000000Z", event_ref="pack-1",
                   from_lot="LOT-A", to_lot="https://id.gs1.org/00/069012340000000018",
                   lot_code="LOT-A", quantity="1000", unit="KGM")
    wrong = {**SHIPPED, "flags": ["corrected", "quantity_mismatch"]}

    pack, ship = spreadsheet_rows([packed, wrong], LOTS, ENTITIES)

    assert (pack["EventType"], pack["TLC"], pack["Container"]) == (
        "Packing", "LOT-A", "https://id.gs1.org/00/069012340000000018")
    assert ship["ErrorDeclared"] == "yes"


def test_the_csv_is_excel_friendly_and_reads_back():
    text = to_csv(spreadsheet_rows([SHIPPED, *TRANSFORMED], LOTS, ENTITIES))

    assert text.startswith("\ufeffEventType,")
    assert "\r\n" in text
    back = parse(text)
    assert [r["TLC"] for r in back] == ["LOT-A", "LOT-B", "LOT-B"]
    assert back[0]["ShipTo"] == f"龙亭中央厨房 ({KITCHEN})"
    assert not to_csv([], excel_bom=False).startswith("\ufeff")


def test_cells_that_would_run_as_formulas_are_neutralised_and_numbers_are_not():
    hostile = {**SHIPPED, "product": "=HYPERLINK(\"http://x\")", "reference_document": "-cmd",
               "reference_document_type": "@bol", "quantity": "-5"}

    [row] = parse(to_csv(spreadsheet_rows([hostile], LOTS, ENTITIES)))

    assert row["ProductDescription"] == "'=HYPERLINK(\"http://x\")"
    assert row["ReferenceDocumentNumber"] == "'-cmd"
    assert row["ReferenceDocumentType"] == "'@bol"
    assert row["Quantity"] == "-5"
