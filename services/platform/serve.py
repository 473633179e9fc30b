"""Running a service as a process: logging, uvicorn, graceful stop on SIGTERM."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from services.platform.logs import configure_logging
from services.platform.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def serve(service: str, settings: S, create_app: Callable[[S], FastAPI], port: int) -> None:
    """Build the app from its settings and serve it until SIGTERM or Ctrl-C.

    uvicorn turns SIGTERM into a lifespan shutdown: consumers stop, in-flight handlers finish
    within the broker's graceful timeout, and uncommitted records are redelivered later.
    """
    configure_logging(service, settings.log_level, json_lines=settings.log_json)
    app = create_app(settings)
    uvicorn.run(app, host=settings.http_host, port=port, log_config=None,
                timeout_graceful_shutdown=20)
