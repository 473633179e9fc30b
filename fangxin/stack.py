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
from fangxin.local.postgres import PostgresServer
from fangxin.local.processes import free_port
from fangxin.local.secrets import ensure_local_secrets
from fangxin.local.services import SERVICES, ServiceProcess

DEFAULT_PARTITIONS = 3


@dataclass
class LocalStack:
    """Everything under one state directory (``var/`` by default): broker data, SQLite, logs.

    With ``postgres`` the services keep their stores in that cluster instead, each in its own
    database (``fangxin_<service>``), shared by every instance of the service. More instances
    of a service join the first one's consumer group (:meth:`start_instance`).
    """

    state_dir: Path
    kafka_port: int | None = None
    partitions: int = DEFAULT_PARTITIONS
    topics: Topics = field(default_factory=Topics)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    kafka: KafkaServer | None = None
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))  # HTTP, per service
    postgres: PostgresServer | None = None
    _env: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _extra_env: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def on_free_ports(cls, state_dir: Path, services: Iterable[str] = tuple(SERVICES),
                      postgres: PostgresServer | None = None) -> LocalStack:
        """A stack of ``services`` whose broker and HTTP ports are free loopback ports (tests,
        benchmarks: beside anything else running on the machine); stores in ``postgres``
        when given."""
        return cls(state_dir, kafka_port=free_port(),
                   ports={name: free_port() for name in services}, postgres=postgres)

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    def start_kafka(self, *, detach: bool = False) -> str:
        self.kafka = KafkaServer(self.state_dir / "kafka", port=self.kafka_port)
        self.kafka.start(detach=detach)
        create_topics(self.kafka.bootstrap_servers,
                      dict.fromkeys(self.topics.all(), self.partitions))
        return self.kafka.bootstrap_servers

    def restart_kafka(self) -> str:
        """Stop the broker (a controlled shutdown) and start it again on the same ports and
        data directory; the topics and committed offsets are still there."""
        assert self.kafka is not None, "restart_kafka() after start_kafka()"
        self.kafka.stop()
        self.kafka.start()
        return self.kafka.bootstrap_servers

    def database(self, service: str) -> str:
        """The PostgreSQL database a service keeps its store in."""
        return f"fangxin_{service}"

    def _store_env(self, service: str) -> dict[str, str]:
        if self.postgres is None:
            return {"FANGXIN_PERSISTENCE": "sqlite",
                    "FANGXIN_SQLITE_DIR": str(self.state_dir / "db")}
        return {"FANGXIN_PERSISTENCE": "postgres", "FANGXIN_POSTGRES_HOST": self.postgres.host,
                "FANGXIN_POSTGRES_PORT": str(self.postgres.port),
                "FANGXIN_POSTGRES_USER": self.postgres.user,
                "FANGXIN_POSTGRES_DBNAME": self.database(service)}

    def start_services(self, bootstrap: str, extra_env: dict[str, str] | None = None) -> None:
        apis = {f"FANGXIN_{name.upper()}_URL": f"http://127.0.0.1:{port}"  # for the console
                for name, port in self.ports.items() if name in ("workflow", "projections")}
        self._env = {"FANGXIN_KAFKA_BOOTSTRAP": bootstrap,
                     "FANGXIN_SQLITE_DIR": str(self.state_dir / "db"),
                     "FANGXIN_TOPIC_PREFIX": self.topics.prefix, **apis,
                     **ensure_local_secrets(self.state_dir)}
        self._extra_env = dict(extra_env or {})
        if self.postgres is not None:
            for name in self.ports:
                if name != "console":  # the console stores nothing
                    self.postgres.create_database(self.database(name))
        for name, port in self.ports.items():
            self._launch(name, name, port)
        for service in list(self.services.values()):
            service.wait_ready(90)

    def start_instance(self, service: str, index: int) -> ServiceProcess:
        """Launch instance ``index`` (2, 3, ...) of a started service, named ``<service>.<index>``,
        on a free port with the same store and consumer group; it is not awaited."""
        assert self._env, "start_instance() after start_services()"
        return self._launch(f"{service}.{index}", service, free_port())

    def instances(self, service: str) -> list[ServiceProcess]:
        """Every instance of a service started so far (the first one first)."""
        return [s for s in self.services.values() if s.service == service]

    def _launch(self, name: str, service: str, port: int) -> ServiceProcess:
        env = {**self._env, **self._store_env(service), **self._extra_env}
        process = ServiceProcess(name, port, env, self.state_dir / "logs",
                                 module=service if name != service else "").start()
        assert process.process is not None
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / f"{name}.pid").write_text(f"{process.process.pid}\n")
        self.services[name] = process
        return process

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
