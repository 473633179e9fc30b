"""The work plan as data (工作方案), held against the seed text, and routing (分派) of facts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from contracts.divisions import default_divisions
from contracts.facts.complaint import Channel
from contracts.facts.entity import EntityKind
from contracts.facts.sampling import Program
from contracts.registry import all_fact_types
from contracts.units import default_units
from services.workflow.domain.routing import (
    Assignment,
    RoutingFacts,
    RoutingRulesError,
    WorkPlan,
    WorkPlanError,
    parse_routing,
    parse_workplan,
)
from services.workflow.rules.workplan_loader import (
    ROUTING_FILE,
    WORKPLAN_FILE,
    load_default_plan,
    load_default_router,
    read_packaged,
)

SEED_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "seed"
PLAN_NUMBER = "龙政办〔2022〕11号"

# Written from the plan's wording, independently of workplan.json.
UNIT_IDS = {
    "区食品安全办": "district-food-safety-office",
    "区市场监管局": "market-regulation",
    "区农业农村局": "agriculture-rural",
    "区卫生健康委": "health",
    "区教育体育局": "education-sports",
    "区商务局": "commerce",
    "市公安局龙亭分局": "public-security",
    "市生态环境局龙亭分局": "ecology-environment",
    "区发展改革委": "development-reform",
    "区科学技术和工业信息化局": "science-industry-it",
    "区民政局": "civil-affairs",
    "区城市管理局": "urban-management",
    "区委宣传部": "publicity",
    "区委网信办": "cyberspace",
    "区文化和旅游局": "culture-tourism",
    "区食品安全委各成员单位": "food-safety-committee-members",
}
XIANG = {"township:北郊乡", "township:柳园口乡", "township:水稻乡"}  # 各乡
BANSHICHU = {f"township:{n}" for n in ("北书店街道", "午朝门街道", "大兴街道", "北道门街道",
                                       "城西街道", "梁苑街道")}  # 各办事处
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三"]


def _normalise(text: str) -> str:
    """Join the seed's broken lines and unify full- and half-width punctuation."""
    text = re.sub(r"\s+", "", text)
    return text.translate(str.maketrans("（）：，", "():,"))


@pytest.fixture(scope="module")
def seed_sections() -> dict[int, str]:
    """The 13 sections of 二、主要任务 in the seed text, by action number."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt"))] \
        if SEED_DIR.is_dir() else []
    plan = next((t for t in texts if PLAN_NUMBER in t), None)
    if plan is None:
        pytest.fail(f"the seed text of {PLAN_NUMBER} is missing from {SEED_DIR}; the work plan "
                    "table cannot be reviewed without it")
    body = _normalise(plan)
    tasks = body[body.index("二、主要任务"):body.index("三、工作措施")]
    heads = list(re.finditer(r"\((" + "|".join(sorted(NUMERALS, key=len, reverse=True))
                             + r")\)", tasks))
    assert [m.group(1) for m in heads] == NUMERALS, "the seed's 13 actions were not all found"
    ends = [m.start() for m in heads[1:]] + [len(tasks)]
    return {n: tasks[m.end():end] for n, (m, end) in enumerate(zip(heads, ends, strict=True), 1)}


def _responsible(section: str) -> tuple[str, list[str], set[str]]:
    """Lead, other named units in order, and 乡 / 街道 units from a section's 责任单位."""
    found = re.search(r"\(责任单位:([^)]*)\)", section)
    assert found, f"no 责任单位 in {section[:30]}"
    names = [n for n in re.split(r"[、,]", found.group(1).split("。")[0]) if n]
    divisions: set[str] = set()
    named: list[str] = []
    for name in names:
        if name == "各乡":
            divisions |= XIANG
        elif name in {"办事处", "各办事处"}:
            divisions |= BANSHICHU
        else:
            assert name in UNIT_IDS, f"unit {name} is not in the test's mapping"
            named.append(UNIT_IDS[name])
    return named[0], named[1:], divisions


@pytest.fixture(scope="module")
def plan() -> WorkPlan:
    return load_default_plan()


@pytest.mark.parametrize("number", range(1, 14))
def test_action_units_match_the_seed(seed_sections, plan, number):
    lead, named, divisions = _responsible(seed_sections[number])
    action = plan.action(number)
    assert action.lead == lead
    assert [u for u in action.co_units if not u.startswith("township:")] == named
    assert {u for u in action.co_units if u.startswith("township:")} == divisions


@pytest.mark.parametrize("number", range(1, 14))
def test_action_title_matches_the_seed(seed_sections, plan, number):
    assert seed_sections[number].startswith(_normalise(plan.action(number).title_zh) + "。")


def test_plan_identity(plan):
    assert (plan.number, plan.date.isoformat(), plan.period) == (PLAN_NUMBER, "2022-09-28",
                                                                 (2022, 2024))
    assert [u.id for u in plan.units_of(9)][:2] == ["market-regulation", "education-sports"]
    with pytest.raises(LookupError, match="no action 14"):
        plan.action(14)
    with pytest.raises(LookupError, match="no unit"):
        plan.unit("fire-brigade")


def test_units_agree_with_the_contracts(plan):
    departments = {(u.id, u.name) for u in plan.units if u.kind == "department"}
    assert departments == {(u.id, u.name) for u in default_units().units}
    divisions = {(u.id, u.kind) for u in plan.units if u.is_division}
    assert divisions == {(d.unit_id, d.kind.value) for d in default_divisions().divisions}


def _values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


def test_vocabulary_agrees_with_the_contracts():
    vocabulary = json.loads(read_packaged(ROUTING_FILE))["vocabulary"]
    assert set(vocabulary["entity_kind"]) == _values(EntityKind)
    assert set(vocabulary["program"]) == _values(Program)
    assert set(vocabulary["channel"]) == _values(Channel)
    families = {t.type.split(".")[1] for t in all_fact_types()}
    assert set(vocabulary["fact_type"]) == {"kitchen_alert" if f == "kitchen" else f
                                            for f in families}


def _facts(fact_type: str = "inspection", kind: str | None = None, category: str | None = None,
           program: str | None = None, channel: str | None = None,
           township: str | None = "北书店街道", imported: bool = False) -> RoutingFacts:
    return RoutingFacts(fact_type, kind, category, program, channel, township, imported)


SCHOOL_CO = ("education-sports", "public-security", "civil-affairs", "health")


@pytest.mark.parametrize(("facts", "action", "rule"), [
    (_facts("sampling", "school_canteen", "蔬菜", "supervisory"), 9, "school-canteen"),
    (_facts("kitchen_alert", "school_canteen"), 9, "school-canteen"),
    (_facts("inspection", "catering"), 6, "catering"),
    (_facts("inspection", "group_meal_distributor"), 6, "catering"),
    (_facts("kitchen_alert", None), 6, "kitchen-alert"),
    (_facts("entity", "small_workshop"), 7, "three-smalls"),
    (_facts("inspection", "stall", "蔬菜"), 7, "three-smalls"),
    (_facts("inspection", "market"), 5, "market"),
    (_facts("sampling", "seller", "畜禽肉", "supervisory"), 5, "edible-agricultural-products"),
    (_facts("trace", None), 5, "traceability"),
    (_facts("certificate", "farm"), 5, "traceability"),
    (_facts("entity", "online_platform"), 11, "online-platform"),
    (_facts("sampling", "online_platform", "保健食品", "supervisory"), 11, "online-platform"),
    (_facts("entity", "importer"), 12, "importer"),
    (_facts("trace", "seller", imported=True), 12, "imported-product"),
    (_facts("sampling", "seller", "保健食品", "supervisory", imported=True), 12,
     "imported-product"),
    (_facts("complaint", "seller", "保健食品", channel="12315"), 8, "health-food"),
    (_facts("inspection", "seller", "农药"), 4, "farm-inputs"),
    (_facts("sampling", "farm", "蔬菜", "supervisory"), 4, "farm"),
    (_facts("sampling", "school_canteen", "蔬菜", "risk_monitoring"), 2, "risk-monitoring"),
    (_facts("summary", None, township=None), 1, "annual-summary"),
    (_facts("complaint", "producer", channel="information_officer"), 1, "information-officer"),
    (_facts("inspection", "producer"), 1, "default"),
])
def test_routing_examples(facts, action, rule):
    assignment = load_default_router().route(facts)
    assert (assignment.action, assignment.rule_id) == (action, rule)


def test_school_canteen_sample_names_its_units():
    facts = _facts("sampling", "school_canteen", "粮食加工品", "supervisory", township="北郊乡")
    assert load_default_router().route(facts) == Assignment(
        9, "market-regulation", SCHOOL_CO, "township:北郊乡", "school-canteen")


def test_risk_monitoring_is_led_by_health_without_a_township():
    facts = _facts("sampling", "seller", "蔬菜", "risk_monitoring")
    assert load_default_router().route(facts) == Assignment(
        2, "health", ("agriculture-rural", "market-regulation"), None, "risk-monitoring")


def test_farm_work_is_led_by_agriculture():
    assignment = load_default_router().route(_facts("inspection", "farm", township="水稻乡"))
    assert (assignment.lead, assignment.co_units, assignment.township_unit) == (
        "agriculture-rural", (), "township:水稻乡")


@pytest.mark.parametrize("matter", ["假冒伪劣", "三无食品", "过期食品"])
def test_counterfeit_at_a_xiang_seller_is_action_10(matter):
    facts = _facts("complaint", "seller", matter, channel="12315", township="柳园口乡")
    assert load_default_router().route(facts) == Assignment(
        10, "market-regulation", ("agriculture-rural", "public-security", "commerce",
                                  "civil-affairs"), "township:柳园口乡", "rural-counterfeit")


def test_counterfeit_in_a_jiedao_or_nowhere_is_not_rural():
    router = load_default_router()
    for township in ("梁苑街道", None):
        facts = _facts("complaint", "seller", "假冒伪劣", channel="12315", township=township)
        assert router.route(facts).rule_id == "default"


def test_default_goes_to_the_food_safety_office_with_the_local_unit():
    assignment = load_default_router().route(_facts("inspection", "producer", township="北郊乡"))
    assert assignment == Assignment(1, "district-food-safety-office", (), "township:北郊乡",
                                    "default")


def test_a_xiang_business_has_no_local_unit_in_a_jiedao_only_action():
    router = load_default_router()
    assert router.route(_facts("entity", "online_platform", township="北郊乡")).township_unit \
        is None
    assert router.route(_facts("entity", "online_platform", township="大兴街道")) \
        .township_unit == "township:大兴街道"


def test_an_unknown_township_is_refused():
    with pytest.raises(LookupError, match="上海"):
        load_default_router().route(_facts(township="上海"))


def _plan_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(read_packaged(WORKPLAN_FILE))
    return doc


def _routing_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(read_packaged(ROUTING_FILE))
    return doc


def _bad_plan(change) -> str:
    doc = _plan_doc()
    change(doc)
    return json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["actions"][8]["co_units"].append("fire-brigade"), "unknown unit id"),
    (lambda d: d["actions"][0].update(lead="township:北郊乡"), "is not a department"),
    (lambda d: d["actions"][12].update(number=14), "outside 1-13"),
    (lambda d: d["actions"].pop(), "numbered 1-13"),
    (lambda d: d["units"].append(d["units"][0]), "unit ids repeat"),
    (lambda d: d["units"][0].update(kind="bureau"), "kind must be one of"),
    (lambda d: d["units"][-1].update(id="township:稻乡"), "<its name>"),
    (lambda d: d["plan"].update(date="28/09/2022"), "ISO date"),
    (lambda d: d["plan"]["period"].update({"from": 2025}), "from <= to"),
    (lambda d: d.update(format="v2"), "format"),
    (lambda d: d["actions"][1].update(leader="health"), "unknown field"),
])
def test_work_plan_errors(change, message):
    with pytest.raises(WorkPlanError, match=re.escape(message)):
        parse_workplan(_bad_plan(change))


def test_work_plan_must_be_json():
    with pytest.raises(WorkPlanError, match="not JSON"):
        parse_workplan("{")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["rules"][0].update(action=14), "action 14 is outside 1-13"),
    (lambda d: d["default"].update(action=0), "action 0 is outside 1-13"),
    (lambda d: d["rules"][0]["when"].update(township=["北郊乡"]), "unknown field(s) ['township']"),
    (lambda d: d["rules"][2]["when"].update(entity_kind=["school_cantene"]), "school_cantene"),
    (lambda d: d["rules"][3]["when"].update(rural="yes"), "rural must be true or false"),
    (lambda d: d["rules"][3].update(when={}), "no conditions"),
    (lambda d: d["rules"][4].update(id="risk-monitoring"), "rule ids repeat"),
    (lambda d: d.update(plan="another-plan"), "for plan 'another-plan'"),
    (lambda d: d.update(version=0), "version"),
    (lambda d: d.update(effective_from="soon"), "ISO date"),
    (lambda d: d["vocabulary"].update(township=[]), "unknown field(s) ['township']"),
])
def test_routing_rule_errors(plan, change, message):
    doc = _routing_doc()
    change(doc)
    with pytest.raises(RoutingRulesError, match=re.escape(message)):
        parse_routing(json.dumps(doc, ensure_ascii=False), plan)


def test_rules_name_an_action_of_the_plan(plan):
    without_12 = replace(plan, actions=tuple(a for a in plan.actions if a.number != 12))
    with pytest.raises(RoutingRulesError, match="the work plan has no action 12"):
        parse_routing(read_packaged(ROUTING_FILE), without_12)


def test_rule_set_identity():
    rules = load_default_router().rules
    assert (rules.id, rules.version, rules.effective_from.isoformat()) == (
        "longting-workplan-routing", 1, "2022-09-28")
    assert rules.default.action == 1
