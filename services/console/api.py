"""Calls to the workflow and projections APIs with the signed-in unit's own bearer token."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
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
class AnswerCache:
    """Recent answers of the slow aggregate queries (appraisal, bulletin), per token.

    The key holds the token's hash, so a unit only ever gets answers the API gave its own
    token. Misses of one key at the same time share one call. Figures of a period move only as
    facts arrive, and the projections service itself publishes them at most once a minute.
    """

    seconds: float
    max_entries: int = 256
    _answers: dict[tuple[str, str], tuple[float, httpx.Response]] = field(default_factory=dict)
    _pending: dict[tuple[str, str], asyncio.Future[httpx.Response]] = field(
        default_factory=dict)

    async def get(self, key: tuple[str, str], fetch: Callable[[], Awaitable[httpx.Response]],
                  *, fresh: bool = False) -> httpx.Response:
        now = time.monotonic()
        found = self._answers.get(key)
        if found is not None and not fresh and now - found[0] < self.seconds:
            return found[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[httpx.Response] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when none waits
            raise
        else:
            future.set_result(answer)
            if len(self._answers) >= self.max_entries:
                self._answers.pop(next(iter(self._answers)))
            self._answers[key] = (time.monotonic(), answer)
            return answer
        finally:
            self._pending.pop(key, None)


@dataclass
class Api:
    """One page's view of the APIs: the shared HTTP client, the token, the base URLs."""

    client: httpx.AsyncClient
    token: str
    urls: Mapping[str, str]
    timings: Timings = field(default_factory=Timings)
    cache: AnswerCache | None = None
    fresh: bool = False  # the browser asked for a reload without cache (Cache-Control)

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

    async def cached(self, service: str, path: str, **params: Any) -> httpx.Response:
        """A GET answered from the cache when a recent answer to this token is there."""
        if self.cache is None or self.cache.seconds <= 0:
            return await self.request("GET", service, path, params=params)
        url = str(httpx.URL(f"{self.urls[service]}{path}", params={
            k: str(v) for k, v in sorted(params.items()) if v is not None and v != ""}))
        key = (hashlib.sha256(self.token.encode()).hexdigest(), url)
        return await self.cache.get(
            key, lambda: self.request("GET", service, path, params=params), fresh=self.fresh)

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
