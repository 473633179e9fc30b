"""Workflow service settings (``FANGXIN_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from services.platform.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    http_port: int = 8002
    consumer_group: str = "fangxin-workflow"
    batch_max_records: int = 500
    relay_batch_size: int = 500
    relay_poll_seconds: float = 0.2
    timer_poll_seconds: float = Field(1.0, description="how often due timers are looked for")
    annual_summary_poll_seconds: float = Field(
        60.0, description="how often to check that every begun plan year has its annual "
        "summary cases (one per action); opening them is idempotent")
    units_file: Path | None = Field(None, description="credentials of the units (JSON); "
                                    "without it every HTTP call but health is refused")
    cipher_key: SecretStr | None = Field(None, description="AES key (base64, 32 bytes) that "
                                         "encrypts the event store; required")
    aggregate_cache_size: int = 5000

    def eventsourcing_env(self, sqlite_file: str) -> dict[str, str]:
        env = super().eventsourcing_env(sqlite_file)
        if self.cipher_key is None:
            msg = ("FANGXIN_CIPHER_KEY is required: the event store holds complainants' personal "
                   "data and is encrypted at rest (make one with: fangxin keys cipher)")
            raise ValueError(msg)
        env.update({"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                    "CIPHER_KEY": self.cipher_key.get_secret_value(),
                    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
                    "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size)})
        return env

    def conninfo(self) -> str:
        info = (f"host={self.postgres_host} port={self.postgres_port} "
                f"dbname={self.postgres_dbname} user={self.postgres_user}")
        return f"{info} password={self.postgres_password}" if self.postgres_password else info
