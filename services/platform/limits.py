"""Request limits every HTTP service shares: body size (413) and a rate per caller (429).

One ASGI middleware, :class:`RequestLimits`, sits in front of an app:

- **Body size.** A declared ``Content-Length`` over the limit is answered 413 before the app
  runs; a body without one (chunked) is counted as the app reads it, and the read that crosses
  the limit ends the request with the same 413, whatever the app made of the failed read.
- **Rate.** A token bucket per key: a rule maps a request to a key (``unit:<unit>`` for a valid
  bearer token, ``address:<host>`` otherwise) or to None (never limited: health, metrics).
  An empty bucket is answered 429 with ``Retry-After``.

Both refusals use the JSON error shape of :class:`services.platform.http.ApiError` and count in
``fangxin_<service>_http_requests_refused_total{reason}``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from services.platform.auth import Credentials
    from services.platform.settings import ServiceSettings

Clock = Callable[[], float]
KeyOf = Callable[["Scope"], str | None]  # a request's bucket key; None: not limited
NEVER_LIMITED = ("/health/", "/metrics")
MAX_KEYS = 10_000  # buckets kept; full (idle) ones are dropped first


class TokenBuckets:
    """A token bucket per key: ``burst`` tokens at most, refilled at ``per_minute`` a minute."""

    def __init__(self, per_minute: int, burst: int, clock: Clock = time.monotonic) -> None:
        if per_minute <= 0 or burst <= 0:
            msg = f"a rate needs tokens: {per_minute}/min, burst {burst}"
            raise ValueError(msg)
        self.rate, self.burst, self.clock = per_minute / 60.0, float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when taken, else the seconds until one is there."""
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= MAX_KEYS:
            return
        full = [k for k, (tokens, then) in self._buckets.items()
                if tokens + (now - then) * self.rate >= self.burst]
        for key in full:  # a full bucket is the same as none
            del self._buckets[key]
        while len(self._buckets) > MAX_KEYS:  # still too many: the least recently used go
            del self._buckets[next(iter(self._buckets))]


@dataclass(frozen=True)
class RateRule:
    """Requests ``key_of`` names share ``buckets`` by key; the first rule with a key applies."""

    buckets: TokenBuckets
    key_of: KeyOf


@dataclass
class RequestLimits:
    """The ASGI middleware: rate rules first, then the body size (0: no body limit)."""

    app: ASGIApp
    max_body_bytes: int
    rules: Sequence[RateRule] = ()
    refused: Callable[[str], None] = field(default=lambda _reason: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait = self._wait(scope)
        if wait > 0:
            await self._refuse(send, 429, "rate_limited", "too many requests; retry after "
                               f"{math.ceil(wait)} s", {"retry-after": str(math.ceil(wait))})
            return
        if self.max_body_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(send)
            return
        await self._counting(scope, receive, send)

    def _wait(self, scope: Scope) -> float:
        for rule in self.rules:
            key = rule.key_of(scope)
            if key is not None:
                return rule.buckets.take(key)
        return 0.0

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, counting the body it reads; past the limit the answer is our 413."""
        read, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal read, over
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_body_bytes:
                    over = True
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # what the app answers to the failed read is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await self._refuse(send, 413, "body_too_large",
                           f"the request body is over the limit of {self.max_body_bytes} bytes")

    async def _refuse(self, send: Send, status: int, code: str, message: str,
                      headers: dict[str, str] | None = None) -> None:
        self.refused(code)
        body = json.dumps({"code": code, "message": message}).encode()
        raw = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()),
               *((k.encode(), v.encode()) for k, v in (headers or {}).items())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


class BodyTooLargeError(Exception):
    """The body a request streams crossed the limit (raised into the app's read)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is over {limit} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return ""


def client_address(scope: Scope) -> str:
    """``address:<host>`` of the peer (behind a proxy: what uvicorn's proxy headers give)."""
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


def never_limited(path: str) -> bool:
    """Probes and the Prometheus scrape are never limited."""
    return path.startswith(NEVER_LIMITED)


def bearer_caller(credentials: Credentials) -> KeyOf:
    """Key a request by the unit of its valid bearer token, else by the client's address."""

    def key_of(scope: Scope) -> str | None:
        if never_limited(scope.get("path", "")):
            return None
        scheme, _, token = _header(scope, b"authorization").partition(" ")
        caller = credentials.by_token(token) if scheme.lower() == "bearer" and token else None
        return f"unit:{caller.unit}" if caller else client_address(scope)

    return key_of


def route_by_address(method: str, path: str) -> KeyOf:
    """Key one route (e.g. the console's sign-in POST) by the client's address."""

    def key_of(scope: Scope) -> str | None:
        if scope.get("method") == method and scope.get("path") == path:
            return client_address(scope)
        return None

    return key_of


def limit_api_requests(app: FastAPI, settings: ServiceSettings, service: str,
                       credentials: Credentials) -> None:
    """Wire the body limit and the per-caller rate into a units' API (workflow, projections)."""
    rules = [RateRule(TokenBuckets(settings.http_rate_limit_per_minute,
                                   settings.http_rate_limit_burst), bearer_caller(credentials))
             ] if settings.http_rate_limit_per_minute > 0 else []
    app.add_middleware(RequestLimits, max_body_bytes=settings.http_max_body_bytes, rules=rules,
                       refused=refused_counter(app.state.registry, service))


def refused_counter(registry: CollectorRegistry, service: str) -> Callable[[str], None]:
    """``fangxin_<service>_http_requests_refused_total{reason}``; returns its ``inc``."""
    counter = Counter(f"fangxin_{service}_http_requests_refused",
                      "HTTP requests refused before the app: body_too_large (413) or "
                      "rate_limited (429)", ["reason"], registry=registry)
    for reason in ("body_too_large", "rate_limited"):
        counter.labels(reason)  # both series exist from the start (0 until one happens)
    return lambda reason: counter.labels(reason).inc()
