"""The console's pages: each one asks the APIs with the signed-in unit's token, then renders.

No ``from __future__ import annotations``: FastAPI must see the real parameter types.
"""

import asyncio
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from services.console.api import AnswerCache, Api, ApiRefusal, Timings, segment
from services.console.charts import bar_chart, percent
from services.console.graph import build_graph
from services.console.i18n import DEFAULT, HTML_LANG, LANGUAGES, pick, term, translator
from services.console.reference import KINDS, Reference
from services.console.session import (
    FLASH,
    LANG,
    SESSION,
    User,
    clear_session,
    csrf_ok,
    current_user,
    set_session,
)
from services.console.settings import ConsoleSettings
from services.console.views import (
    VIEWS,
    act_form,
    case_rows,
    deadline_views,
    history_entries,
    local,
    quantities,
    scope_by_township,
    state_label,
)
from services.platform.auth import Credentials

BY = ("unit", "township", "action")


class SignInRequired(Exception):  # noqa: N818 - a control-flow signal, handled as a redirect
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class Deps:
    settings: ConsoleSettings
    reference: Reference
    credentials: Credentials
    templates: Environment
    cache: AnswerCache
    client: httpx.AsyncClient | None = None

    @property
    def urls(self) -> dict[str, str]:
        return {"workflow": self.settings.workflow_url.rstrip("/"),
                "projections": self.settings.projections_url.rstrip("/")}


@dataclass
class Page:
    """One request's context: who, in which language, and its view of the APIs."""

    request: Request
    deps: Deps
    user: User
    api: Api
    lang: str

    def t(self, key: str, **values: Any) -> str:
        return translator(self.lang)(key, **values)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, self.deps, template, self.lang, self.user, status=status,
                      **context)


def language(request: Request) -> str:
    return pick(request.cookies.get(LANG) or DEFAULT)


def render(request: Request, deps: Deps, template: str, lang: str, user: User | None, *,
           status: int = 200, **context: Any) -> HTMLResponse:
    t = translator(lang)
    unit_label = ""
    if user is not None:
        unit_label = deps.reference.unit_name(user.unit) if user.unit else ""
        if user.role is not None:
            unit_label = f"{unit_label}（{t('role.' + user.role.value)}）"
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = deps.templates.get_template(template).render(
        t=t, lang=lang, html_lang=HTML_LANG[lang], user=user, unit_label=unit_label,
        here=here, other_lang="en" if lang == "zh" else "zh", term=lambda p, n: term(lang, p, n),
        **context)
    return HTMLResponse(html, status_code=status)


def page_of(request: Request, deps: Deps) -> Page:
    user = current_user(request, deps.credentials)
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    assert deps.client is not None, "the console's HTTP client starts with the app"
    timings: Timings = request.state.timings
    fresh = "no-cache" in request.headers.get("cache-control", "")
    return Page(request, deps, user, Api(deps.client, user.token, deps.urls, timings,
                                         deps.cache, fresh), language(request))


def safe_next(value: str | None) -> str:
    """A local path to go back to (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/cases"
    return value


async def form_of(request: Request) -> dict[str, str]:
    """An urlencoded form body, one value per field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def take_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    try:
        found = json.loads(unquote(raw))
    except ValueError:
        return None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None


def with_flash(response: Response, message: Mapping[str, str] | None) -> Response:
    if message is None:
        response.delete_cookie(FLASH, path="/")
    else:
        response.set_cookie(FLASH, quote(json.dumps(dict(message), ensure_ascii=False)),
                            max_age=60, httponly=True, samesite="strict", path="/")
    return response


def current_year(deps: Deps) -> int:
    first, last = deps.reference.plan_years()
    return max(first, min(last, datetime.now(UTC).year))


def ranks(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Each unit's place by score, ties sharing a place (1, 1, 3), as the ranking counts."""
    scored = sorted((r for r in rows if r.get("score") is not None),
                    key=lambda r: -float(r["score"]))
    found: dict[str, int] = {}
    for i, row in enumerate(scored):
        same = i > 0 and scored[i - 1]["score"] == row["score"]
        found[str(row["key"])] = found[str(scored[i - 1]["key"])] if same else i + 1
    return found


def console_router(deps: Deps) -> APIRouter:  # noqa: PLR0915 - one page per function
    router = APIRouter()
    ref = deps.reference

    @router.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return RedirectResponse("/cases" if request.cookies.get(SESSION) else "/signin", 303)

    @router.get("/signin")
    async def signin_form(request: Request, next: str | None = None) -> Response:
        return render(request, deps, "signin.html", language(request), None,
                      next_path=safe_next(next), invalid=False)

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        form = await form_of(request)
        token, next_path = form.get("token", "").strip(), safe_next(form.get("next"))
        lang = language(request)
        valid = False
        if token:
            assert deps.client is not None
            api = Api(deps.client, token, deps.urls, request.state.timings)
            try:
                await api.get("workflow", "/cases", limit=1)
                valid = True
            except ApiRefusal as exc:
                if exc.status not in (401, 403):
                    raise
        if not valid:
            return render(request, deps, "signin.html", lang, None, status=401,
                          next_path=next_path, invalid=True)
        response = RedirectResponse(next_path, 303)
        set_session(response, token, secure=deps.settings.cookie_secure)
        return response

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        response = RedirectResponse("/signin", 303)
        clear_session(response)
        return response

    @router.get("/lang/{code}")
    async def switch_language(code: str, next: str | None = None) -> Response:
        response = RedirectResponse(safe_next(next), 303)
        if code in LANGUAGES:
            response.set_cookie(LANG, code, max_age=365 * 86400, samesite="lax", path="/")
        return response

    @router.get("/cases")
    async def my_cases(request: Request, *, view: str = "overdue", action: str = "",
                       kind: str = "", township: str = "", page: int = 1) -> Response:
        p = page_of(request, deps)
        view = view if view in VIEWS else "overdue"
        page = max(1, page)
        size = deps.settings.page_size
        now = datetime.now(UTC)
        params: dict[str, Any] = {
            "action": action if action.isdigit() else None,
            "kind": kind if kind in KINDS else None,
            "township": township if township.startswith("township:") else None,
            "limit": size + 1, "offset": (page - 1) * size}
        if view in ("overdue", "escalated"):
            params.update(state="open", overdue="true")
        elif view == "due_soon":
            horizon = ref.calendar.add_working_days(now, deps.settings.due_soon_working_days)
            params.update(state="open", overdue="false",
                          due_before=(horizon.at + timedelta(microseconds=1)).isoformat())
        else:
            params.update(state=view)
        rows = await p.api.get("workflow", "/cases", **params)
        more = len(rows) > size
        shown = case_rows(rows[:size], ref, p.lang, p.t, now=now,
                          soon_days=deps.settings.due_soon_working_days)
        if view == "due_soon":
            shown.sort(key=lambda r: r.due)
        filters = {"view": view, "action": action, "kind": kind, "township": township}
        escalation = ref.reasons("escalation/district-policy", "overdue_escalation")
        return p.render(
            "cases.html", nav="cases", rows=shown, view=view, views=VIEWS, filters=filters,
            page=page, more=more, kinds=KINDS, actions=ref.actions, townships=ref.townships,
            escalated_to=ref.unit_name(escalation[0].code) if escalation else "",
            soon_days=deps.settings.due_soon_working_days,
            query=lambda **changes: urlencode({**filters, **changes}))

    @router.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: str) -> Response:
        p = page_of(request, deps)
        case = await p.api.get("workflow", f"/cases/{segment(case_id)}")
        response = p.render(
            "case.html", nav="cases", case=case, flash=take_flash(request),
            kind_label=term(p.lang, "kind", case["kind"]),
            state=state_label(p.lang, case.get("state")),
            lead=ref.unit_name(case.get("assignment", {}).get("lead")),
            owners=[ref.unit_name(u) for u in case.get("owners", [])],
            township=ref.unit_name(case.get("assignment", {}).get("township_unit")),
            action_title=ref.action_title(case.get("assignment", {}).get("action"), p.lang),
            opened=local(case.get("opened_at")), closed=local(case.get("closed_at")),
            deadlines=deadline_views(case.get("deadlines") or {}, ref, p.lang, p.t),
            history=list(reversed(history_entries(case, ref, p.lang, p.t))),
            form=act_form(case, ref), idempotency=uuid.uuid4().hex)
        return with_flash(response, None)

    @router.post("/cases/{case_id}/act")
    async def act(request: Request, case_id: str) -> Response:
        p = page_of(request, deps)
        form = await form_of(request)
        back = f"/cases/{quote(case_id, safe='')}"
        if not csrf_ok(p.user.token, form.get("csrf")):
            return with_flash(RedirectResponse(back, 303),
                              {"error": "the form expired; please submit it again"})
        command = form.get("command", "")
        body: dict[str, Any] = {"command": command}
        if command == "extend_deadline":
            body.update(deadline=form.get("deadline") or None,
                        approval_ref=form.get("approval_ref") or None)
        elif command in ("pause_clock", "resume_clock"):
            body.update(deadline=form.get("deadline") or None,
                        reason=form.get("reason") or None)
        else:
            body.update(reason=form.get("reason") or None,
                        args={k[4:]: v.strip() for k, v in form.items()
                              if k.startswith("arg_") and v.strip()})
        key = form.get("idempotency") or uuid.uuid4().hex
        try:
            await p.api.post("workflow", f"/cases/{segment(case_id)}/commands", body,
                             headers={"Idempotency-Key": f"console-{key}"})
        except ApiRefusal as exc:
            if exc.status == 401:
                raise
            return with_flash(RedirectResponse(back, 303), {"error": exc.message,
                                                            "code": exc.code})
        return with_flash(RedirectResponse(back, 303), {"done": command})

    @router.get("/lot")
    async def lot_page(request: Request, code: str = "") -> Response:
        p = page_of(request, deps)
        code = code.strip()
        if not code:
            return p.render("lot_search.html", nav="lot", code="")
        path = f"/lots/{segment(code)}"
        try:
            up, down, scope, mismatches = await asyncio.gather(
                p.api.get("projections", f"{path}/upstream", limit=2000),
                p.api.get("projections", f"{path}/downstream", limit=2000),
                p.api.get("projections", f"{path}/recall-scope"),
                p.api.get("projections", f"{path}/mismatches"))
        except ApiRefusal as exc:
            if exc.status in (404, 422):
                return p.render("lot_search.html", status=exc.status, nav="lot", code=code,
                                refusal=exc)
            raise
        flagged = {m["lot_code"] for m in mismatches}
        names = {row["entity_id"]: row.get("name") or row["entity_id"] for row in scope}
        graph = build_graph(code, up, down, scope, flagged)
        return p.render(
            "lot.html", nav="lot", code=code, root=up.get("lot") or code, graph=graph,
            groups=scope_by_township(scope), scope=scope, mismatches=mismatches,
            quantities=quantities, names=names,
            truncated=bool(up.get("next_cursor") or down.get("next_cursor")),
            up_count=len(up.get("lots", [])) - 1, down_count=len(down.get("lots", [])) - 1)

    @router.get("/lot/spreadsheet.csv")
    async def lot_csv(request: Request, code: str) -> Response:
        p = page_of(request, deps)
        found = await p.api.request("GET", "projections",
                                    f"/lots/{segment(code.strip())}/spreadsheet.csv")
        return Response(found.content, media_type="text/csv; charset=utf-8", headers={
            "content-disposition": found.headers.get(
                "content-disposition", 'attachment; filename="trace-lot.csv"')})

    @router.get("/entities/{entity_id}")
    async def entity_page(request: Request, entity_id: str) -> Response:
        p = page_of(request, deps)
        dossier = await p.api.get("projections", f"/entities/{segment(entity_id)}")
        cases = [{**c, "lead_name": ref.unit_name(c.get("lead")),
                  "township": ref.unit_name(c.get("township_unit")),
                  "state_label": state_label(p.lang, c.get("state")),
                  "opened": local(c.get("opened_at"))} for c in dossier.get("cases", [])]
        return p.render("entity.html", nav="lot", dossier=dossier, cases=cases,
                        registration=dossier.get("registration") or {}, local=local)

    @router.get("/appraisal")
    async def appraisal(request: Request, period: str = "", by: str = "unit") -> Response:
        p = page_of(request, deps)
        period = period.strip() or str(current_year(deps))
        by = by if by in BY else "unit"
        year = int(period[:4]) if period[:4].isdigit() else current_year(deps)
        try:
            answers = await asyncio.gather(
                p.api.cached("projections", "/assessment", period=period, by=by),
                p.api.cached("projections", "/assessment/canteen-coverage", year=year),
                p.api.cached("projections", "/assessment/summaries", year=year))
            table, coverage, summaries = (answer.json() for answer in answers)
        except ApiRefusal as exc:
            if exc.status != 422:
                raise
            return p.render("appraisal.html", status=422, nav="appraisal", period=period,
                            by=by, refusal=exc)
        target = coverage.get("target")
        chart = bar_chart(
            [(p.t("appraisal.coverage.district"), coverage.get("coverage")),
             *((row["township"], row.get("coverage")) for row in coverage.get("townships", []))],
            target=target, target_label=p.t("appraisal.coverage.line",
                                            pct=percent(target, 0)))
        on_time = bar_chart([(str(row.get("name") or row.get("key")),
                              row.get("closed_on_time_rate")) for row in table])
        return p.render(
            "appraisal.html", nav="appraisal", period=period, by=by, year=year, rows=table,
            coverage=coverage, chart=chart, on_time=on_time, summaries=summaries,
            ranks=ranks(table) if by == "unit" else {}, percent=percent, local=local,
            refusal=None)

    @router.get("/bulletin")
    async def bulletin(request: Request, period: str = "") -> Response:
        p = page_of(request, deps)
        period = period.strip() or str(current_year(deps))
        try:
            found = await p.api.cached("projections", "/bulletin", period=period,
                                       format="html")
        except ApiRefusal as exc:
            if exc.status not in (403, 422):
                raise
            return p.render("error.html", status=exc.status, nav="appraisal", refusal=exc)
        # the projections service's own printable page: self-contained, its data escaped
        return HTMLResponse(found.text, headers={
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})

    return router
