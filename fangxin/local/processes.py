"""What every local server needs: a free loopback port, and a clean stop of its process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def stop_group(process: subprocess.Popen[Any] | None, timeout: float) -> None:
    """SIGTERM a server's process group, SIGKILL it after ``timeout``; a no-op once it ended."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
