"""The outbox relay: publishes the workflow's event store to Kafka, in order, at least once.

The event store is the outbox. The relay reads notifications after its recorded position,
publishes their public form, waits for the broker's acknowledgement, then records the new
position. A crash in between re-publishes the tail; consumers drop the repeats by event id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from services.workflow.application import Workflow
from services.workflow.translate import case_event

Publish = Callable[[Sequence[CaseEvent]], Awaitable[None]]
log = logging.getLogger("fangxin.workflow.relay")
POSITION_NAME = "outbox:workflow.events"


class OutboxRelay:
    """One per application (a single replica, or the lock holder when scaled out)."""

    def __init__(self, app: Workflow, publish: Publish, *, batch_size: int = 500,
                 poll_seconds: float = 0.2, on_progress: Callable[[int, int], None] | None = None
                 ) -> None:
        self.app = app
        self.publish = publish
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.on_progress = on_progress
        self.position = 0
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called after the workflow records new events, to relay them without waiting."""
        self._wakeup.set()

    async def run(self) -> None:
        recorded = await asyncio.to_thread(self.app.recorder.max_tracking_id, POSITION_NAME)
        self.position = recorded or 0
        backoff = self.poll_seconds
        while not self._stopping.is_set():
            try:
                relayed = await self.relay_once()
            except Exception:  # broker or database trouble: keep the position, back off
                log.exception("relay failed; retrying", extra={"position": self.position})
                await self._pause(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = self.poll_seconds
            if not relayed:
                await self._pause(self.poll_seconds)

    async def relay_once(self) -> int:
        """Publish the next batch; return how many notifications it covered."""
        notifications = await asyncio.to_thread(
            self.app.recorder.select_notifications, self.position, self.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            self._report()
            return 0
        events = [e for e in map(self._public, notifications) if e is not None]
        if events:
            await self.publish(events)
        last = notifications[-1].id
        await asyncio.to_thread(self.app.recorder.insert_tracking, Tracking(POSITION_NAME, last))
        self.position = last
        self._report()
        return len(notifications)

    def _public(self, notification: Any) -> CaseEvent | None:
        return case_event(self.app.mapper.to_domain_event(notification))

    def _report(self) -> None:
        if self.on_progress is not None:
            head = self.app.recorder.max_notification_id() or 0
            self.on_progress(self.position, head)

    async def _pause(self, seconds: float) -> None:
        self._wakeup.clear()
        wakers = [asyncio.ensure_future(self._wakeup.wait()),
                  asyncio.ensure_future(self._stopping.wait())]
        await asyncio.wait(wakers, timeout=seconds,
                                        return_when=asyncio.FIRST_COMPLETED)
        for task in wakers:
            task.cancel()

    def stop(self) -> None:
        self._stopping.set()
