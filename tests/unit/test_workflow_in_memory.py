"""Workflow behaviour on in-memory (POPO) persistence."""

from tests.suites.workflow import WorkflowSuite


class TestWorkflowInMemory(WorkflowSuite):
    """Runs the suite with the default in-memory store."""
