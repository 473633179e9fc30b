"""Workflow service settings (``FANGXIN_*``)."""

from __future__ import annotations

from services.platform.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    http_port: int = 8002
    consumer_group: str = "fangxin-workflow"
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.2
