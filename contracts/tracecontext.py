"""W3C Trace Context on Kafka messages: one trace per fact, from intake to the read models.

Every record the platform publishes about a fact carries a ``traceparent`` header
(``00-<trace-id>-<parent-id>-01``, W3C Trace Context level 1). The **trace id is the fact's own
identity**: the first 128 bits of SHA-256 over its message id ``<source>#<id>``, the same id
that case events carry as ``fact_id``. So any service, log line or read model that knows a fact
(or a case event caused by it) knows its trace id without a lookup, a re-sent copy of a fact
lands in the same trace, and ``grep <trace-id>`` over every service's logs finds the fact's
journey. A ``traceparent`` a producer sent with its own CloudEvent stays in the canonical fact as
the CloudEvents distributed-tracing extension attribute, untouched; it names the producer's
trace, not ours. The parent id names the step that published the record (hash of the service
and its position), so a trace shows intake's, the workflow's and the projections' steps apart.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

HEADER: Final = "traceparent"
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_ZERO_TRACE: Final = "0" * 32
_ZERO_SPAN: Final = "0" * 16


def trace_id(message_id: str) -> str:
    """The trace of the fact ``<source>#<id>`` (32 lowercase hex digits, never all zeros)."""
    found = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]
    return found if found != _ZERO_TRACE else "1" + found[1:]


def span_id(*step: str) -> str:
    """The id of one step (a service and where it was: a Kafka position, a case version)."""
    found = hashlib.sha256("\x1f".join(step).encode("utf-8")).hexdigest()[:16]
    return found if found != _ZERO_SPAN else "1" + found[1:]


def traceparent(trace: str, span: str) -> str:
    """A ``traceparent`` header value (version 00, sampled)."""
    return f"00-{trace}-{span}-01"


def header(message_id: str, *step: str) -> tuple[str, bytes]:
    """The Kafka header of a record published by ``step`` about the fact ``message_id``."""
    return HEADER, traceparent(trace_id(message_id), span_id(*step)).encode("ascii")


def parse(value: str | bytes | None) -> tuple[str, str] | None:
    """``(trace id, parent id)`` of a valid version-00 ``traceparent``; None otherwise."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    match = _TRACEPARENT.fullmatch(value or "")
    if match is None or match[1] == _ZERO_TRACE or match[2] == _ZERO_SPAN:
        return None
    return match[1], match[2]


def trace_of(headers: object) -> str | None:
    """The trace id in a Kafka record's headers (a sequence of ``(key, value)``), if any."""
    if not isinstance(headers, list | tuple):
        return None
    for key, value in headers:
        if key == HEADER:
            found = parse(value)
            return found[0] if found else None
    return None
