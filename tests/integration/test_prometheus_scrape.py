"""A real Prometheus (Debian's package) scrapes the three running services and a console in front
of them with the config from deploy/prometheus/ (every job it names) and its alert rules, and sees
the pipeline's counters and the console's page time move."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from fangxin.local.processes import free_port
from fangxin.local.prometheus import PrometheusServer, PrometheusStartError
from fangxin.local.services import ServiceProcess, ServiceStartError
from tests.e2e.conftest import Pipeline, pipeline  # noqa: F401  (the fixture, shared)
from tests.e2e.test_skeleton_path import eventually, publish
from tests.factories import as_bytes, sampling_fact

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
ALERTS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"


@pytest.fixture
def console(pipeline: Pipeline, tmp_path: Path) -> Iterator[ServiceProcess]:  # noqa: F811
    """The console as a process, calling the pipeline's workflow and projections (it needs no
    Kafka and no database); the template scrapes it, so it runs here too."""
    env = {"FANGXIN_WORKFLOW_URL": pipeline.workflow.url,
           "FANGXIN_PROJECTIONS_URL": pipeline.projections.url}
    service = ServiceProcess("console", free_port(), env, tmp_path / "logs").start()
    try:
        service.wait_ready(60)
    except ServiceStartError as exc:
        service.stop()
        pytest.fail(str(exc), pytrace=False)
    yield service
    service.stop()


@pytest.fixture
def prometheus(pipeline: Pipeline, console: ServiceProcess,  # noqa: F811
               tmp_path: Path) -> Iterator[PrometheusServer]:
    """Prometheus on loopback scraping the pipeline's services and the console every second; it
    fails, never skips, when it cannot start."""
    targets = {service.name: [f"127.0.0.1:{service.port}"]
               for service in (pipeline.intake, pipeline.workflow, pipeline.projections, console)}
    server = PrometheusServer(targets, tmp_path / "prometheus")
    try:
        server.start()
    except (PrometheusStartError, OSError) as exc:
        server.stop()
        pytest.fail(f"Prometheus could not start, and this test must fail: {exc}",
                    pytrace=False)
    yield server
    server.stop()


def _at_least(prometheus: PrometheusServer, expr: str, wanted: float) -> Callable[[], bool]:
    def probe() -> bool:
        value = prometheus.scalar(expr)
        return value is not None and value >= wanted

    return probe


def test_prometheus_sees_the_pipeline_counters_move_and_evaluates_the_alerts(
        pipeline: Pipeline, console: ServiceProcess,  # noqa: F811
        prometheus: PrometheusServer):
    jobs = {"intake", "workflow", "projections", "console"}
    eventually(lambda: {r["metric"]["job"] for r in prometheus.query("up == 1")} == jobs,
               what="all three services and the console scraped and up")
    for _ in range(2):
        assert httpx.get(f"{console.url}/signin", timeout=10).status_code == 200
    eventually(_at_least(prometheus, 'sum(fangxin_console_page_seconds_count{job="console", '
                                     'page="/signin"})', 2),
               what="the console's page time, labelled by its route")
    accepted = 'sum(fangxin_intake_messages_total{status="accepted"})'
    assert prometheus.scalar(accepted) is None  # nothing answered yet: no series

    first = [as_bytes(sampling_fact(f"PROM-{n}")) for n in range(3)]
    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, *first, b"{not json"))

    eventually(_at_least(prometheus, accepted, 3), what="intake's accepted in Prometheus")
    eventually(_at_least(prometheus, 'sum(fangxin_intake_messages_total{status="rejected", '
                                     'reason="not_json"})', 1), what="the dead letter counted")
    eventually(_at_least(prometheus, 'sum(fangxin_workflow_cases_opened_total{kind="SD"})', 3),
               what="workflow's opened cases in Prometheus")
    eventually(_at_least(prometheus, 'sum(fangxin_projections_events_applied_total'
                                     '{read_model="cases"})', 3),
               what="projections applied the case events")

    second = [as_bytes(sampling_fact(f"PROM-{n}")) for n in range(3, 5)]
    asyncio.run(publish(pipeline.bootstrap, pipeline.topics.inbound, *second))

    eventually(_at_least(prometheus, accepted, 5), what="the accepted counter moving on")
    eventually(_at_least(prometheus, "sum(increase(fangxin_intake_messages_total"
                                     '{status="accepted"}[1m]))', 1),
               what="a rate Prometheus computes from two scrapes")
    eventually(_at_least(prometheus, 'sum(fangxin_workflow_cases_opened_total{kind="SD"})', 5),
               what="workflow's counter moving on")

    expected = {rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"]
                for rule in group["rules"]}

    def evaluated_rules() -> dict[str, str] | None:
        rules = {rule["name"]: rule["health"] for group in prometheus.api("rules")["groups"]
                 for rule in group["rules"] if rule.get("lastEvaluation", "").startswith("2")}
        return rules if set(rules) == expected else None

    health = eventually(evaluated_rules, what="every alert rule loaded and evaluated")
    assert set(health.values()) == {"ok"}, health
