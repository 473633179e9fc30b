"""Background work of the workflow process: the case index, the timer scan, annual summaries.

They run as asyncio tasks that call a synchronous step in a worker thread, back off on errors,
and wake early when the workflow records new events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from services.workflow.application import Workflow
from services.workflow.case_index import CaseIndex
from services.workflow.leader import LeaderLock

log = logging.getLogger("fangxin.workflow.followers")


class PollingLoop:
    """Repeats ``step`` (returns how much it did) until stopped; idle steps wait ``poll``."""

    def __init__(self, name: str, step: Callable[[], int], poll: float,
                 lock: LeaderLock | None = None) -> None:
        self.name = name
        self.step = step
        self.poll = poll
        self.lock = lock
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        backoff = self.poll
        while not self._stopping.is_set():
            if self.lock is not None and not await asyncio.to_thread(self.lock.acquire):
                await self._pause(2.0)
                continue
            try:
                done = await asyncio.to_thread(self.step)
            except Exception:  # the database or a case failed: log, back off, try again
                log.exception("%s failed; retrying", self.name)
                await self._pause(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = self.poll
            if not done:
                await self._pause(self.poll)

    async def _pause(self, seconds: float) -> None:
        await pause(self._wakeup, self._stopping, seconds)


async def pause(wakeup: asyncio.Event, stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if woken or stopped; then clear the wake-up."""
    wakeup.clear()
    wakers = [asyncio.ensure_future(wakeup.wait()), asyncio.ensure_future(stopping.wait())]
    await asyncio.wait(wakers, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in wakers:
        task.cancel()


def index_step(app: Workflow, index: CaseIndex, batch_size: int = 500) -> Callable[[], int]:
    """Index the cases touched by the next notifications, with the position, atomically."""
    def step() -> int:
        notifications = app.recorder.select_notifications(index.position(), batch_size,
                                                          inclusive_of_start=False)
        if not notifications:
            return 0
        touched = dict.fromkeys(UUID(str(n.originator_id)) for n in notifications
                                if ":Case." in n.topic)
        index.write([app.repository.get(case) for case in touched], notifications[-1].id)
        return len(notifications)

    return step


def timer_step(app: Workflow, index: CaseIndex, on_fired: Callable[[str], None],
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Callable[[], int]:
    """Fire every timer that is due now; a timer another instance fired is skipped."""
    def step() -> int:
        now = clock()
        fired = 0
        for case_id, deadline, kind in index.due_timers(now):
            if app.fire_timer(case_id, deadline, kind, now):
                on_fired(kind)
                fired += 1
        return fired

    return step


def annual_summaries_step(
        app: Workflow, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[], int]:
    """Open the annual summary cases of every plan year that has begun (a no-op once done)."""
    def step() -> int:
        return len(app.open_annual_summaries(clock()))

    return step
