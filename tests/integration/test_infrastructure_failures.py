"""When Kafka or PostgreSQL cannot start, tests that need them fail loudly; they never skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def run_pytest_without_tools(tmp_path: Path, fixture: str, plugin: str
                             ) -> subprocess.CompletedProcess[str]:
    test = tmp_path / f"test_needs_{fixture}.py"
    test.write_text(f"def test_needs_it({fixture}):\n    assert {fixture} is not None\n")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**os.environ, "PATH": str(empty_bin),  # no java, no mvn, no runuser
           "FANGXIN_PG_BINDIR": str(empty_bin)}  # and no PostgreSQL server binaries
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", plugin, "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(test)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def test_the_kafka_fixture_fails_when_the_broker_cannot_start(tmp_path: Path):
    done = run_pytest_without_tools(tmp_path, "kafka", "tests.fixtures.kafka")

    assert done.returncode != 0, done.stdout
    assert "local Kafka broker did not start" in done.stdout
    assert "skipped" not in done.stdout


def test_the_postgres_fixture_fails_when_the_cluster_cannot_start(tmp_path: Path):
    done = run_pytest_without_tools(tmp_path, "postgres", "tests.fixtures.postgres")

    assert done.returncode != 0, done.stdout
    assert "PostgreSQL could not start" in done.stdout
    assert "skipped" not in done.stdout
