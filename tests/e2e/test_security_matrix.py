"""Who may read and do what (issue 8, point 4): the authorization matrix on the real pipeline.

Given a catering business registered in 北郊乡 and seven complaints about it (seven CP cases,
one per caller, all
assigned by the work plan's routing to action 6: lead ``market-regulation``, co-units including
``health``, township unit ``township:北郊乡``), when each kind of caller calls every endpoint that
reads scoped data or acts, then it gets exactly the status of the table below, which restates
the rules the code documents:

- workflow and projections cases: the district office and auditors see every case, a unit the
  cases it leads, co-handles or holds as township (``Case.owners()``); the others get an empty
  list, and a case of someone else's answers exactly as a missing one (the same 404 and body),
  so a valid token cannot probe which case ids exist;
- commands: any owner and the district office act; auditors never act (403, whatever the id);
  a non-owner gets the 404 of a missing case;
- an entity dossier: office, auditors, its township, and the units of its cases; the others get
  the 404 of an unknown entity;
- assessment: everyone, scoped to what they own; the bulletin: office and auditors;
- read-model administration: the district office only.

Every service runs as its own process on Kafka and PostgreSQL (``pipeline``); the test fails
(never skips) without them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fangxin.local.services import ServiceProcess
from tests.e2e.conftest import Pipeline
from tests.e2e.test_skeleton_path import eventually, publish
from tests.fixtures.producers import TEST_MARKET
from tests.unit.contracts.examples import CATERING_USCC, example

pytestmark = pytest.mark.e2e

ACTORS = {  # who -> the local unit whose token it uses (None: no token at all)
    "office": "district-food-safety-office",
    "lead": "market-regulation",
    "co-unit": "health",
    "township": "township:北郊乡",
    "auditor": "auditor",
    "outsider": "education-sports",  # a valid token; owns nothing about this business
    "anonymous": None,
}
WHO = tuple(ACTORS)
MISSING = "CP-NO-SUCH-CASE"
MISSING_ENTITY = "91410202NOSUCH000X"

# endpoint -> expected status per actor, in the order of WHO:
#              office lead co-unit township auditor outsider anonymous
MATRIX: dict[str, tuple[int, ...]] = {
    "workflow GET /cases":                    (200, 200, 200, 200, 200, 200, 401),
    "workflow GET /cases/{id}":               (200, 200, 200, 200, 200, 404, 401),
    "workflow GET /cases/{missing}":          (404, 404, 404, 404, 404, 404, 401),
    "workflow POST /cases/{id}/commands":     (200, 200, 200, 200, 403, 404, 401),
    "workflow POST /cases/{missing}/commands": (404, 404, 404, 404, 403, 404, 401),
    "workflow POST /calendar/years":          (422, 403, 403, 403, 403, 403, 401),
    "projections GET /cases":                 (200, 200, 200, 200, 200, 200, 401),
    "projections GET /cases/{id}":            (200, 200, 200, 200, 200, 404, 401),
    "projections GET /cases/{missing}":       (404, 404, 404, 404, 404, 404, 401),
    "projections GET /cases/summary":         (200, 200, 200, 200, 200, 200, 401),
    "projections GET /entities/{id}":         (200, 200, 200, 200, 200, 404, 401),
    "projections GET /entities/{missing}":    (404, 404, 404, 404, 404, 404, 401),
    "projections GET /assessment":            (200, 200, 200, 200, 200, 200, 401),
    "projections GET /bulletin":              (200, 403, 403, 403, 200, 403, 401),
    "projections GET /admin/read-models":     (200, 403, 403, 403, 403, 403, 401),
    "projections POST /admin/rebuild":        (202, 403, 403, 403, 403, 403, 401),
}
# a scoped entity the caller may not see answers as its missing counterpart does
AS_MISSING = {"workflow GET /cases/{id}": "workflow GET /cases/{missing}",
              "workflow POST /cases/{id}/commands": "workflow POST /cases/{missing}/commands",
              "projections GET /cases/{id}": "projections GET /cases/{missing}",
              "projections GET /entities/{id}": "projections GET /entities/{missing}"}
# how many of the cases (one per caller) each one finds in a list (the lists answer 200 to
# everyone with a token)
SEES = {"office": 7, "lead": 7, "co-unit": 7, "township": 7, "auditor": 7, "outsider": 0,
        "anonymous": None}


@dataclass
class Caller:
    name: str
    token: str | None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, service: ServiceProcess, method: str, path: str,
             body: Any = None, **params: str) -> httpx.Response:
        return httpx.request(method, f"{service.url}{path}", headers=self.headers(),
                             json=body, params=params, timeout=30)


def complaint(complaint_id: str) -> bytes:
    data = example("foodsafety.complaint.received", complaint_id=complaint_id)
    return json.dumps({"specversion": "1.0", "id": f"cmp-{complaint_id}", "source": TEST_MARKET,
                       "type": "foodsafety.complaint.received",
                       "time": "2023-06-18T14:05:00+08:00", "data": data},
                      ensure_ascii=False).encode()


def registration() -> bytes:
    data = example("foodsafety.entity.registered", entity_id=CATERING_USCC, kind="catering",
                   township="北郊乡", name="开封市龙亭区北郊乡安全测试饭店")
    return json.dumps({"specversion": "1.0", "id": f"reg-{uuid.uuid4().hex[:8]}",
                       "source": TEST_MARKET, "type": "foodsafety.entity.registered",
                       "time": "2023-01-10T09:00:00+08:00", "data": data},
                      ensure_ascii=False).encode()


def case_of(who: str) -> str:
    return f"CP-SEC-{who.upper()}"


def test_each_caller_gets_exactly_the_status_the_access_rules_give(pipeline: Pipeline):
    callers = {who: Caller(who, pipeline.tokens[unit] if unit else None)
               for who, unit in ACTORS.items()}
    office = callers["office"]
    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, registration(),
                        *(complaint(case_of(who)[3:]) for who in WHO)))
    ours = {case_of(who) for who in WHO}
    wf, pj = pipeline.workflow, pipeline.projections
    eventually(lambda: ours <= {c["case_id"] for c in office.call(
        wf, "GET", "/cases", kind="CP").json()}, what="the CP cases in the workflow's index")
    eventually(lambda: ours <= {c["case_id"] for c in office.call(
        pj, "GET", "/cases", kind="CP").json()}, what="the CP cases in the read model")
    eventually(lambda: len(office.call(pj, "GET", f"/entities/{CATERING_USCC}").json().get(
        "cases", [])) >= len(ours), what="the dossier lists the cases")
    case = office.call(wf, "GET", f"/cases/{case_of('office')}").json()
    assert case["assignment"]["lead"] == ACTORS["lead"]  # the routing the table assumes
    assert ACTORS["co-unit"] in case["assignment"]["co_units"]
    assert case["assignment"]["township_unit"] == ACTORS["township"]
    assert ACTORS["outsider"] not in case["owners"]

    got: dict[str, dict[str, int]] = {endpoint: {} for endpoint in MATRIX}
    bodies: dict[tuple[str, str], str] = {}  # (endpoint, who) -> the body, its id as <id>

    def seen_as(endpoint: str, who: str, answer: httpx.Response, named: str) -> int:
        bodies[endpoint, who] = answer.text.replace(named, "<id>")
        return answer.status_code
    seen: dict[str, dict[str, int | None]] = {"workflow": {}, "projections": {}}
    for who, caller in callers.items():
        mine = case_of("office")  # every owner owns all seven
        row = got
        answer = caller.call(wf, "GET", "/cases", kind="CP", limit="1000")
        row["workflow GET /cases"][who] = answer.status_code
        seen["workflow"][who] = _count(answer, ours)
        row["workflow GET /cases/{id}"][who] = seen_as(
            "workflow GET /cases/{id}", who, caller.call(wf, "GET", f"/cases/{mine}"), mine)
        row["workflow GET /cases/{missing}"][who] = seen_as(
            "workflow GET /cases/{missing}", who, caller.call(wf, "GET", f"/cases/{MISSING}"),
            MISSING)
        row["workflow POST /cases/{missing}/commands"][who] = seen_as(
            "workflow POST /cases/{missing}/commands", who, caller.call(
                wf, "POST", f"/cases/{MISSING}/commands", {"command": "accept_complaint"}),
            MISSING)
        row["workflow POST /calendar/years"][who] = caller.call(
            wf, "POST", "/calendar/years", {"year": 2031, "holidays": "not a list"}).status_code
        answer = caller.call(pj, "GET", "/cases", kind="CP", limit="1000")
        row["projections GET /cases"][who] = answer.status_code
        seen["projections"][who] = _count(answer, ours)
        row["projections GET /cases/{id}"][who] = seen_as(
            "projections GET /cases/{id}", who, caller.call(pj, "GET", f"/cases/{mine}"), mine)
        row["projections GET /cases/{missing}"][who] = seen_as(
            "projections GET /cases/{missing}", who, caller.call(
                pj, "GET", f"/cases/{MISSING}"), MISSING)
        summary = caller.call(pj, "GET", "/cases/summary")
        row["projections GET /cases/summary"][who] = summary.status_code
        if summary.status_code == 200:  # the summary counts only what the caller may see
            cp = [k["cases"] for k in summary.json()["by_kind"] if k["kind"] == "CP"]
            assert sum(cp) == SEES[who], (who, summary.json())
        row["projections GET /entities/{id}"][who] = seen_as(
            "projections GET /entities/{id}", who, caller.call(
                pj, "GET", f"/entities/{CATERING_USCC}"), CATERING_USCC)
        row["projections GET /entities/{missing}"][who] = seen_as(
            "projections GET /entities/{missing}", who, caller.call(
                pj, "GET", f"/entities/{MISSING_ENTITY}"), MISSING_ENTITY)
        row["projections GET /assessment"][who] = caller.call(
            pj, "GET", "/assessment", period="2023").status_code
        row["projections GET /bulletin"][who] = caller.call(
            pj, "GET", "/bulletin", period="2023").status_code
        row["projections GET /admin/read-models"][who] = caller.call(
            pj, "GET", "/admin/read-models").status_code
    # acting: each caller on its own case, so that each allowed command finds it "received"
    for who, caller in callers.items():
        got["workflow POST /cases/{id}/commands"][who] = seen_as(
            "workflow POST /cases/{id}/commands", who, caller.call(
                wf, "POST", f"/cases/{case_of(who)}/commands", {"command": "accept_complaint"}),
            case_of(who))
    # the rebuild last, the office last of all (it starts one)
    for who, caller in reversed(callers.items()):
        got["projections POST /admin/rebuild"][who] = caller.call(
            pj, "POST", "/admin/rebuild", {"read_models": ["cases"]}).status_code

    table = {endpoint: tuple(statuses[who] for who in WHO) for endpoint, statuses in got.items()}
    assert table == MATRIX
    for existing, missing in AS_MISSING.items():  # not yours: the very answer of a missing id
        for who in WHO:
            if got[existing][who] == 404:
                assert bodies[existing, who] == bodies[missing, who], (existing, who)
    assert bodies["workflow GET /cases/{id}", "outsider"] == (
        '{"code":"case_not_found","message":"no case \'<id>\'"}')
    assert seen == {"workflow": SEES, "projections": SEES}
    for who in WHO:  # an allowed command is in its case's history, by whom; a refused one not
        history = office.call(wf, "GET", f"/cases/{case_of(who)}").json()["history"]
        acted = [h["by"] for h in history if h["command"] == "accept_complaint"]
        allowed = MATRIX["workflow POST /cases/{id}/commands"][WHO.index(who)] == 200
        by = {"office": "district-food-safety-office"}.get(who, ACTORS[who])
        assert acted == ([by] if allowed else []), (who, acted)
    eventually(lambda: office.call(pj, "GET", "/admin/rebuild").json().get("state") in
               {"done", "failed"}, timeout=120,
               what="the office's rebuild finished")


def _count(answer: httpx.Response, ours: set[str]) -> int | None:
    if answer.status_code != 200:
        return None
    return len({c["case_id"] for c in answer.json()} & ours)
