"""Console settings (``FANGXIN_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.platform.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    http_port: int = 8004
    workflow_url: str = Field("http://127.0.0.1:8002", description="the workflow service")
    projections_url: str = Field("http://127.0.0.1:8003", description="the projections service")
    units_file: Path | None = Field(None, description="credentials of the units (JSON), only to "
                                    "name the signed-in unit; the APIs decide what it may do")
    cookie_secure: bool = Field(False, description="mark the session cookie Secure (behind "
                                "HTTPS)")
    api_timeout_seconds: float = 15.0
    page_size: int = Field(50, ge=10, le=500, description="cases per page")
    due_soon_working_days: int = Field(5, ge=1, le=30, description="'due soon' means due "
                                       "within this many working days")
    answer_cache_seconds: float = Field(60.0, ge=0, description="how long the appraisal and "
                                        "bulletin answers of the projections are reused for "
                                        "the same token (0: never); a reload without cache "
                                        "asks again")
    signin_rate_limit_per_minute: int = Field(30, ge=0, description="sign-in attempts a "
                                              "minute per client address (0: no limit)")
    signin_rate_limit_burst: int = Field(10, ge=1, description="sign-in attempts a client "
                                         "address may make at once")
