"""The assessment read model on SQLite and PostgreSQL: every figure, coverage, weights, ranking,
and exact re-application."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, Tracking
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.platform.auth import Caller, Credentials, Role
from services.platform.http import ApiError
from services.projections.assessment import (
    AssessmentConfig,
    AssessmentProjection,
    PostgresAssessmentView,
    Scope,
    SQLiteAssessmentView,
    default_config,
)
from services.projections.assessment.config import load_targets, load_weights
from services.projections.assessment.http_api import assessment_router
from services.projections.assessment.rows import FactRows

pytestmark = pytest.mark.integration
NOW = datetime(2025, 1, 10, tzinfo=UTC)
NAME = "assessment:kafka:test:0"
MR = "market-regulation"
_ids = itertools.count(1)


def eid(n: int) -> str:
    return f"JY1410202{n:07d}"  # a food business licence number: JY and 14 digits


CANTEENS_BEIJIAO = [eid(n) for n in range(1, 7)]
CANTEENS_WUCHAOMEN = [eid(n) for n in range(7, 11)]
CANTEEN_2025 = eid(11)
G_A, G_C, G_D, MARKET = eid(21), eid(22), eid(23), eid(24)


def cloud(fact_type: str, data: dict[str, Any], time: str = "2024-01-01T08:00:00+08:00"
          ) -> CloudEvent:
    return CloudEvent.model_validate({
        "specversion": "1.0", "id": f"f-{next(_ids)}", "source": "urn:fangxin:test",
        "type": fact_type, "time": time, "data": data})


def entity(entity_id: str, kind: str, township: str, grade: str | None = None, *,
           registered: str = "2020-05-01T09:00:00+08:00",
           time: str = "2024-01-01T08:00:00+08:00") -> CloudEvent:
    return cloud("foodsafety.entity.registered", {
        "id_scheme": "food_license", "entity_id": entity_id, "name": f"单位{entity_id[-3:]}",
        "kind": kind, "township": township, "risk_grade": grade, "registered_at": registered},
        time)


def sample(sample_id: str, entity_id: str, sampled_at: str, *, qualified: bool = True,
           category: str = "粮食加工品") -> CloudEvent:
    return cloud("foodsafety.sampling.reported", {
        "sample_id": sample_id, "entity_id": entity_id, "lot_code": f"LOT-{sample_id}",
        "product": "大米", "category": category, "program": "supervisory",
        "sampled_at": sampled_at, "reported_at": sampled_at, "lab": "开封市食品药品检验所",
        "items": [{"analyte": "铅", "qualified": qualified}],
        "verdict": "qualified" if qualified else "unqualified"})


def inspection(inspection_id: str, entity_id: str, at: str,
               reinspection_of: str | None = None) -> CloudEvent:
    return cloud("foodsafety.inspection.recorded", {
        "inspection_id": inspection_id, "entity_id": entity_id, "inspected_at": at,
        "inspectors": ["41020221001", "41020221007"],
        "items": [{"code": "1.1", "key": True, "conforming": True}],
        "result": "conforming", "reinspection_of": reinspection_of})


def assignment(action: int, township: str | None, lead: str = MR,
               co_units: tuple[str, ...] = ("commerce",)) -> dict[str, Any]:
    return {"action": action, "lead": lead, "co_units": list(co_units),
            "township_unit": township and f"township:{township}", "rule": "test"}


def due(day: str) -> dict[str, Any]:
    return {"due_at": f"{day}T23:59:59.999999+08:00", "warn_at": None, "provisional": False}


def history(case_id: str, opened_at: str, entity_id: str | None, assigned: dict[str, Any],
            deadlines: dict[str, str], *steps: tuple[str, dict[str, Any]]) -> list[CaseEvent]:
    """A case's public events: opened, then each (type, data) step, versions from 1."""
    opened = {"case_id": case_id, "opened_at": opened_at, "entity_id": entity_id,
              "assignment": assigned, "deadlines": {n: due(d) for n, d in deadlines.items()},
              "details": {"year": 2024, "action": assigned["action"]}, "state": "open"}
    events = [("case.opened", opened), *steps]
    kind = case_id.split("-", maxsplit=1)[0]
    return [CaseEvent(event_id=f"{case_id}:{v}", case_id=case_id, kind=kind,
                      type=t, version=v, occurred_at=datetime.fromisoformat(
                          d.get("at") or d["opened_at"]), data=d)
            for v, (t, d) in enumerate(events, start=1)]


def moved(at: str, stopped: list[str], started: dict[str, str] | None = None, *,
          closes: bool = False, by: str = MR) -> tuple[str, dict[str, Any]]:
    return ("case.closed" if closes else "case.advanced",
            {"command": "x", "at": at, "by": by, "stopped": stopped, "closes": closes,
             "started": {n: due(d) for n, d in (started or {}).items()},
             "state": "closed" if closes else "working"})


def overdue(name: str, at: str) -> tuple[str, dict[str, Any]]:
    return ("deadline.overdue", {"name": name, "at": at, "escalated_to": "office"})


def facts() -> list[CloudEvent]:
    out = [entity(e, "school_canteen", "北郊乡") for e in CANTEENS_BEIJIAO]
    out += [entity(e, "school_canteen", "午朝门街道") for e in CANTEENS_WUCHAOMEN]
    out += [entity(CANTEEN_2025, "school_canteen", "北郊乡",
                   registered="2025-03-01T09:00:00+08:00"),
            entity(G_A, "catering", "北郊乡", "A"), entity(G_C, "catering", "午朝门街道", "C"),
            entity(G_D, "small_shop", "北郊乡", "D"), entity(MARKET, "market", "午朝门街道")]
    day = iter(range(10, 30))
    out += [sample(f"S-C{n}", e, f"2024-09-{next(day)}T10:00:00+08:00")
            for n, e in enumerate([*CANTEENS_BEIJIAO, CANTEENS_BEIJIAO[0],
                                   *CANTEENS_WUCHAOMEN[:3]])]
    out += [sample("S-C-OLD", CANTEENS_WUCHAOMEN[3], "2023-12-20T10:00:00+08:00"),
            sample("S-C-NEW", CANTEENS_WUCHAOMEN[3], "2025-01-05T10:00:00+08:00"),
            sample("S-D1", G_D, "2024-04-02T10:00:00+08:00", qualified=False, category="蔬菜"),
            sample("S-M1", MARKET, "2024-05-10T10:00:00+08:00", qualified=False, category="蔬菜"),
            sample("S-M2", MARKET, "2024-05-11T10:00:00+08:00", category="蔬菜")]
    out += [inspection("I-A1", G_A, "2024-03-01T10:00:00+08:00"),
            inspection("I-C1", G_C, "2024-03-02T10:00:00+08:00"),
            inspection("I-C2", G_C, "2024-03-20T10:00:00+08:00", reinspection_of="I-C1"),
            inspection("I-D0", G_D, "2023-11-01T10:00:00+08:00"),
            *(inspection(f"I-D{m}", G_D, f"2024-{m:02d}-01T10:00:00+08:00") for m in (2, 6, 10))]
    return out


def case_events() -> list[CaseEvent]:
    action6 = ("development-reform", "commerce", "health", "urban-management")
    return [
        *history("SD-S-D1", "2024-04-12T10:00:00+08:00", G_D, assignment(7, "北郊乡"),
                 {"risk_control": "2024-04-13", "retest_window": "2024-04-23",
                  "disposal": "2024-07-11"},
                 moved("2024-04-12T15:00:00+08:00", ["risk_control"]),
                 moved("2024-04-23T09:00:00+08:00", ["retest_window"]),
                 moved("2024-06-01T09:00:00+08:00", ["disposal"], closes=True)),
        *history("SD-S-M1", "2024-05-20T10:00:00+08:00", MARKET, assignment(5, "午朝门街道"),
                 {"risk_control": "2024-05-21", "retest_window": "2024-05-30",
                  "disposal": "2024-08-20"},
                 overdue("risk_control", "2024-05-21T23:59:59.999999+08:00"),
                 moved("2024-05-22T09:00:00+08:00", ["risk_control"]),
                 moved("2024-05-30T09:00:00+08:00", ["retest_window"]),
                 moved("2024-06-20T09:00:00+08:00", ["disposal"], closes=True)),
        *history("CP-H1", "2024-04-02T09:00:00+08:00", G_A,
                 assignment(6, "北郊乡", co_units=action6), {"acceptance": "2024-04-11"},
                 moved("2024-04-08T09:00:00+08:00", ["acceptance"], {"mediation": "2024-06-14"})),
        *history("CP-H2", "2024-05-20T09:00:00+08:00", G_C,
                 assignment(6, "午朝门街道", co_units=action6), {"acceptance": "2024-05-29"},
                 overdue("acceptance", "2024-05-29T23:59:59.999999+08:00"),
                 moved("2024-05-31T09:00:00+08:00", ["acceptance"], {"mediation": "2024-08-01"})),
        *history("RC-I1", "2024-03-02T10:00:00+08:00", G_C,
                 assignment(6, "午朝门街道", co_units=action6), {"rectification": "2024-03-16"},
                 overdue("rectification", "2024-03-16T23:59:59.999999+08:00"),
                 ("deadline.extended", {"name": "rectification", "at": "2024-03-17T09:00:00+08:00",
                                        "approval_ref": "批-1", "spec": due("2024-03-31")}),
                 moved("2024-03-25T09:00:00+08:00", ["rectification"],
                       {"reinspection": "2024-04-08"}),
                 moved("2024-03-28T09:00:00+08:00", ["reinspection"], closes=True)),
        *history("IV-X", "2024-03-31T23:30:00+08:00", None,
                 assignment(1, None, lead="district-food-safety-office", co_units=()),
                 {"investigation_filing": "2024-04-20"}),
        *history("AS-2024-9", "2024-01-01T00:00:00+08:00", None,
                 assignment(9, None, co_units=("education-sports", "township:北郊乡")),
                 {"summary_due": "2024-12-02"},
                 moved("2024-11-28T16:00:00+08:00", ["summary_due"], closes=True)),
        *history("AS-2024-1", "2024-01-01T00:00:00+08:00", None,
                 assignment(1, None, lead="district-food-safety-office", co_units=()),
                 {"summary_due": "2024-12-02"},
                 moved("2024-12-05T10:00:00+08:00", ["summary_due"], closes=True,
                       by="district-food-safety-office")),
    ]


@pytest.fixture
def view(store_env: dict[str, str]) -> Iterator[Any]:
    cls = SQLiteAssessmentView if store_env["PERSISTENCE_MODULE"].endswith("sqlite") else (
        PostgresAssessmentView)
    factory = InfrastructureFactory.construct(store_env)
    yield factory.tracking_recorder(cls)
    factory.close()


@pytest.fixture
def loaded(view: Any) -> Any:
    projection = AssessmentProjection(view)
    everything: list[Any] = [*facts(), *case_events()]
    for n, start in enumerate(range(0, len(everything), 7), start=1):
        projection.apply(everything[start:start + 7], Tracking(NAME, n))
    return view


def row(rows: list[dict[str, Any]], key: object) -> dict[str, Any]:
    return next(r for r in rows if r["key"] == key)


def test_cases_opened_closed_on_time_and_overdue_per_unit(loaded: Any):
    market = row(loaded.table("2024", "unit", now=NOW), MR)

    assert (market["cases_opened"], market["cases_closed"], market["cases_closed_on_time"],
            market["cases_overdue"]) == (5, 3, 2, 2)  # AS cases are not counted here
    assert (market["closed_on_time_rate"], market["overdue_rate"]) == (0.4, 0.4)
    assert (market["complaints"], market["complaints_on_time"]) == (2, 1)
    assert (market["disposals"], market["disposals_on_time"]) == (2, 1)


def test_a_deadline_met_after_an_approved_extension_is_on_time_and_not_overdue(loaded: Any):
    rectification = loaded.case("RC-I1")
    late_disposal = loaded.case("SD-S-M1")

    assert (rectification["on_time"], rectification["overdue"]) == (1, 0)
    assert rectification["deadlines"]["rectification"]["due_at"].startswith("2024-03-31")
    assert (late_disposal["on_time"], late_disposal["overdue"]) == (0, 1)
    assert loaded.case("CP-H2")["acceptance_on_time"] == 0
    assert loaded.case("CP-H1")["acceptance_on_time"] == 1


def test_samples_and_unqualified_rate_per_township_and_period(loaded: Any):
    year = loaded.table("2024", "township", now=NOW)
    may = loaded.table("2024-05", "township", now=NOW)

    assert (row(year, "北郊乡")["samples"], row(year, "北郊乡")["unqualified_rate"]) == (8, 0.125)
    assert (row(year, "午朝门街道")["samples"], row(year, "午朝门街道")["samples_unqualified"]) \
        == (5, 1)
    assert loaded.totals("2024", now=NOW)["samples"] == 13
    assert (row(may, "午朝门街道")["samples"], row(may, "午朝门街道")["unqualified_rate"]) \
        == (2, 0.5)
    assert row(may, "午朝门街道")["cases_opened"] == 2


def test_quarters_and_months_bucket_by_the_local_opening_date(loaded: Any):
    q1 = loaded.table("2024-Q1", "township", now=NOW)
    q2 = row(loaded.table("2024-Q2", "unit", now=NOW), MR)
    march = loaded.table("2024-03", "action", now=NOW)

    assert row(q1, None)["cases_opened"] == 1  # IV-X, 23:30 on 31 March in China
    assert row(q1, None)["name"] == "未明确"
    assert (q2["cases_opened"], q2["cases_closed"], q2["cases_overdue"], q2["samples"]) \
        == (4, 2, 2, 3)
    assert q2["canteen_coverage"] is None
    assert q2["summaries_due"] == 0
    assert (row(march, 1)["cases_opened"], row(march, 6)["cases_opened"]) == (1, 1)
    assert row(loaded.table("2024-04", "action", now=NOW), 1)["cases_opened"] == 0


def test_school_canteen_coverage_against_the_90_percent_line(loaded: Any):
    coverage = loaded.canteen_coverage(2024)
    townships = {t["township"]: t for t in coverage["townships"]}

    assert (coverage["registered"], coverage["sampled"], coverage["coverage"]) == (10, 9, 0.9)
    assert (coverage["target"], coverage["aim"]) == (0.9, 1.0)
    assert (coverage["meets_target"], coverage["meets_aim"]) == (True, False)
    assert coverage["unsampled"] == [CANTEENS_WUCHAOMEN[3]]
    assert (townships["北郊乡"]["coverage"], townships["北郊乡"]["meets_target"]) == (1.0, True)
    assert (townships["午朝门街道"]["coverage"], townships["午朝门街道"]["meets_target"]) \
        == (0.75, False)
    assert loaded.canteen_coverage(2024, scope=Scope(township="午朝门街道"))["coverage"] == 0.75
    assert loaded.canteen_coverage(2025)["registered"] == 11


def test_inspection_coverage_against_configurable_risk_grade_frequencies(loaded: Any):
    market = row(loaded.table("2024", "unit", now=NOW), MR)
    targets = load_targets()
    counting = targets.model_copy(update={"inspection_frequencies": targets.inspection_frequencies
                                          .model_copy(update={"count_reinspections": True})})
    loaded.configure(AssessmentConfig(targets=counting))

    assert (market["graded_entities"], market["graded_inspected_enough"]) == (3, 2)
    assert row(loaded.table("2024", "unit", now=NOW), MR)["inspection_coverage"] == 1.0


def test_annual_summaries_before_2_december(loaded: Any):
    after = {s["action"]: s for s in loaded.summaries(2024, now=NOW)}
    before = {s["action"]: s for s in loaded.summaries(
        2024, now=datetime(2024, 11, 30, tzinfo=UTC))}

    assert (after[9]["status"], after[9]["submitted_by"]) == ("on_time", MR)
    assert (after[1]["status"], after[1]["days_late"]) == ("late", 3)
    assert after[2]["status"] == "missing"
    assert after[2]["lead"] == "health"
    assert after[2]["due_at"].startswith("2024-12-02T23:59:59")
    assert (before[2]["status"], before[9]["status"]) == ("pending", "on_time")
    market = row(loaded.table("2024", "unit", now=NOW), MR)
    assert (market["summaries_due"], market["summaries_on_time"]) == (8, 1)  # leads 5-12


def test_composite_score_follows_the_weights_and_the_ranking_orders_units(loaded: Any):
    weights = load_weights()
    market = row(loaded.table("2024", "unit", now=NOW), MR)
    rates = {"cases_on_time": 0.4, "no_overdue": 0.6, "complaints_on_time": 0.5,
             "disposals_on_time": 0.5, "canteen_coverage": 0.9,
             "inspection_coverage": 0.6667, "summaries_on_time": 0.125}
    expected = 100 * sum(weights.weight(n) * r for n, r in rates.items()) / sum(
        weights.weight(n) for n in rates)
    ranking = loaded.ranking(2024, now=NOW)
    by_unit = {r["unit"]: r for r in ranking}

    assert all(c.source and c.explanation for c in weights.components.values())
    assert sum(c.weight for c in weights.components.values()) == pytest.approx(1.0)
    assert market["score"] == pytest.approx(expected, abs=0.01)
    assert [(r["rank"], r["unit"], r["score"]) for r in ranking[:5]] == [
        (1, "education-sports", 90.0), (2, "township:北郊乡", 86.11),
        (3, "civil-affairs", 70.0), (3, "public-security", 70.0),  # equal scores share a rank
        (5, "science-industry-it", 66.67)]
    assert by_unit["township:北郊乡"]["components"]["summaries_on_time"] is None
    assert by_unit["agriculture-rural"]["score"] == 0.0  # its summary is missing
    assert "food-safety-committee-members" not in by_unit


def test_other_weights_change_the_score_without_a_rebuild(loaded: Any):
    only_coverage = load_weights().model_copy(update={"components": {
        "canteen_coverage": load_weights().components["canteen_coverage"]}})
    loaded.configure(AssessmentConfig(weights=only_coverage))

    market = row(loaded.table("2024", "unit", now=NOW), MR)
    assert market["score"] == 90.0
    assert row(loaded.table("2024", "unit", now=NOW), "commerce")["score"] is None


def test_scopes_limit_the_rows_to_a_township_or_a_unit(loaded: Any):
    everyone = loaded.table("2024", "township", now=NOW)
    township = loaded.table("2024", "township", scope=Scope(township="北郊乡"), now=NOW)
    commerce = loaded.table("2024", "unit", scope=Scope(unit="commerce"), now=NOW)
    commerce_by_action = loaded.table("2024", "action", scope=Scope(unit="commerce"), now=NOW)

    assert township == [row(everyone, "北郊乡")]
    assert [r["key"] for r in commerce] == ["commerce"]
    assert row(commerce_by_action, 9)["canteens_registered"] == 0
    assert row(commerce_by_action, 7)["cases_opened"] == 1


def snapshot(view: Any) -> list[Any]:
    return [*(view.table(p, by, now=NOW) for p in ("2024", "2024-Q2", "2024-03")
              for by in ("unit", "township", "action")),
            view.canteen_coverage(2024), view.summaries(2024, now=NOW),
            view.ranking(2024, now=NOW)]


def test_reapplying_everything_at_new_positions_or_redelivering_changes_nothing(loaded: Any):
    before = snapshot(loaded)
    projection = AssessmentProjection(loaded)

    projection.apply([*facts(), *case_events()], Tracking(NAME, 100))
    projection.apply([sample("S-EXTRA", MARKET, "2024-05-12T10:00:00+08:00")],
                     Tracking(NAME, 100))  # a redelivered position is skipped

    assert snapshot(loaded) == before
    assert projection.position(NAME) == 100


def test_case_events_in_any_order_fold_to_the_same_row(view: Any):
    projection = AssessmentProjection(view)
    events = [e for e in case_events() if e.case_id == "SD-S-M1"]
    for offset, event in enumerate(reversed(events), start=1):
        projection.apply([event], Tracking(NAME, offset))

    case = view.case("SD-S-M1")
    assert (case["version"], case["on_time"], case["overdue"], case["kind"]) == (5, 0, 1, "SD")
    assert case["closed_at"].startswith("2024-06-20T01:00:00")


def test_the_latest_registration_wins_whatever_the_arrival_order(view: Any):
    projection = AssessmentProjection(view)
    newer = entity(G_A, "catering", "午朝门街道", "B", time="2024-06-01T08:00:00+08:00")
    older = entity(G_A, "catering", "北郊乡", "A", time="2024-01-01T08:00:00+08:00")
    projection.apply([newer], Tracking(NAME, 1))
    projection.apply([older, inspection("I-A1", G_A, "2024-03-01T10:00:00+08:00")],
                     Tracking(NAME, 2))

    townships = view.table("2024", "township", now=NOW)
    assert row(townships, "午朝门街道")["graded_entities"] == 1
    assert row(townships, "北郊乡")["graded_entities"] == 0
    assert projection.applied["foodsafety.entity.registered"] == 2


def test_facts_the_assessment_does_not_read_are_counted_and_ignored(view: Any):
    projection = AssessmentProjection(view)
    complaint = cloud("foodsafety.complaint.received", {
        "complaint_id": "H-9", "kind": "report", "channel": "12315",
        "received_at": "2024-05-01T10:00:00+08:00", "respondent": {"entity_id": G_A},
        "summary": "无证经营", "complainant": {}})

    projection.apply([complaint], Tracking(NAME, 1))

    assert projection.applied == {"ignored:foodsafety.complaint.received": 1}
    assert view.totals("2024", now=NOW)["complaints"] == 0  # complaints come from CP cases
    assert projection.position(NAME) == 1


def test_rows_and_position_are_one_transaction(view: Any):
    view.write(FactRows(), [], Tracking(NAME, 5))
    events = [e for e in case_events() if e.case_id == "IV-X"]

    with pytest.raises(IntegrityError):
        view.write(FactRows(), events, Tracking(NAME, 5))

    assert view.case("IV-X") is None
    assert view.position(NAME) == 5
    assert default_config().targets.canteen_sampling_coverage.target == 0.9


ROLES = {"district-food-safety-office": "office", "auditor": "auditor", MR: "unit",
         "commerce": "unit", "township:北郊乡": "unit"}


@pytest.fixture
def client(loaded: Any) -> Iterator[TestClient]:
    credentials = Credentials(callers=[
        Caller(unit=unit, role=Role(role), token_sha256=hashlib.sha256(token(unit).encode())
               .hexdigest()) for unit, role in ROLES.items()])
    app = FastAPI()

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)

    app.include_router(assessment_router(loaded, credentials))
    with TestClient(app) as http:
        yield http


def token(unit: str) -> str:
    return f"token-{list(ROLES).index(unit)}"


def as_unit(unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(unit)}"}


def test_every_assessment_endpoint_needs_a_token(client: TestClient):
    for path in ("/assessment?period=2024", "/assessment.csv?period=2024",
                 "/assessment/canteen-coverage?year=2024", "/assessment/ranking?year=2024",
                 "/assessment/summaries?year=2024", "/bulletin?period=2024"):
        answer = client.get(path)
        assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated"), path


def test_the_office_sees_every_unit_and_a_unit_only_its_own_row(client: TestClient):
    office = client.get("/assessment?period=2024&by=unit", headers=as_unit(
        "district-food-safety-office")).json()
    market = client.get("/assessment?period=2024&by=unit", headers=as_unit(MR)).json()
    ranking = client.get("/assessment/ranking?year=2024", headers=as_unit("commerce")).json()

    assert len(office) > 10
    assert [r["key"] for r in market] == [MR]
    assert market[0]["cases_opened"] == 5
    assert [r["unit"] for r in ranking] == ["commerce"]


def test_a_township_sees_its_townships_figures(client: TestClient):
    rows = client.get("/assessment?period=2024&by=township",
                      headers=as_unit("township:北郊乡")).json()
    coverage = client.get("/assessment/canteen-coverage?year=2024",
                          headers=as_unit("township:北郊乡")).json()
    auditor = client.get("/assessment/canteen-coverage?year=2024",
                         headers=as_unit("auditor")).json()

    assert [r["key"] for r in rows] == ["北郊乡"]
    assert (coverage["registered"], coverage["coverage"]) == (6, 1.0)
    assert [t["township"] for t in coverage["townships"]] == ["北郊乡"]
    assert (auditor["registered"], auditor["sampled"]) == (10, 9)


def test_csv_and_bulletins_over_http(client: TestClient):
    office = as_unit("district-food-safety-office")
    sheet = client.get("/assessment.csv?period=2024-Q2&by=action", headers=office)
    markdown = client.get("/bulletin?period=2024&format=md", headers=office)
    page = client.get("/bulletin?period=2024&format=html", headers=as_unit("auditor"))

    assert sheet.headers["content-type"].startswith("text/csv")
    assert sheet.text.startswith("\ufeffperiod,by,key,name,")
    assert "assessment-2024-Q2-action.csv" in sheet.headers["content-disposition"]
    assert markdown.text.startswith("# 龙亭区食品安全放心工程建设攻坚行动评议考核通报（2024年）")
    assert page.headers["content-type"].startswith("text/html")
    assert "学校食堂抽检覆盖率" in page.text
    assert client.get("/bulletin?period=2024", headers=as_unit(MR)).status_code == 403


def test_a_bad_period_or_grouping_is_refused(client: TestClient):
    office = as_unit("district-food-safety-office")
    bad_period = client.get("/assessment?period=2024-Q7", headers=office)

    assert (bad_period.status_code, bad_period.json()["code"]) == (422, "invalid_period")
    assert client.get("/assessment?period=2024&by=lead", headers=office).status_code == 422
    assert client.get("/assessment/ranking?year=24", headers=office).status_code == 422


def test_the_api_is_described_in_openapi(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]

    assert {"/assessment", "/assessment.csv", "/assessment/canteen-coverage",
            "/assessment/ranking", "/assessment/summaries", "/bulletin"} <= set(paths)
