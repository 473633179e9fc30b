"""deploy/grafana/: valid dashboard JSON whose every query selects only catalogued metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from fangxin import metrics_catalogue as mc
from fangxin.local.prometheus import TEMPLATE

DASHBOARDS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "grafana" /
                     "dashboards").glob("*.json"))


@pytest.fixture(scope="module")
def known() -> frozenset[str]:
    return mc.series_names(mc.catalogue())


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels += panel.get("panels", [])
    return panels


def test_there_is_a_dashboard():
    assert [p.name for p in DASHBOARDS] == ["fangxin-overview.json"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_queries_only_metrics_the_services_register(path: Path, known):
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    panels = _panels(dashboard)

    assert dashboard["uid"]
    assert dashboard["title"]
    assert len({p["id"] for p in panels}) == len(panels), "panel ids repeat"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["title"]
        assert panel["datasource"]["uid"].strip("${}") in variables, panel["title"]
        assert panel["targets"], panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel["targets"]:
            used = mc.promql_metric_names(target["expr"])
            assert used, (panel["title"], target["expr"])
            assert used <= known, f"{panel['title']}: unknown {sorted(used - known)}"


def test_the_dashboard_covers_health_and_the_business_pulse():
    dashboard = json.loads(DASHBOARDS[0].read_text(encoding="utf-8"))
    used = {name for panel in _panels(dashboard) for target in panel.get("targets", [])
            for name in mc.promql_metric_names(target["expr"])}

    assert {"up", "fangxin_intake_messages_total", "fangxin_intake_consumer_lag_messages",
            "fangxin_projections_consumer_lag_messages", "fangxin_workflow_relay_lag_events",
            "fangxin_workflow_cases_opened_total", "fangxin_workflow_overdue_cases",
            "fangxin_projections_query_duration_seconds_bucket",
            "fangxin_projections_facts_applied_total",
            "fangxin_console_page_seconds_bucket"} <= used


def test_the_services_up_panel_shows_every_scraped_job():
    dashboard = json.loads(DASHBOARDS[0].read_text(encoding="utf-8"))
    (panel,) = [p for p in _panels(dashboard) if p["title"] == "Services up"]
    scraped = {job["job_name"] for job in yaml.safe_load(TEMPLATE.read_text())["scrape_configs"]}

    (target,) = panel["targets"]
    shown = re.fullmatch(r'up\{job=~"([a-z|]+)"\}', target["expr"])
    assert shown is not None, target["expr"]
    assert set(shown.group(1).split("|")) == scraped
