"""The outbox relay: publishes the workflow's event store to Kafka, in order, at least once.

The event store is the outbox. The relay reads notifications after its recorded position,
publishes the public form of each case event, waits for the broker's acknowledgement, then
records the new position. A crash in between re-publishes the tail; consumers drop the repeats
by event id. Only the holder of the leader lock relays, so one relay is active at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from contracts.cases import CaseEvent
from services.workflow.application import Workflow
from services.workflow.followers import pause
from services.workflow.leader import LeaderLock
from services.workflow.public_events import is_case_event, public_event

Publish = Callable[[Sequence[CaseEvent]], Awaitable[None]]
log = logging.getLogger("fangxin.workflow.relay")
POSITION_NAME = "outbox:workflow.events"


class OutboxRelay:
    """Runs in the workflow process; relays only while it holds ``lock``."""

    def __init__(self, app: Workflow, publish: Publish, lock: LeaderLock, *,
                 batch_size: int = 500, poll_seconds: float = 0.2,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.app = app
        self.publish = publish
        self.lock = lock
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.on_progress = on_progress
        self.position = 0
        self._case_ids: OrderedDict[UUID, str] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        """Called after the workflow records new events, to relay them without waiting."""
        self._wakeup.set()

    async def run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopping.is_set():
            if not await asyncio.to_thread(self.lock.acquire):
                self._standing_by()
                await self._pause(2.0)  # another instance relays; stand by
                continue
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
        last, events, head = await asyncio.to_thread(self._read)
        if last is not None:
            if events:
                await self.publish(events)
            await asyncio.to_thread(self.app.recorder.insert_tracking,
                                    Tracking(POSITION_NAME, last))
            self.position = last
        if self.on_progress is not None:
            self.on_progress(self.position, head)
        return 0 if last is None else len(events) or 1

    def _standing_by(self) -> None:
        """Another instance relays: this one has no lag of its own to report. (Its last figure
        as the relay would otherwise stay, and the lag summed over instances never reach 0.)"""
        if self.on_progress is not None:
            self.on_progress(self.position, self.position)

    def _read(self) -> tuple[int | None, list[CaseEvent], int]:
        recorder = self.app.recorder
        self.position = max(self.position, recorder.max_tracking_id(POSITION_NAME) or 0)
        notifications = recorder.select_notifications(self.position, self.batch_size,
                                                      inclusive_of_start=False)
        head = recorder.max_notification_id() or 0
        if not notifications:
            return None, [], head
        events = [e for e in map(self._public, notifications) if e is not None]
        return notifications[-1].id, events, head

    def _public(self, notification: Any) -> CaseEvent | None:
        if ":Case." not in notification.topic:
            return None  # businesses, kitchen tallies, calendar years: not decoded at all
        domain_event = self.app.mapper.to_domain_event(notification)
        if not is_case_event(domain_event):
            return None
        return public_event(domain_event, self._case_id(domain_event))

    def _case_id(self, domain_event: Any) -> str:
        originator = domain_event.originator_id
        case_id = getattr(domain_event, "case_id", None) or self._case_ids.get(originator)
        if case_id is None:
            case_id = self.app.repository.get(originator).case_id
        self._case_ids[originator] = case_id
        self._case_ids.move_to_end(originator)
        if len(self._case_ids) > 100_000:
            self._case_ids.popitem(last=False)
        return str(case_id)

    async def _pause(self, seconds: float) -> None:
        await pause(self._wakeup, self._stopping, seconds)

    def stop(self) -> None:
        self._stopping.set()
