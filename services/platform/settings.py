"""Settings every service shares; each service subclasses this once and reads it once."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.topics import Topics

POSTGRES_PERSISTENCE = "services.platform.postgres:Factory"
"""eventsourcing's PostgreSQL persistence with a pool that passes over connections the server
has closed (:mod:`services.platform.postgres`)."""


class ServiceSettings(BaseSettings):
    """Read from ``FANGXIN_*`` environment variables (and a ``.env`` file if present)."""

    model_config = SettingsConfigDict(env_prefix="FANGXIN_", env_file=".env", extra="ignore")

    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    topic_prefix: str = Field("", description="prefix for every topic name (tests only)")
    http_host: str = "127.0.0.1"
    http_max_body_bytes: int = Field(
        1_048_576, ge=0, description="largest request body the units' APIs and the console "
        "accept (413 above it; 0: no limit); intake has its own, max_http_body_bytes")
    http_rate_limit_per_minute: int = Field(
        600, ge=0, description="requests a minute per caller (a unit's token, or the client "
        "address without a valid one); health and /metrics are never limited; 0: no limit")
    http_rate_limit_burst: int = Field(
        60, ge=1, description="requests a caller may send at once before the rate applies")
    log_level: str = "INFO"
    log_json: bool = True
    persistence: Literal["sqlite", "postgres"] = "sqlite"
    sqlite_dir: Path = Field(Path("var"), description="directory of the embedded SQLite files")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "fangxin"
    postgres_user: str = "fangxin"
    postgres_password: str = ""
    postgres_schema: str = "public"

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def eventsourcing_env(self, sqlite_file: str) -> dict[str, str]:
        """The persistence part of an eventsourcing ``env=`` mapping."""
        if self.persistence == "sqlite":
            self.sqlite_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_dir / sqlite_file),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        return {
            "PERSISTENCE_MODULE": POSTGRES_PERSISTENCE,
            "POSTGRES_DBNAME": self.postgres_dbname,
            "POSTGRES_HOST": self.postgres_host,
            "POSTGRES_PORT": str(self.postgres_port),
            "POSTGRES_USER": self.postgres_user,
            "POSTGRES_PASSWORD": self.postgres_password,
            "POSTGRES_SCHEMA": self.postgres_schema,
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",  # it drops tracking records in 9.5.6
        }
