"""deploy/prometheus/: promtool checks the config and the rules and runs the alerts' unit tests;
every expression refers only to metrics the services register. promtool missing is a failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from fangxin import metrics_catalogue as mc
from fangxin.local.prometheus import (
    TEMPLATE,
    PrometheusStartError,
    find_binary,
    render_config,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
ALERTS = DEPLOY / "alerts.yml"
RULE_TESTS = (DEPLOY / "alerts_test.yml", DEPLOY / "alerts_long_test.yml")
DEPLOYMENT_DOC = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
SERVICE_JOBS = {"intake", "workflow", "projections", "console"}


@pytest.fixture(scope="module")
def promtool() -> str:
    try:
        return find_binary("promtool")
    except PrometheusStartError as exc:
        pytest.fail(str(exc), pytrace=False)


def _promtool(promtool: str, *args: str | Path) -> str:
    done = subprocess.run([promtool, *map(str, args)], capture_output=True, text=True,
                          cwd=DEPLOY, timeout=240, check=False)
    assert done.returncode == 0, f"promtool {' '.join(map(str, args))}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"]
            for rule in group["rules"]]


def test_promtool_accepts_the_rules_and_the_config(promtool):
    assert f"SUCCESS: {len(_rules())} rules found" in _promtool(promtool, "check", "rules",
                                                                ALERTS)
    _promtool(promtool, "check", "config", TEMPLATE)


def test_the_alerts_unit_tests_pass(promtool):
    out = _promtool(promtool, "test", "rules", *RULE_TESTS)

    assert out.count("SUCCESS") == len(RULE_TESTS)


def test_promtool_would_catch_a_wrong_expectation(promtool, tmp_path: Path):
    broken = yaml.safe_load(RULE_TESTS[0].read_text())
    broken["rule_files"] = [str(ALERTS)]
    broken["tests"][0]["alert_rule_test"][0]["exp_alerts"] = [
        {"exp_labels": {"severity": "page", "job": "intake"}}]
    path = tmp_path / "broken_test.yml"
    path.write_text(yaml.safe_dump(broken))

    done = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)

    assert done.returncode != 0
    assert "FangxinServiceDown" in done.stdout + done.stderr


def test_every_alert_has_a_case_that_fires_and_one_that_stays_quiet():
    cases = [case for path in RULE_TESTS for test in yaml.safe_load(path.read_text())["tests"]
             for case in test["alert_rule_test"]]
    for rule in _rules():
        mine = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{rule['alert']} never fires"
        assert any(not case["exp_alerts"] for case in mine), f"{rule['alert']} never quiet"


def test_every_alert_is_labelled_explained_and_uses_catalogued_metrics():
    known = mc.series_names(mc.catalogue())
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    for rule in _rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["runbook"] == "docs/deployment.md#alerts", name
        assert f"`{name}`" in doc, f"{name} is not explained in docs/deployment.md"
        used = mc.promql_metric_names(rule["expr"])
        assert used, name
        assert used <= known, f"{name} refers to unknown metrics {sorted(used - known)}"


def test_promql_names_are_read_from_expressions():
    expr = ('sum by (read_model) (rate(fangxin_a_total{x="y", z=~"p|q"}[5m])) / '
            "max(fangxin_b offset 1h) > 0.5 and on (job) up == 0 unless absent(fangxin_c_bucket)")

    assert mc.promql_metric_names(expr) == {"fangxin_a_total", "fangxin_b", "up",
                                            "fangxin_c_bucket"}


def test_the_config_scrapes_one_job_per_service_and_loads_the_alerts():
    config = yaml.safe_load(TEMPLATE.read_text())
    ports = {"intake": 8001, "workflow": 8002, "projections": 8003, "console": 8004}

    assert {job["job_name"] for job in config["scrape_configs"]} == SERVICE_JOBS
    for job in config["scrape_configs"]:
        assert job["metrics_path"] == "/metrics"
        assert job["static_configs"] == [{"targets": [f"{job['job_name']}:"
                                                      f"{ports[job['job_name']]}"]}]
    assert config["rule_files"] == ["alerts.yml"]


def test_the_rendered_config_points_at_the_given_targets(promtool, tmp_path: Path):
    targets = {"intake": ["127.0.0.1:1"], "workflow": ["127.0.0.1:2"],
               "projections": ["127.0.0.1:3"], "console": ["127.0.0.1:4"]}

    config = render_config(targets, interval="2s")

    assert config["global"]["scrape_interval"] == "2s"
    assert {job["job_name"]: job["static_configs"][0]["targets"]
            for job in config["scrape_configs"]} == targets
    assert config["rule_files"] == [str(ALERTS)]
    path = tmp_path / "rendered.yml"
    path.write_text(yaml.safe_dump(config))
    _promtool(promtool, "check", "config", path)
    with pytest.raises(ValueError, match="jobs"):
        render_config({"intake": ["127.0.0.1:1"]})
