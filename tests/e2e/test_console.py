"""The console in a real browser: Debian's Chromium, headless, driven by Playwright.

Given the generator's smoke data set through a local stack (Kafka, intake, workflow,
projections and the console as processes, as ``make demo`` runs them), a clerk of the district
office signs in, finds an overdue complaint, refuses it with a statutory reason and sees its
history change; opens the traced lot and sees it drawn with its farm lots; opens the appraisal.
The tests fail, never skip, when ``/usr/bin/chromium`` is missing (``deploy/local/setup.sh``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from rich.console import Console

from fangxin.demo import OFFICE, Run, run_pipeline
from fangxin.generator import Dataset, generate
from fangxin.local.secrets import local_tokens
from fangxin.local.services import ServiceStartError
from fangxin.stack import LocalStack
from services.console.screenshots import ChromiumMissingError, chromium, sign_in

pytestmark = pytest.mark.e2e
SERVICES = ("intake", "workflow", "projections", "console")


@pytest.fixture(scope="module")
def smoke() -> Dataset:
    return generate(seed=7, size="smoke")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, smoke: Dataset) -> Iterator[LocalStack]:
    state_dir: Path = tmp_path_factory.mktemp("console")
    started = LocalStack.on_free_ports(state_dir)
    try:
        run_pipeline(Console(file=io.StringIO(), width=160), started, smoke,
                     Run(dataset=smoke))
        yield started
    except ServiceStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        started.stop()


@pytest.fixture(scope="module")
def browser(stack: LocalStack) -> Iterator[Browser]:
    # after the stack: Playwright's sync API keeps an event loop running in this thread, and
    # the pipeline's publishing and catching up use asyncio.run
    try:
        with chromium() as found:
            yield found
    except ChromiumMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def url(stack: LocalStack) -> str:
    return stack.services["console"].url


@pytest.fixture
def token(stack: LocalStack) -> str:
    return local_tokens(stack.state_dir)[OFFICE]


@pytest.fixture
def page(browser: Browser, url: str, token: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    found = context.new_page()
    found.set_default_timeout(15_000)
    sign_in(found, url, token)
    yield found
    context.close()


def test_a_wrong_token_is_refused_and_the_right_one_names_the_unit(browser: Browser, url: str,
                                                                    token: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/cases")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fcases"))
    page.fill("#token", "not-a-token")
    page.click("form[action='/signin'] button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("令牌无效")
    cookies = {c["name"]: c for c in context.cookies()}
    assert "fangxin_session" not in cookies

    sign_in(page, url, token)
    expect(page.locator("header .unit")).to_contain_text("区食品安全办")
    session = {c["name"]: c for c in context.cookies()}["fangxin_session"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("fangxin_session") == -1
    context.close()


def test_an_overdue_complaint_is_refused_with_a_statutory_reason(page: Page, url: str):
    page.goto(f"{url}/cases?view=overdue")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_attribute("data-view",
                                                                            "overdue")
    page.select_option("select[name=kind]", "CP")  # the page's script applies the filter
    page.wait_for_url(re.compile(r"kind=CP"))
    first = page.locator("table.cases tbody tr").first
    expect(first).to_have_class(re.compile("urgency-overdue"))
    expect(first.locator("td.left")).to_contain_text("逾期")
    case_id = first.get_attribute("data-case")
    assert case_id
    assert case_id.startswith("CP-")
    first.locator("a").click()
    expect(page.locator("h1")).to_contain_text(case_id)
    before = page.locator("#timeline li").count()
    assert before >= 1
    expect(page.locator("tr[data-deadline=acceptance] .status")).to_have_text("已逾期")

    form = page.locator("form[data-command=refuse_complaint]")
    reasons = form.locator("select[name=reason] option")
    assert reasons.count() == 7  # a placeholder and Order 20 Art. 15's six grounds
    form.locator("select[name=reason]").select_option("outside_duties")
    form.locator("button[type=submit]").click()

    expect(page.get_by_role("status")).to_contain_text("不予受理")
    # Order 20 has no separate refusal notice: the decision is the notice, the case ends
    expect(page.locator("#case-state")).to_have_text("已办结")
    expect(page.locator("#timeline li")).to_have_count(before + 1)
    newest = page.locator("#timeline li").first
    expect(newest).to_contain_text("办结 · 不予受理")
    expect(newest.locator(".change")).to_have_text("已收到 → 不予受理")
    expect(newest.locator(".reason")).to_contain_text("不属于市场监督管理部门职责")
    expect(newest.locator(".by")).to_have_text("区食品安全办")
    expect(page.locator("tr[data-deadline=acceptance] .status")).to_have_text("已完成")
    expect(page.locator("form.command")).to_have_count(0)


def test_a_stale_form_shows_the_apis_refusal(page: Page, url: str):
    page.goto(f"{url}/cases?view=overdue&kind=CP")
    case_id = page.locator("table.cases tbody tr").first.get_attribute("data-case")
    assert case_id
    other = page.context.new_page()
    other.goto(f"{url}/cases/{case_id}")
    page.goto(f"{url}/cases/{case_id}")
    page.locator("form[data-command=accept_complaint] button").click()
    expect(page.get_by_role("status")).to_contain_text("受理投诉")
    expect(page.locator("#case-state")).to_have_text("调解中")

    other.locator("form[data-command=refuse_complaint] select").select_option("materials_missing")
    other.locator("form[data-command=refuse_complaint] button").click()
    expect(other.locator("#refusal")).to_contain_text("is not allowed while case")
    expect(other.locator("#case-state")).to_have_text("调解中")

    # mediation's clock stops for testing time (Order 20 Art. 20), then runs again
    page.locator("form[data-command=pause_clock] select").select_option("testing")
    page.locator("form[data-command=pause_clock] button").click()
    expect(page.locator("tr[data-deadline=mediation] .status")).to_have_text("已中止计时")
    expect(page.locator("#timeline li").first).to_contain_text("中止计时 · 调解")
    page.locator("form[data-command=resume_clock] button").click()
    expect(page.locator("tr[data-deadline=mediation] .status")).not_to_have_text("已中止计时")
    expect(page.locator("#timeline li").first).to_contain_text("恢复计时 · 调解")


def test_the_traced_lot_is_drawn_with_its_farm_lots_and_recall_scope(page: Page, url: str,
                                                                     smoke: Dataset):
    traced = smoke.truth.traced_lot
    assert traced is not None
    page.goto(f"{url}/lot")
    page.fill("input[name=code]", traced.lot_code)
    page.click("form[action='/lot'] button")
    graph = page.locator("svg#trace-graph")
    expect(graph.locator(f"g.node.root[data-lot='{traced.lot_code}']")).to_have_count(1)
    for farm_lot in traced.upstream:
        expect(graph.locator(f"g.node.up[data-lot='{farm_lot['lot']}']")).to_have_count(1)
    assert graph.locator("path.edge").count() >= len(traced.upstream)
    for business in traced.downstream:
        expect(graph.locator(f"g.node.business[data-entity='{business['entity_id']}']")
               ).to_have_count(1)
        expect(page.locator("table.scope a", has_text=business["name"])).to_have_count(1)
        expect(page.locator("h3.township", has_text=business["township"])).to_have_count(1)

    with page.expect_download() as download:
        page.click("#csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert traced.lot_code in text


def test_a_business_dossier_opens_from_the_recall_scope(page: Page, url: str, smoke: Dataset):
    traced = smoke.truth.traced_lot
    assert traced is not None
    business = traced.downstream[0]
    page.goto(f"{url}/lot?code={traced.lot_code}")
    page.locator("table.scope a", has_text=business["name"]).click()
    expect(page.locator("h1")).to_contain_text(business["name"])
    expect(page.locator("dl.facts")).to_contain_text(business["township"])


def test_the_appraisal_shows_canteen_coverage_against_the_90_percent_line(page: Page, url: str,
                                                                          smoke: Dataset):
    page.goto(f"{url}/appraisal?period=2024&by=township")
    chart = page.locator("svg#coverage-chart")
    expect(chart.locator("g.target")).to_have_attribute("data-target", "0.9")
    expected = smoke.truth.canteen_coverage["2024"]
    district = chart.locator("g.bar").first
    value = float(district.get_attribute("data-value") or "nan")
    assert value == pytest.approx(expected["sampled"] / expected["registered"], abs=1e-3)
    for township in ("北郊乡", "水稻乡", "柳园口乡", "北书店街道", "午朝门街道", "大兴街道",
                     "北道门街道", "城西街道", "梁苑街道"):  # the nine 乡 and 街道
        expect(page.locator(f"#figures tbody tr[data-key='{township}']")).to_have_count(1)
    summaries = page.locator("#summaries tbody tr")
    expect(summaries).to_have_count(13)  # one per action of the work plan
    on_time = page.locator("#summaries tr.summary-on_time").count()
    assert on_time == smoke.truth.summaries["2024"]["on_time"]

    page.click("#bulletin-link")
    expect(page.locator("h1")).to_contain_text("通报")


def test_the_english_switch_keeps_the_page(page: Page, url: str):
    page.goto(f"{url}/appraisal?period=2023")
    page.click("a.lang")
    expect(page.locator("h1")).to_contain_text("Appraisal · 2023")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("a.lang")
    expect(page.locator("h1")).to_contain_text("评议考核")


def test_pages_carry_their_server_time_and_no_foreign_asset(stack: LocalStack, url: str,
                                                            token: str):
    answer = httpx.get(f"{url}/cases", cookies={"fangxin_session": token}, timeout=10)
    assert answer.status_code == 200
    assert re.match(r"app;dur=[\d.]+, api;dur=[\d.]+", answer.headers["server-timing"])
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", answer.text)


def test_a_township_sees_what_the_apis_let_it_see(browser: Browser, stack: LocalStack,
                                                  url: str, token: str):
    tokens = local_tokens(stack.state_dir)
    other = httpx.get(f"{stack.services['workflow'].url}/cases",
                      params={"township": "township:水稻乡", "limit": 1},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert other, "the smoke set has cases in 水稻乡"
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, tokens["township:北郊乡"])
    expect(page.locator("header .unit")).to_contain_text("北郊乡")
    page.goto(f"{url}/cases?view=open")
    townships = page.locator("table.cases tbody tr td:nth-child(5)").all_inner_texts()
    assert townships, "北郊乡 has open cases"
    assert set(townships) <= {"北郊乡", ""}

    page.goto(f"{url}/cases/{other[0]['case_id']}")
    expect(page.get_by_role("alert")).to_contain_text("case_not_found")  # as if missing
    page.goto(f"{url}/appraisal?period=2024")
    expect(page.locator("#bulletin-link")).to_have_count(0)
    page.goto(f"{url}/bulletin?period=2024")
    expect(page.get_by_role("alert")).to_contain_text("the bulletin is for the district office")
    context.close()
