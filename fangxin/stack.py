"""A local stack: Kafka and the services as processes, started and stopped together."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from contracts.topics import Topics
from fangxin.local.kafka import KafkaServer, create_topics
from fangxin.local.processes import free_port
from fangxin.local.secrets import ensure_local_secrets
from fangxin.local.services import SERVICES, ServiceProcess

DEFAULT_PARTITIONS = 3


@dataclass
class LocalStack:
    """Everything under one state directory (``var/`` by default): broker data, SQLite, logs."""

    state_dir: Path
    kafka_port: int | None = None
    partitions: int = DEFAULT_PARTITIONS
    topics: Topics = field(default_factory=Topics)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    kafka: KafkaServer | None = None
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))  # HTTP, per service

    @classmethod
    def on_free_ports(cls, state_dir: Path, services: Iterable[str] = tuple(SERVICES)
                      ) -> LocalStack:
        """A stack of ``services`` whose broker and HTTP ports are free loopback ports (tests,
        benchmarks: beside anything else running on the machine)."""
        return cls(state_dir, kafka_port=free_port(),
                   ports={name: free_port() for name in services})

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    def start_kafka(self, *, detach: bool = False) -> str:
        self.kafka = KafkaServer(self.state_dir / "kafka", port=self.kafka_port)
        self.kafka.start(detach=detach)
        create_topics(self.kafka.bootstrap_servers,
                      dict.fromkeys(self.topics.all(), self.partitions))
        return self.kafka.bootstrap_servers

    def start_services(self, bootstrap: str, extra_env: dict[str, str] | None = None) -> None:
        apis = {f"FANGXIN_{name.upper()}_URL": f"http://127.0.0.1:{port}"  # for the console
                for name, port in self.ports.items() if name in ("workflow", "projections")}
        env = {"FANGXIN_KAFKA_BOOTSTRAP": bootstrap, "FANGXIN_PERSISTENCE": "sqlite",
               "FANGXIN_SQLITE_DIR": str(self.state_dir / "db"),
               "FANGXIN_TOPIC_PREFIX": self.topics.prefix, **apis,
               **ensure_local_secrets(self.state_dir), **(extra_env or {})}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name, port in self.ports.items():
            service = ServiceProcess(name, port, env, self.state_dir / "logs").start()
            assert service.process is not None
            (self.run_dir / f"{name}.pid").write_text(f"{service.process.pid}\n")
            self.services[name] = service
        for service in self.services.values():
            service.wait_ready(90)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
            (self.run_dir / f"{service.name}.pid").unlink(missing_ok=True)
        if self.kafka is not None:
            self.kafka.stop()

    @staticmethod
    def stop_detached(state_dir: Path) -> list[str]:
        """Stop what ``fangxin up`` left running; returns what it stopped."""
        stopped = []
        for pid_file in sorted((state_dir / "run").glob("*.pid")):
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
                stopped.append(pid_file.stem)
            pid_file.unlink(missing_ok=True)
        if KafkaServer.stop_pidfile(state_dir / "kafka"):
            stopped.append("kafka")
        return stopped
