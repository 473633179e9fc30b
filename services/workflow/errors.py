"""Errors of the workflow service's edges; each maps to ack, retry or dead letter."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of the workflow's service errors."""


class UnusableFactError(WorkflowError):
    """A canonical fact or command the workflow cannot read: dead-lettered, then acknowledged."""


class ConcurrencyConflictError(WorkflowError):
    """Other writers kept changing the same cases and retries ran out: redeliver later
    (a Kafka batch), or answer 409 with this code (a command over HTTP)."""

    code = "concurrent_update"
