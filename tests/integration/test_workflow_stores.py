"""Workflow behaviour on the real stores: an SQLite file and PostgreSQL."""

import pytest

from tests.suites.workflow import WorkflowSuite

pytestmark = pytest.mark.integration


class TestWorkflowOnStores(WorkflowSuite):
    @pytest.fixture
    def env(self, store_env: dict[str, str]) -> dict[str, str]:
        return store_env
