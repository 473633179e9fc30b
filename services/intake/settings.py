"""Intake service settings (``FANGXIN_*``)."""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field

from services.platform.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = 8001
    consumer_group: str = "fangxin-intake"
    instance_id: str = Field(default_factory=socket.gethostname,
                             description="stable per replica; names its Kafka transactional id")
    max_message_bytes: int = Field(1_048_576, description="larger inbound messages are refused")
    max_http_body_bytes: int = Field(8_388_608, description="larger HTTP bodies get 413")
    batch_max_records: int = 1000
    producers_file: Path = Field(
        Path(__file__).resolve().parents[2] / "deploy" / "local" / "producers.json",
        description="the producer registry (JSON); the default serves the local demo")
    dedupe_retention_days: int = Field(400, description="how long (source, id) pairs are "
                                       "remembered; a repeat after that is a new fact")

    @property
    def transactional_id(self) -> str:
        return f"{self.consumer_group}-{self.instance_id}-{self.http_port}"
