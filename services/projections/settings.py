"""Projections service settings (``FANGXIN_*``)."""

from __future__ import annotations

from services.platform.settings import ServiceSettings


class ProjectionsSettings(ServiceSettings):
    http_port: int = 8003
    consumer_group: str = "fangxin-projections"
