"""A Prometheus server on loopback, from Debian's ``prometheus`` package, scraping our services.

The configuration is ``deploy/prometheus/prometheus.yml`` itself with its static targets replaced
(one job per service, the same job names the alerts match on), a short scrape interval and its
rule files (``alerts.yml``) loaded from ``deploy/prometheus/``. Layout of a data directory:
``prometheus.yml`` (rendered), ``data/`` (the TSDB) and ``prometheus.log``.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import yaml

from fangxin.local.processes import free_port, stop_group

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
HOST = "127.0.0.1"
INSTALL_HINT = "install Debian's package: apt-get install -y prometheus  (make setup does this)"


class PrometheusStartError(RuntimeError):
    """Prometheus could not be found, configured or started."""


def find_binary(name: str = "prometheus") -> str:
    """``prometheus`` or ``promtool`` on PATH (Debian installs both in /usr/bin)."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists()
                                   else None)
    if found is None:
        msg = f"'{name}' not found on PATH; {INSTALL_HINT}"
        raise PrometheusStartError(msg)
    return found


def render_config(targets: Mapping[str, Sequence[str]], *, template: Path = TEMPLATE,
                  interval: str = "1s") -> dict[str, Any]:
    """The template with each job's targets replaced and every interval set to ``interval``.

    ``targets`` must name exactly the template's jobs, so the two cannot drift apart.
    """
    config: dict[str, Any] = yaml.safe_load(template.read_text(encoding="utf-8"))
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    if sorted(jobs) != sorted(targets):
        msg = f"targets for {sorted(targets)} but {template} has the jobs {sorted(jobs)}"
        raise ValueError(msg)
    config["global"].update(scrape_interval=interval, scrape_timeout=interval,
                            evaluation_interval=interval)
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": list(targets[job["job_name"]])}]
    config["rule_files"] = [str((template.parent / name).resolve())
                            for name in config.get("rule_files", [])]
    return config


@dataclass
class PrometheusServer:
    """One server: ``start()``, then ``query(expr)``; ``stop()`` ends it (its data stays)."""

    targets: Mapping[str, Sequence[str]]
    root: Path
    port: int = field(default_factory=free_port)
    interval: str = "1s"
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "prometheus.log"

    def start(self, timeout: float = 60.0) -> Self:
        binary = find_binary()
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "prometheus.yml"
        config.write_text(yaml.safe_dump(render_config(self.targets, interval=self.interval),
                                         sort_keys=False), encoding="utf-8")
        command = [
            binary, f"--config.file={config}", f"--storage.tsdb.path={self.root / 'data'}",
            f"--web.listen-address={HOST}:{self.port}", "--storage.tsdb.retention.time=1d",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.root,
                                            start_new_session=True)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                msg = f"prometheus exited ({code}) while starting:\n{self.log_tail()}"
                raise PrometheusStartError(msg)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                msg = f"prometheus not ready after {timeout:.0f} s:\n{self.log_tail()}"
                raise PrometheusStartError(msg)
            time.sleep(0.2)

    def api(self, path: str, **params: str) -> Any:
        """``GET /api/v1/<path>``'s ``data``; an error answer raises."""
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        if response.status_code != 200 or body.get("status") != "success":
            msg = f"/api/v1/{path} {params}: {response.status_code} {body}"
            raise RuntimeError(msg)
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's vector: ``[{"metric": {...}, "value": [t, "v"]}, ...]``."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            msg = f"{expr!r} is a {data['resultType']}, not a vector"
            raise ValueError(msg)
        result: list[dict[str, Any]] = data["result"]
        return result

    def scalar(self, expr: str) -> float | None:
        """The value of a one-element vector (e.g. ``sum(...)``); None when it is empty."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        process, self.process = self.process, None
        stop_group(process, timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
