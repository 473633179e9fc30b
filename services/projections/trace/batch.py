"""A batch of facts and case events to the rows it writes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import InvalidOperation
from typing import Any, Final

from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from services.projections.trace import supervision_rows, trace_rows
from services.projections.trace.rows import Rows

log = logging.getLogger("fangxin.projections.trace")

_Handler = Callable[[Rows, CloudEvent, dict[str, Any]], None]
_HANDLERS: Final[dict[str, _Handler]] = {**trace_rows.HANDLERS, **supervision_rows.HANDLERS}
USED_TYPES: Final[Sequence[str]] = tuple(_HANDLERS)
"""The fact types the trace projection reads; it ignores the others."""


def build_rows(events: Iterable[CloudEvent | CaseEvent]) -> Rows:
    """The rows of a batch; facts of other types are ignored, malformed ones skipped and
    logged (they passed intake's validation, so this does not happen in practice)."""
    rows = Rows()
    for event in events:
        if isinstance(event, CaseEvent):
            supervision_rows.case_rows(rows, event)
            continue
        handler = _HANDLERS.get(event.type)
        if handler is None:
            continue
        fact_rows = Rows()
        try:
            handler(fact_rows, event, event.data)
        except (KeyError, TypeError, ValueError, InvalidOperation, IndexError) as exc:
            rows.skipped += 1
            log.warning("trace projection skipped %s %s#%s: %s", event.type, event.source,
                        event.id, exc)
            continue
        rows.absorb(fact_rows)
    return rows
