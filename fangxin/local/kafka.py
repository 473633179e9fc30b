"""A single-node Apache Kafka broker (KRaft, broker+controller) on loopback.

The broker's jars come from Maven Central through ``deploy/local/kafka/pom.xml``; the resolved
classpath is cached under ``.cache/kafka`` so warm starts never call Maven. Layout of a data
directory: ``server.properties``, ``logs/`` (Kafka's log.dirs), ``broker.log``, ``kafka.pid`` and
``bootstrap.txt``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from contracts.topics import TOPIC_CONFIGS
from fangxin.local.processes import HOST, free_port, stop_group

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_DIR = ROOT / "deploy" / "local" / "kafka"
POM = DEPLOY_DIR / "pom.xml"
LOG4J_CONFIG = DEPLOY_DIR / "log4j2.yaml"
CACHE_DIR = ROOT / ".cache" / "kafka"
NODE_ID = 1
LOG_TAIL_LINES = 40
POLL_INTERVAL = 0.2
PROBE_TIMEOUT_MS = 5000
ADMIN_TIMEOUT_MS = 15000

_T = TypeVar("_T")


class KafkaStartError(RuntimeError):
    """The broker could not be resolved, formatted, started or reached."""


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version pinned in the pom (``<kafka.version>``)."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    if found is None:
        msg = f"no <kafka.version> in {pom}"
        raise KafkaStartError(msg)
    return found.group(1).strip()


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)  # Maven colours its output even in batch mode
    return "\n".join(plain.splitlines()[-lines:])


def _require(tool: str, hint: str) -> str:
    found = shutil.which(tool)
    if found is None:
        msg = f"'{tool}' not found on PATH; {hint}"
        raise KafkaStartError(msg)
    return found


def _cached_classpath(cached: Path) -> str | None:
    if not cached.exists():
        return None
    classpath = cached.read_text().strip()
    jars = classpath.split(os.pathsep)
    return classpath if classpath and all(Path(jar).exists() for jar in jars) else None


def _maven_classpath(output: Path) -> None:
    mvn = _require("mvn", "install Maven (apt-get install -y maven)")
    command = [
        *(mvn, "-B", "-q", "-f", str(POM)),
        *("dependency:build-classpath", "-Dmdep.includeScope=runtime"),
        f"-Dmdep.outputFile={output}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    except subprocess.TimeoutExpired as exc:
        msg = f"mvn timed out resolving {POM}"
        raise KafkaStartError(msg) from exc
    if done.returncode != 0 or not output.exists():
        output.unlink(missing_ok=True)
        msg = f"mvn failed ({done.returncode}) resolving {POM}:\n{_tail(done.stdout + done.stderr)}"
        raise KafkaStartError(msg)


def resolve_classpath(cache_dir: Path | None = None) -> str:
    """The broker's runtime classpath, resolved by Maven once per pom content."""
    _require("java", "install a JDK 17+ (apt-get install -y openjdk-17-jre-headless)")
    cache_dir = cache_dir or CACHE_DIR
    cached = cache_dir / f"classpath-{hashlib.sha256(POM.read_bytes()).hexdigest()[:16]}.txt"
    classpath = _cached_classpath(cached)
    if classpath is not None:
        return classpath
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / "resolve.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one mvn at a time; the others reuse its result
        classpath = _cached_classpath(cached)
        if classpath is None:
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            _maven_classpath(partial)
            partial.replace(cached)
            classpath = cached.read_text().strip()
    return classpath


def _run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run`` that also works when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[_T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=target, name="fangxin-kafka-sync")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return box[0]


async def _port_open(bootstrap: str) -> bool:
    """A cheap TCP check first, so aiokafka does not log refused connections while we wait."""
    host, _, port = bootstrap.split(",", maxsplit=1)[0].strip().rpartition(":")
    try:
        async with asyncio.timeout(1.0):
            _, writer = await asyncio.open_connection(host or HOST, int(port))
    except (OSError, TimeoutError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def _probe(bootstrap: str) -> bool:
    if not await _port_open(bootstrap):
        return False
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=PROBE_TIMEOUT_MS)
    try:
        await client.bootstrap()
        return bool(client.cluster.brokers())
    except (KafkaError, OSError):
        return False
    finally:
        await client.close()


async def await_metadata(bootstrap: str) -> None:
    """Poll until the broker answers a metadata request; bound it with ``asyncio.timeout``."""
    while True:
        if await _probe(bootstrap):
            return
        await asyncio.sleep(POLL_INTERVAL)


async def _bounded(coro: Coroutine[Any, Any, None], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            await coro
    except TimeoutError:
        msg = f"{what} not done within {seconds:.0f}s"
        raise KafkaStartError(msg) from None


def wait_for_metadata(bootstrap: str, timeout: float = 30.0) -> None:
    """Blocking :func:`await_metadata` with a deadline (``KafkaStartError`` when it passes)."""
    _run_sync(_bounded(await_metadata(bootstrap), timeout, f"metadata from {bootstrap}"))


def _topics_ready(described: list[dict[str, Any]], wanted: Mapping[str, int]) -> bool:
    seen = {item["topic"]: item["partitions"] for item in described if item["error_code"] == 0}
    for name, partitions in wanted.items():
        found = seen.get(name)
        if found is None or len(found) < partitions:
            return False
        if any(part["error_code"] != 0 or part["leader"] < 0 for part in found):
            return False
    return True


async def acreate_topics(bootstrap: str, topics: Mapping[str, int]) -> None:
    """Create ``{name: partitions}`` (replication 1) unless present; wait for their leaders."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(name, n, 1, topic_configs=_configs(name))
                   for name, n in topics.items() if name not in existing]
        if missing:
            response = await admin.create_topics(missing)
            for name, code, *rest in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    message = rest[0] if rest else ""
                    raise for_code(code)(f"creating topic {name}: {message}")
        while True:
            if _topics_ready(await admin.describe_topics(list(topics)), topics):
                return
            await asyncio.sleep(POLL_INTERVAL / 2)
    finally:
        await admin.close()


def _configs(name: str) -> dict[str, str]:
    """The topic configuration of a public topic (by its base name, whatever the prefix)."""
    return next((config for base, config in TOPIC_CONFIGS.items() if name.endswith(base)), {})


def create_topics(bootstrap: str, topics: Mapping[str, int], timeout: float = 30.0) -> None:
    """Blocking :func:`acreate_topics` with a deadline."""
    _run_sync(_bounded(acreate_topics(bootstrap, topics), timeout, f"creating {sorted(topics)}"))


def _cluster_id() -> str:
    """A random Kafka cluster id (base64url of 16 bytes, not starting with '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _is_broker(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline


class KafkaServer:
    """One local broker: ``start()``, use ``bootstrap_servers``, ``stop()``; data stays."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = "-Xms128m -Xmx384m",
        num_partitions: int = 1,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()  # the broker runs with its own cwd
        previous = self._previous_ports()
        self.port = port or previous.get("PLAINTEXT") or free_port()
        self.controller_port = controller_port or previous.get("CONTROLLER") or free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.heap = heap
        self.num_partitions = num_partitions
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def properties_path(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "broker.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "kafka.pid"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _previous_ports(self) -> dict[str, int]:
        """Listener ports of an earlier run, so a formatted quorum keeps its endpoints."""
        if not (self.data_dir / "logs" / "meta.properties").exists():
            return {}
        text = self.properties_path.read_text() if self.properties_path.exists() else ""
        return {name: int(p) for name, p in re.findall(r"(\w+)://[\d.]+:(\d+)", text)}

    def _properties(self) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(NODE_ID),
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": str(self.num_partitions),
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _format(self, classpath: str) -> None:
        if (self.log_dir / "meta.properties").exists():
            return
        command = [
            *("java", "-cp", classpath, f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"),
            *("kafka.tools.StorageTool", "format", "--standalone", "-t", _cluster_id()),
            *("-c", str(self.properties_path)),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            msg = f"formatting {self.log_dir} failed:\n{_tail(done.stdout + done.stderr)}"
            raise KafkaStartError(msg)

    def _log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return "(no broker log)"

    def start(self, timeout: float = 90.0, *, detach: bool = False) -> Self:
        """Format (first run only), launch and wait for metadata; ``detach`` outlives us."""
        if self._process is not None:
            return self
        running = self.running_pid(self.data_dir)
        if running is not None:
            msg = f"a broker (pid {running}) already runs in {self.data_dir}; stop_pidfile() it"
            raise KafkaStartError(msg)
        classpath = resolve_classpath()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(self._properties())
        self._format(classpath)
        command = [
            *("java", *shlex.split(self.heap), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"),
            *("-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"),
            *("-cp", classpath, "kafka.Kafka", str(self.properties_path)),
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self._process.pid}\n")
        (self.data_dir / "bootstrap.txt").write_text(f"{self.bootstrap_servers}\n")
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        if detach:
            self._process = None  # keeps running in its own session; stop via stop_pidfile
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = process.returncode if process else None
                msg = f"Kafka exited ({code}) while starting; {self.log_path}:\n{self._log_tail()}"
                raise KafkaStartError(msg)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Kafka not ready after {timeout:.0f}s; {self.log_path}:\n{self._log_tail()}"
                raise KafkaStartError(msg)
            if _run_sync(_probe(self.bootstrap_servers)):
                return
            time.sleep(POLL_INTERVAL)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the broker's process group, SIGKILL it after ``timeout``."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_group(process, timeout)
        self.pid_path.unlink(missing_ok=True)

    @staticmethod
    def running_pid(data_dir: Path) -> int | None:
        """The pid of a live broker recorded in ``data_dir/kafka.pid``, if any."""
        try:
            pid = int((Path(data_dir) / "kafka.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _process_alive(pid) and _is_broker(pid) else None

    @classmethod
    def stop_pidfile(cls, data_dir: Path, timeout: float = 30.0) -> bool:
        """Stop a broker another process started in ``data_dir``; False if none ran."""
        pid_path = Path(data_dir) / "kafka.pid"
        pid = cls.running_pid(data_dir)
        if pid is None:
            pid_path.unlink(missing_ok=True)
            return False
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while _process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not _process_alive(pid):
                break
        pid_path.unlink(missing_ok=True)
        return True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
