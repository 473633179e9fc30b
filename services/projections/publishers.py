"""What the projections service publishes: recall commands from their outbox, and snapshots."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from services.projections.recall import RECALLER
from services.projections.reporting import SnapshotReporter

log = logging.getLogger("fangxin.projections.publishers")


async def relay_recall_commands(store: Any, broker: KafkaBroker, topic: str) -> None:
    """Send the queued RV commands; mark them sent once Kafka has acknowledged them."""
    while True:
        try:
            queued = await asyncio.to_thread(store.unsent)
            for command in queued:
                await broker.publish(command, topic, key=command.case_id.encode(),
                                     headers={"message-id": command.command_id,
                                              "sender": RECALLER})
            await asyncio.to_thread(store.mark_sent, queued)
        except Exception:  # the broker or the database is away: the outbox keeps them
            log.exception("publishing recall commands failed")
        await asyncio.sleep(1)


async def publish_snapshots(reporter: SnapshotReporter, broker: KafkaBroker, topic: str,
                            published: Counter) -> None:
    """Publish the assessment snapshots the debouncer lets through, and the final ones."""
    while True:
        try:
            due = await asyncio.to_thread(reporter.due)
            for snapshot in due:
                await broker.publish(snapshot, topic, key=snapshot.scope.id.encode())
                published.labels(str(snapshot.final).lower()).inc()
            reporter.confirm(due)
        except Exception:  # the broker or the database is away: try again later
            log.exception("publishing assessment snapshots failed")
        await asyncio.sleep(5)
