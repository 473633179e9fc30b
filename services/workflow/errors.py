"""Errors of the workflow context; each maps to ack, retry or dead letter at the edge."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of the workflow's errors."""


class CaseNotFoundError(WorkflowError):
    """No case has this id (HTTP 404)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no case {case_id!r}")
        self.case_id = case_id


class UnusableFactError(WorkflowError):
    """A canonical fact the workflow cannot read: dead-lettered, then acknowledged."""


class ConcurrencyConflictError(WorkflowError):
    """Another writer changed the case meanwhile, and retries ran out: redeliver later."""
