"""An ephemeral PostgreSQL cluster on loopback, from Debian's packages.

Tests and local runs start their own cluster: ``initdb`` in a private directory, a free port,
``listen_addresses=127.0.0.1``, dropped afterwards. PostgreSQL refuses to run as root, so when
we are root every server command runs as the ``postgres`` user through ``runuser`` in a
directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from fangxin.local.processes import free_port

SUPERUSER = "postgres"


class PostgresStartError(RuntimeError):
    """PostgreSQL could not be found, initialised or started."""


def find_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` live (Debian keeps them out of PATH).

    ``FANGXIN_PG_BINDIR`` names the directory on systems laid out differently.
    """
    override = os.environ.get("FANGXIN_PG_BINDIR")
    candidates = ([Path(override)] if override else
                  sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = None if override else shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    msg = (
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH). "
        "Install Debian's package: apt-get install -y postgresql  (make setup does this)."
    )
    raise PostgresStartError(msg)


@dataclass
class PostgresServer:
    """One throwaway cluster: ``start()``, use ``dsn(db)``, ``stop()`` (which deletes it)."""

    port: int = field(default_factory=free_port)
    durable: bool = False
    keep: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fangxin-pg-")))
    _as_root: bool = field(init=False, default=False)
    _bindir: Path | None = field(init=False, default=None)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def user(self) -> str:
        return SUPERUSER

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def _prepare_root(self) -> None:
        self._as_root = os.geteuid() == 0
        if self._as_root:
            try:
                entry = pwd.getpwnam(SUPERUSER)
            except KeyError:
                msg = "running as root but there is no 'postgres' user: apt-get install postgresql"
                raise PostgresStartError(msg) from None
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.root.chmod(0o700)

    def start(self, timeout: float = 60.0) -> Self:
        self._bindir = find_bindir()
        self._prepare_root()
        init = self._run(
            str(self._bindir / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions",
        )
        if init.returncode != 0:
            msg = f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}"
            raise PostgresStartError(msg)
        self._launch(timeout)
        return self

    def _launch(self, timeout: float) -> None:
        assert self._bindir is not None
        options = [
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.root}",
            "-c max_connections=200", "-c shared_buffers=64MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        started = self._run(
            str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
            "-o", " ".join(options), "-w", "-t", str(int(timeout)), "start",
        )
        if started.returncode != 0:
            msg = f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{self._log_tail()}"
            raise PostgresStartError(msg)
        self._wait_accepting(timeout)

    def restart(self, mode: str = "immediate", timeout: float = 60.0) -> None:
        """Stop the running cluster (``immediate``: like a crash, recovery on start; or
        ``fast``), then start it again on the same port and data; every session is lost."""
        assert self._bindir is not None, "restart() a started cluster"
        stopped = self._run(str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode,
                            "-w", "stop")
        if stopped.returncode != 0:
            msg = f"pg_ctl stop -m {mode} failed:\n{stopped.stdout}\n{stopped.stderr}"
            raise PostgresStartError(msg)
        self._launch(timeout)

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self._bindir is not None
        while time.monotonic() < deadline:
            probe = self._run(
                str(self._bindir / "pg_isready"), "-h", self.host, "-p", str(self.port), "-t", "2"
            )
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        msg = f"PostgreSQL did not accept connections on port {self.port}\n{self._log_tail()}"
        raise PostgresStartError(msg)

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its DSN."""
        import psycopg  # noqa: PLC0415  (only the test and local tooling need the driver here)

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is generated by our own code
        return self.dsn(name)

    def stop(self) -> None:
        if self._bindir is not None and self.datadir.exists():
            self._run(str(self._bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast",
                      "-w", "stop")
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
