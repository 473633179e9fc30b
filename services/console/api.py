"""Calls to the workflow and projections APIs with the signed-in unit's own bearer token."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx


class ApiRefusal(Exception):  # noqa: N818 - it is what the API answered, not a bug
    """A non-2xx answer: its status and the API's own code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ApiUnavailable(Exception):  # noqa: N818
    """A service did not answer (down, or too slow)."""


@dataclass
class Timings:
    """Time spent waiting for the APIs during one page (for the Server-Timing header)."""

    calls: int = 0
    seconds: float = 0.0


@dataclass
class Api:
    """One page's view of the APIs: the shared HTTP client, the token, the base URLs."""

    client: httpx.AsyncClient
    token: str
    urls: Mapping[str, str]
    timings: Timings = field(default_factory=Timings)

    async def request(self, method: str, service: str, path: str, *,
                      params: Mapping[str, Any] | None = None,
                      json: Mapping[str, Any] | None = None,
                      headers: Mapping[str, str] | None = None) -> httpx.Response:
        started = time.perf_counter()
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            response = await self.client.request(
                method, f"{self.urls[service]}{path}", params=clean, json=json,
                headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{service}: {exc.__class__.__name__}") from None
        finally:
            self.timings.calls += 1
            self.timings.seconds += time.perf_counter() - started
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self.request("GET", service, path, params=params)).json()

    async def post(self, service: str, path: str, body: Mapping[str, Any],
                   headers: Mapping[str, str] | None = None) -> Any:
        return (await self.request("POST", service, path, json=body, headers=headers)).json()


def segment(value: str) -> str:
    """A path segment, percent-encoded once (lot codes may hold slashes)."""
    return quote(value, safe="")


def _refusal(response: httpx.Response) -> ApiRefusal:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or f"http_{response.status_code}")
    message = str(body.get("message") or response.reason_phrase or code)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        message += ": " + "; ".join(f"{e.get('path')}: {e.get('message')}" for e in errors
                                    if isinstance(e, dict))
    return ApiRefusal(response.status_code, code, message)
