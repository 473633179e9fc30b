"""Starting the services as separate processes (for ``make up``, the demo and e2e tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

SERVICES = {"intake": 8001, "workflow": 8002, "projections": 8003, "console": 8004}


class ServiceStartError(RuntimeError):
    """A service process exited or did not become ready in time."""


@dataclass
class ServiceProcess:
    """One service (``python -m services.<module>``) with its own environment and log file;
    ``name`` tells instances of one service apart (``workflow``, ``workflow.2``)."""

    name: str
    port: int
    env: dict[str, str]
    log_dir: Path
    module: str = ""  # the service's package under services/; the name when empty
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def service(self) -> str:
        return self.module or self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> Self:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "FANGXIN_HTTP_PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.service}"], env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                msg = f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                raise ServiceStartError(msg)
            if self.ready():
                return
            time.sleep(0.2)
        msg = f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}"
        raise ServiceStartError(msg)

    def get_json(self, path: str, token: str | None = None) -> tuple[int, object]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.get(f"{self.url}{path}", timeout=5, headers=headers)
        return response.status_code, response.json()

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> int:
        """SIGKILL (kill -9): no graceful stop, nothing flushed; returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a graceful stop), then SIGKILL if it does not end in time."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
