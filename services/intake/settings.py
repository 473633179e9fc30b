"""Intake service settings (``FANGXIN_*``)."""

from __future__ import annotations

from services.platform.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = 8001
    consumer_group: str = "fangxin-intake"
    max_message_bytes: int = 1_048_576
    batch_max_records: int = 500
