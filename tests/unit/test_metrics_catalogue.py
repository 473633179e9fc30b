"""The metrics catalogue in docs/operations.md is the services' real registries, and every metric
of ours keeps Prometheus's naming conventions."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from fangxin import metrics_catalogue as mc


@pytest.fixture(scope="module")
def entries() -> list[mc.Metric]:
    return mc.catalogue()


def test_the_committed_catalogue_is_what_the_registries_hold(entries):
    document = mc.OPERATIONS_DOC.read_text(encoding="utf-8")

    assert mc.splice(document, mc.render(entries)) == document, (
        "docs/operations.md is stale: run `python -m fangxin.metrics_catalogue`")


def test_the_catalogue_lists_each_services_own_metrics_with_labels(entries):
    by_name = {(m.service, m.name): m for m in entries}

    assert {m.service for m in entries} == set(mc.SERVICES)
    messages = by_name[("intake", "fangxin_intake_messages_total")]
    assert (messages.type, messages.labels) == ("counter", ("status", "type", "reason", "channel"))
    assert by_name[("workflow", "fangxin_workflow_overdue_cases")].type == "gauge"
    latency = by_name[("projections", "fangxin_projections_query_duration_seconds")]
    assert latency.series == tuple(f"fangxin_projections_query_duration_seconds_{s}"
                                   for s in ("bucket", "sum", "count"))
    assert ("workflow", "faststream_received_processed_messages_total") in by_name
    assert "fangxin_intake_consumer_lag_messages" in mc.series_names(entries)
    page = by_name[("console", "fangxin_console_page_seconds")]
    assert (page.type, page.labels) == ("histogram", ("page",))


def test_the_console_labels_a_page_by_its_route_template_never_by_its_path(tmp_path: Path):
    app = mc.build_app("console", tmp_path)  # no lifespan: these pages call no API
    client = TestClient(app)

    assert client.get("/lang/en", follow_redirects=False).status_code == 303
    assert client.get("/lang/zh", follow_redirects=False).status_code == 303
    assert client.get("/no/such/page").status_code == 404
    exposed = client.get("/metrics").text

    assert 'fangxin_console_page_seconds_count{page="/lang/{code}"} 2.0' in exposed
    assert 'fangxin_console_page_seconds_count{page="other"} 1.0' in exposed
    assert "/lang/en" not in exposed
    assert "/no/such/page" not in exposed


def test_every_metric_keeps_the_naming_conventions(entries):
    assert mc.convention_problems(entries) == []
    assert set(mc.UNITLESS) <= {m.name for m in entries}, "an exception outlived its metric"


def _registry_app(*make: type) -> FastAPI:
    app = FastAPI()
    app.state.registry = CollectorRegistry()
    for factory in make:
        factory(app.state.registry)
    return app


def test_the_convention_check_names_each_kind_of_mistake():
    def bad(registry: CollectorRegistry) -> None:
        Counter("intake_messages", "no prefix", registry=registry)
        Counter("fangxin_bad_cases_opened", "per case", ["case_id"], registry=registry)
        Counter("fangxin_bad_opened", "counts nothing named", registry=registry)
        Histogram("fangxin_bad_latency_milliseconds", "not a base unit", registry=registry)
        Gauge("fangxin_bad_lots", "", ["lot"], registry=registry)
        Gauge("fangxin_bad_backlog_total", "a gauge named like a counter", registry=registry)
        Histogram("fangxin_bad_query_seconds", "raw paths", ["path"], registry=registry)

    problems = "\n".join(mc.convention_problems(
        mc.catalogue(["bad"], build=lambda _service, _dir: _registry_app(bad))))

    assert "intake_messages_total: our metrics are named fangxin_<service>_" in problems
    assert "label 'case_id' is unbounded" in problems
    assert "fangxin_bad_opened_total: a counter names what it counts" in problems
    assert "fangxin_bad_latency_milliseconds: use base units" in problems
    assert "fangxin_bad_lots has no help text" in problems
    assert "label 'lot' is unbounded" in problems
    assert "fangxin_bad_backlog_total: only counters end in '_total'" in problems
    assert "label 'path' is unbounded" in problems
    assert "fangxin_bad_cases_opened_total: our" not in problems


def test_check_mode_fails_on_a_stale_document_and_rewrites_it_otherwise(tmp_path: Path):
    doc = tmp_path / "operations.md"
    doc.write_text(f"# Ops\n\n{mc.BEGIN}\n| `fangxin_gone_total` | counter |\n{mc.END}\ntail\n")

    assert mc.main(["--check", "--doc", str(doc)]) == 1
    assert "fangxin_gone_total" in doc.read_text()
    assert mc.main(["--doc", str(doc)]) == 0
    rewritten = doc.read_text()
    assert "fangxin_gone_total" not in rewritten
    assert "`fangxin_workflow_relay_lag_events`" in rewritten
    assert rewritten.startswith("# Ops\n\n")
    assert rewritten.endswith(f"{mc.END}\ntail\n")
    assert mc.main(["--check", "--doc", str(doc)]) == 0
