"""Every service, run as a process, has the same operational face and stops gracefully."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from tests.e2e.conftest import Pipeline

pytestmark = pytest.mark.e2e


def test_each_service_serves_health_metrics_and_both_api_documents(pipeline: Pipeline):
    for service in (pipeline.intake, pipeline.workflow, pipeline.projections):
        with httpx.Client(base_url=service.url, timeout=10) as http:
            assert http.get("/health/live").json() == {"status": "live"}
            ready = http.get("/health/ready").json()
            assert ready["status"] == "ready", (service.name, ready)
            assert ready["checks"]["kafka"] is True
            assert "faststream_received_messages_total" in http.get("/metrics").text or (
                "fangxin_" in http.get("/metrics").text)
            assert http.get("/openapi.json").json()["info"]["title"] == f"fangxin {service.name}"
            assert http.get("/docs").status_code == 200
            spec = http.get("/docs/asyncapi.json").json()
            assert spec["asyncapi"].startswith("3.")
            assert "foodsafety." in json.dumps(spec["channels"]), spec["channels"].keys()
            assert "asyncapi" in http.get("/docs/asyncapi").text.lower()


def test_services_log_json_lines_and_exit_cleanly_on_sigterm(pipeline: Pipeline):
    for service in (pipeline.intake, pipeline.workflow, pipeline.projections):
        code = service.stop(timeout=30)

        # uvicorn finishes its shutdown, then re-raises SIGTERM: -15 after a clean stop is normal
        assert code in {0, -signal.SIGTERM}, service.log_tail()
        lines = [ln for ln in service.log_path.read_text().splitlines() if ln.strip()]
        records = [json.loads(ln) for ln in lines]
        assert {r["service"] for r in records} == {service.name}
        assert any(r["msg"] == "Application shutdown complete." for r in records), lines[-5:]
