"""Helpers for tests that drive a service's app in the test process."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient


def wait_ready(client: TestClient, within: float = 30) -> None:
    """Until the app says it is ready (its lifespan's work started), or fail after ``within``."""
    deadline = time.monotonic() + within
    while client.get("/health/ready").status_code != 200:
        assert time.monotonic() < deadline, client.get("/health/ready").json()
        time.sleep(0.1)
