"""The console's parts without a browser: layout, words, reference data, and the app against a
fake workflow / projections (the access decisions stay the APIs')."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.console.app import create_app, templates
from services.console.charts import bar_chart
from services.console.graph import MAX_PER_COLUMN, build_graph
from services.console.i18n import MESSAGES, term, translator
from services.console.pages import safe_next
from services.console.reference import load_reference
from services.console.session import csrf_ok, csrf_token
from services.console.settings import ConsoleSettings
from services.workflow.domain.calendar import SHANGHAI

TOKEN = "office-token"


def lot_item(code: str, depth: int) -> dict[str, Any]:
    return {"lot_code": code, "depth": depth}


def link(source: str, target: str) -> dict[str, Any]:
    return {"lot_code": target, "from_lot": source, "to_lot": target, "product": "韭菜",
            "kind": "transformed"}


# --- the trace graph -----------------------------------------------------------------------

def test_upstream_lots_stand_left_of_the_traced_lot_and_recipients_right():
    up = {"lot": "LT1", "lots": [lot_item("LT1", 0), lot_item("FARM-A", 1),
                                 lot_item("FARM-B", 1), lot_item("SEED", 2)],
          "movements": [link("FARM-A", "LT1"), link("FARM-B", "LT1"), link("SEED", "FARM-A")]}
    down = {"lot": "LT1", "lots": [lot_item("LT1", 0), lot_item("PACK", 1)],
            "movements": [link("LT1", "PACK")]}
    scope = [{"entity_id": "E1", "name": "饭店", "township": "北郊乡", "lot_code": "PACK"}]

    graph = build_graph("LT1", up, down, scope, {"FARM-B"})

    nodes = {n.key: n for n in graph.nodes}
    assert nodes["lot:SEED"].x < nodes["lot:FARM-A"].x < nodes["lot:LT1"].x
    assert nodes["lot:LT1"].x < nodes["lot:PACK"].x < nodes["entity:E1"].x
    assert nodes["lot:LT1"].kind == "root"
    assert nodes["lot:FARM-B"].flagged
    assert not nodes["lot:FARM-A"].flagged
    edges = {(e.source.key, e.target.key): e.inferred for e in graph.edges}
    assert edges == {("lot:FARM-A", "lot:LT1"): False, ("lot:FARM-B", "lot:LT1"): False,
                     ("lot:SEED", "lot:FARM-A"): False, ("lot:LT1", "lot:PACK"): False,
                     ("lot:PACK", "entity:E1"): False}
    assert [kind for kind, _, _ in graph.columns] == ["upstream", "upstream", "root",
                                                      "downstream", "recipients"]
    assert all(n.x >= 0 and n.x + 200 <= graph.width for n in graph.nodes)
    assert all(n.y >= 0 and n.y + 40 <= graph.height for n in graph.nodes)


def test_a_lot_reached_without_a_link_is_joined_to_the_traced_lot_by_a_dashed_edge():
    up = {"lot": "LT1", "lots": [lot_item("LT1", 0), lot_item("PALLET", 1)], "movements": []}
    graph = build_graph("LT1", up, {"lots": [], "movements": []}, [])

    [edge] = graph.edges
    assert (edge.source.key, edge.target.key, edge.inferred) == ("lot:PALLET", "lot:LT1", True)
    assert edge.path.startswith(f"M{edge.source.x + 200:.1f},")


def test_a_crowded_column_ends_in_a_count_of_the_rest():
    scope = [{"entity_id": f"E{i:03}", "name": f"店{i}", "township": "", "lot_code": "LT1"}
             for i in range(MAX_PER_COLUMN + 10)]
    graph = build_graph("LT1", {"lots": [lot_item("LT1", 0)], "movements": []},
                        {"lots": [], "movements": []}, scope)

    businesses = [n for n in graph.nodes if n.column == 1]
    assert len(businesses) == MAX_PER_COLUMN
    assert businesses[-1].kind == "more"
    assert businesses[-1].label == "+11"


def test_bars_scale_to_the_value_and_the_target_line_sits_at_90_percent():
    chart = bar_chart([("全区", 0.862), ("北郊乡", 1.0), ("水稻乡", None)], target=0.9,
                      target_label="目标线 90%")

    district, full, empty = chart.bars
    assert full.width == chart.bar_width
    assert district.width == pytest.approx(0.862 * chart.bar_width)
    assert district.below
    assert not full.below
    assert (empty.width, empty.text, empty.below) == (0.0, "—", False)
    assert chart.target_x == pytest.approx(chart.label_width + 0.9 * chart.bar_width)


# --- words and reference data --------------------------------------------------------------

def test_both_languages_have_every_page_message():
    page_keys = {k for k in MESSAGES["zh"] if k.split(".")[0] not in
                 {"kind", "cmd", "arg", "state", "dl", "holiday", "ekind", "result", "pause"}}
    assert page_keys == set(MESSAGES["en"]) - {k for k in MESSAGES["en"] if k.startswith("kind.")}
    assert translator("en")("cases.left.days", n=3) == "3 working days left"
    assert translator("zh")("cases.left.days", n=3) == "剩 3 个工作日"
    assert term("zh", "cmd", "refuse_complaint") == "不予受理"
    assert term("en", "cmd", "refuse_complaint") == "refuse complaint"
    assert term("zh", "cmd", "no_such_command") == "no_such_command"


def test_every_command_and_state_of_the_machines_has_a_chinese_word():
    ref = load_reference()
    for kind in ("SD", "RV", "RC", "IV", "CP", "RP", "AS", "KA"):
        machine = ref.machine(kind)
        assert machine is not None
        for move in machine.transitions.values():
            assert f"cmd.{move.command}" in MESSAGES["zh"], move.command
            assert f"state.{move.target}" in MESSAGES["zh"], move.target
            for need in move.needs:
                assert f"arg.{need}" in MESSAGES["zh"], need


def test_refusal_reasons_come_from_the_case_rule_set():
    ref = load_reference()
    order_20 = ref.command_form("CP", "refuse_complaint", "complaints/samr-order-20-2022")
    order_121 = ref.command_form("CP", "refuse_complaint", "complaints/samr-order-121-2025")

    assert order_20.reason_list == "refusal_reasons"
    assert [r.code for r in order_20.reasons][:2] == ["outside_duties", "already_handled"]
    assert len(order_20.reasons) == 6
    assert "identity_not_verified" in {r.code for r in order_121.reasons}
    assert ref.command_form("CP", "accept_complaint", "complaints/samr-order-20-2022"
                            ).reasons == ()
    assert ref.command_form("RV", "verify_recall", None).needs == ("quantity",)


def test_working_days_left_count_as_the_workflow_calendar_does():
    ref = load_reference()
    now = datetime(2024, 9, 27, 10, tzinfo=SHANGHAI)  # a Friday before the National Day week
    for days in range(-400, 60, 7):
        due = now + timedelta(days=days)
        assert ref.working_days_left(due, now) == ref.calendar.working_days_between(
            now.date(), due.date()), due


def test_rest_days_a_deadline_skips_name_the_holiday():
    ref = load_reference()
    skipped, count = ref.skipped_days(datetime(2024, 9, 30, 9, tzinfo=SHANGHAI),
                                      datetime(2024, 10, 9, 18, tzinfo=SHANGHAI))
    assert count == 7  # 1-7 October; the 12th is a working Saturday, outside the span
    assert skipped[0].day == date(2024, 10, 1)
    assert skipped[0].holiday == "National Day"


def test_only_local_paths_are_followed_after_sign_in():
    assert safe_next("/cases/CP-1?x=1") == "/cases/CP-1?x=1"
    for unsafe in ("//evil.example", "https://evil.example", "/\\evil", "", None):
        assert safe_next(unsafe) == "/cases"


def test_the_csrf_token_is_bound_to_the_session_token():
    assert csrf_ok("a", csrf_token("a"))
    assert not csrf_ok("b", csrf_token("a"))
    assert not csrf_ok("a", None)


def test_pages_escape_what_the_apis_say():
    html = templates().get_template("error.html").render(
        t=translator("zh"), lang="zh", html_lang="zh-CN", user=None, unit_label="", here="/",
        other_lang="en", term=lambda p, n: n,
        refusal=type("R", (), {"code": "x", "message": "<script>alert(1)</script>"})())
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the app against fake APIs -------------------------------------------------------------

CASE = {
    "case_id": "CP-1", "kind": "CP", "state": "received", "tracks": {"complaint": "received"},
    "version": 3, "assignment": {"action": 6, "lead": "market-regulation",
                                 "township_unit": "township:北郊乡"},
    "owners": ["market-regulation", "township:北郊乡"], "entity_id": "E<1>",
    "rule_set": "complaints/samr-order-20-2022", "opened_at": "2024-09-30T10:00:00+08:00",
    "closed_at": None, "details": {"summary": "<img src=x onerror=alert(1)>"},
    "available_commands": ["accept_complaint", "refuse_complaint"],
    "deadlines": {"acceptance": {
        "started_at": "2024-09-30T10:00:00+08:00", "due_at": "2024-10-16T23:59:59+08:00",
        "budget": {"amount": 7, "unit": "working_days"}, "status": "running",
        "overdue": True, "escalated_to": "district-food-safety-office", "provisional": False}},
    "history": [{"version": 1, "type": "case.opened", "at": "2024-09-30T10:00:00+08:00",
                 "by": None, "recorded_at": "2024-09-30T02:00:01+00:00"}],
}
ROW = {"case_id": "CP-1", "kind": "CP", "action": 6, "lead": "market-regulation",
       "owners": ["market-regulation"], "township_unit": "township:北郊乡", "entity_id": "E1",
       "state": "received", "closed": False, "opened_at": "2024-09-30T02:00:00+00:00",
       "version": 3, "overdue": 1, "next_due": "2024-10-16T15:59:59+00:00",
       "provisional": False}


class FakeApis:
    """The workflow and projections as a unit token sees them; records what it was sent."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []
        self.refuse_with: tuple[int, str, str] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"code": "unauthenticated", "message": "no"})
        path = request.url.path
        if request.method == "POST" and path == "/cases/CP-1/commands":
            if self.refuse_with:
                status, code, message = self.refuse_with
                return httpx.Response(status, json={"code": code, "message": message})
            return httpx.Response(200, json={"outcome": "applied", "case": CASE})
        if path == "/cases":
            return httpx.Response(200, json=[ROW])
        if path == "/cases/CP-1":
            return httpx.Response(200, json=CASE)
        return httpx.Response(404, json={"code": "not_found", "message": path})


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
def client(apis: FakeApis, tmp_path: Path) -> Iterator[TestClient]:
    settings = ConsoleSettings(_env_file=None, workflow_url="http://workflow",  # type: ignore[call-arg]
                               projections_url="http://projections")
    app = create_app(settings, transport=httpx.MockTransport(apis))
    with TestClient(app, base_url="http://console", follow_redirects=False) as found:
        yield found


def test_a_page_without_a_session_asks_to_sign_in(client: TestClient):
    answer = client.get("/cases?view=overdue")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fcases%3Fview%3Doverdue"


def test_sign_in_checks_the_token_with_the_api_and_keeps_it_httponly_strict(client: TestClient):
    refused = client.post("/signin", content="token=wrong&next=/cases",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 401
    assert "令牌无效" in refused.text

    answer = client.post("/signin", content=f"token={TOKEN}&next=//evil.example",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/cases"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_the_case_list_shows_overdue_rows_escaped(client: TestClient, apis: FakeApis):
    client.cookies.set("fangxin_session", TOKEN)
    answer = client.get("/cases?view=overdue&kind=CP&township=township:北郊乡&action=6")
    assert answer.status_code == 200
    assert 'data-case="CP-1"' in answer.text
    assert "逾期" in answer.text
    sent = apis.sent[-1].url.params
    assert (sent["state"], sent["overdue"], sent["kind"], sent["action"]) == (
        "open", "true", "CP", "6")
    assert sent["township"] == "township:北郊乡"
    page = client.get("/cases/CP-1")
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "不属于市场监督管理部门职责" in page.text  # the refusal reasons, as choices
    assert "国庆节" in page.text  # the deadline skips the National Day holidays


def test_a_command_is_posted_with_the_users_token_then_redirected(client: TestClient,
                                                                  apis: FakeApis):
    client.cookies.set("fangxin_session", TOKEN)
    form = (f"csrf={csrf_token(TOKEN)}&idempotency=k1&command=refuse_complaint"
            "&reason=outside_duties&arg_note=+")
    answer = client.post("/cases/CP-1/act", content=form,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/cases/CP-1"
    posted = apis.sent[-1]
    assert posted.headers["authorization"] == f"Bearer {TOKEN}"
    assert posted.headers["idempotency-key"] == "console-k1"
    assert json.loads(posted.content) == {"command": "refuse_complaint",
                                          "reason": "outside_duties", "args": {}}
    assert "不予受理" in client.get("/cases/CP-1").text


def test_a_refused_command_shows_the_apis_message(client: TestClient, apis: FakeApis):
    client.cookies.set("fangxin_session", TOKEN)
    apis.refuse_with = (409, "command_not_allowed", "'accept_complaint' is not allowed")
    form = f"csrf={csrf_token(TOKEN)}&command=accept_complaint"
    answer = client.post("/cases/CP-1/act", content=form,
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303
    page = client.get("/cases/CP-1")
    assert "未能办理：&#39;accept_complaint&#39; is not allowed" in page.text


def test_a_form_without_the_csrf_token_is_not_sent(client: TestClient, apis: FakeApis):
    client.cookies.set("fangxin_session", TOKEN)
    before = len(apis.sent)
    answer = client.post("/cases/CP-1/act", content="command=accept_complaint",
                         headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303
    assert len(apis.sent) == before


def test_a_token_the_api_no_longer_takes_ends_the_session(client: TestClient):
    client.cookies.set("fangxin_session", "revoked")
    answer = client.get("/cases/CP-1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"
    assert 'fangxin_session=""' in answer.headers["set-cookie"]


# --- the answer cache of the slow aggregate queries ------------------------------------------

def test_answers_are_reused_per_token_and_a_reload_asks_again():
    import asyncio  # noqa: PLC0415

    from services.console.api import AnswerCache, Api  # noqa: PLC0415

    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["authorization"])
        return httpx.Response(200, json={"n": len(calls)})

    async def scenario() -> list[int]:
        cache = AnswerCache(60)
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            def api(token: str, *, fresh: bool = False) -> Api:
                return Api(client, token, {"projections": "http://p"}, cache=cache, fresh=fresh)
            first, same = await asyncio.gather(  # two pages at once: one call
                api("a").cached("projections", "/assessment", period="2024", by="unit"),
                api("a").cached("projections", "/assessment", by="unit", period="2024"))
            other = await api("b").cached("projections", "/assessment", period="2024",
                                          by="unit")
            reloaded = await api("a", fresh=True).cached("projections", "/assessment",
                                                         period="2024", by="unit")
            later = await api("a").cached("projections", "/assessment", period="2024",
                                          by="unit")
            return [r.json()["n"] for r in (first, same, other, reloaded, later)]

    assert asyncio.run(scenario()) == [1, 1, 2, 3, 3]
    assert calls == ["Bearer a", "Bearer b", "Bearer a"]


def test_units_share_a_place_when_their_scores_tie():
    from services.console.pages import ranks  # noqa: PLC0415

    rows = [{"key": "a", "score": 80.0}, {"key": "b", "score": 100.0},
            {"key": "c", "score": 100.0}, {"key": "d", "score": None}]
    assert ranks(rows) == {"b": 1, "c": 1, "a": 3}


def test_only_working_day_deadlines_list_the_rest_days_they_skip():
    from services.console.views import deadline_views  # noqa: PLC0415

    span = {"started_at": "2024-09-30T09:00:00+08:00", "due_at": "2024-10-09T18:00:00+08:00",
            "status": "running", "overdue": True}
    views = deadline_views({
        "acceptance": {**span, "budget": {"amount": 5, "unit": "working_days"}},
        "disposal": {**span, "budget": {"amount": 9, "unit": "calendar_days"}}},
        load_reference(), "zh", translator("zh"))
    by_name = {v.name: v for v in views}
    assert by_name["acceptance"].skipped_count == 7
    assert by_name["acceptance"].status == "已逾期"
    assert by_name["disposal"].skipped_count == 0
    assert not by_name["disposal"].counts_working_days


def test_a_mediation_clock_may_stop_for_the_pauses_its_rule_does_not_count():
    from services.console.views import act_form  # noqa: PLC0415

    running = {"status": "running", "rule_set": "complaints/samr-order-20-2022"}
    case = {"kind": "CP", "rule_set": "complaints/samr-order-20-2022", "closed_at": None,
            "available_commands": ["record_agreement", "terminate_mediation"],
            "deadlines": {"mediation": running}}
    form = act_form(case, load_reference())
    assert form.pausable == [("mediation", ("recusal", "testing"))]
    assert form.resumable == []
    assert [c.command for c in form.commands] == ["record_agreement", "terminate_mediation"]
    assert len(form.commands[1].reasons) == 7  # Order 20 Art. 21's termination grounds

    paused = {**case, "deadlines": {"mediation": {**running, "paused_since": "2024-01-02"}}}
    assert act_form(paused, load_reference()).resumable == ["mediation"]
    assert act_form({**case, "closed_at": "2024-02-01"}, load_reference()).pausable == []
