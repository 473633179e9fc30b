"""Projections service settings (``FANGXIN_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.platform.settings import ServiceSettings


class ProjectionsSettings(ServiceSettings):
    http_port: int = 8003
    consumer_group: str = "fangxin-projections"
    batch_max_records: int = 1000
    units_file: Path | None = Field(None, description="credentials of the units (JSON); "
                                    "without it every HTTP call but health is refused")
    snapshot_interval_seconds: float = Field(60.0, description="at most one assessment "
                                             "snapshot per scope per interval")
    lag_interval_seconds: float = Field(15.0, description="how often the consumer lag "
                                        "metric is measured")
