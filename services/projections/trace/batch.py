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


_MALFORMED: Final = (KeyError, TypeError, ValueError, InvalidOperation, IndexError)


def build_rows(events: Iterable[CloudEvent | CaseEvent]) -> Rows:
    """The rows of a batch; facts of other types are ignored, malformed ones skipped and
    logged (they passed intake's validation, so this does not happen in practice).

    Every fact writes straight into the batch's rows; should one turn out malformed half-way,
    the batch is built again fact by fact, each apart, leaving the malformed ones out whole."""
    batch = events if isinstance(events, Sequence) else list(events)
    rows = Rows()
    try:
        for event in batch:
            _add(rows, event)
    except _MALFORMED:
        return _build_apart(batch)
    return rows


def _add(rows: Rows, event: CloudEvent | CaseEvent) -> None:
    if isinstance(event, CaseEvent):
        supervision_rows.case_rows(rows, event)
        return
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(rows, event, event.data)


def _build_apart(events: Iterable[CloudEvent | CaseEvent]) -> Rows:
    rows = Rows()
    for event in events:
        if isinstance(event, CaseEvent):
            supervision_rows.case_rows(rows, event)  # case events come from the workflow
            continue
        fact_rows = Rows()
        try:
            _add(fact_rows, event)
        except _MALFORMED as exc:
            rows.skipped += 1
            log.warning("trace projection skipped %s %s#%s: %s", event.type, event.source,
                        event.id, exc)
            continue
        rows.absorb(fact_rows)
    return rows
