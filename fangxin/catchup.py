"""Has the pipeline caught up? Asked of Kafka's consumer groups and the services' own metrics.

A service has caught up when no record is left after its consumer group's committed offset on
any topic it reads. Topics written in Kafka transactions end with commit markers, so "end offset
minus committed offset" stays above zero after the last record; instead, every partition that
still shows a gap is read from its committed offset (read_committed) to see whether a record
really follows. The workflow's outbox relay reports its own lag, and intake reports how many
inbound messages it has answered. The pipeline is idle when all of that holds twice in a row
with no new record written in between (timers that fire meanwhile write new case events).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from prometheus_client.parser import text_string_to_metric_families

from contracts.topics import Topics


class CatchUpTimeoutError(RuntimeError):
    """The pipeline did not catch up in time."""


def consumer_groups(topics: Topics) -> dict[str, tuple[str, ...]]:
    """Each service's consumer group and the topics it reads (its settings' defaults)."""
    return {
        "fangxin-intake": (topics.inbound,),
        "fangxin-workflow": (topics.supervision, topics.workflow_commands),
        "fangxin-projections": (topics.supervision, topics.trace, topics.workflow_events),
    }


def metric_sum(exposition: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples (optionally only those with ``labels``) in a scrape."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v
                                           for k, v in labels.items()):
                total += sample.value
    return total


@dataclass
class Snapshot:
    """One look at the pipeline."""

    behind: dict[str, int] = field(default_factory=dict)  # group -> partitions with records left
    written: int = 0  # records on every topic (end offsets), to see whether anything moved
    answered: int = 0  # inbound messages intake has answered
    relay_lag: int = 0  # stored case events the workflow has not yet relayed

    def idle(self, published: int) -> bool:
        return (self.answered >= published and self.relay_lag == 0
                and not any(self.behind.values()))


class CatchUp:
    """Looks at the consumer groups of one Kafka cluster; ``scrape(service)`` reads /metrics."""

    def __init__(self, bootstrap: str, topics: Topics, scrape: Callable[[str], str],
                 groups: dict[str, tuple[str, ...]] | None = None) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.scrape = scrape
        self.groups = groups if groups is not None else consumer_groups(topics)

    async def snapshot(self) -> Snapshot:
        groups = self.groups
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                  enable_auto_commit=False, isolation_level="read_committed",
                                  auto_offset_reset="earliest")  # if a reset beats a seek,
        # it can only make a partition look behind, never caught up
        await admin.start()
        await reader.start()
        try:
            described = await admin.describe_topics(
                sorted({t for ts in groups.values() for t in ts}))
            partitions = [TopicPartition(topic["topic"], p["partition"])
                          for topic in described if not topic["error_code"]
                          for p in topic["partitions"]]
            ends = await reader.end_offsets(partitions) if partitions else {}
            snapshot = Snapshot(written=sum(ends.values()))
            for group, read in groups.items():
                committed = await _committed(admin, group)
                gaps = {tp: committed[tp].offset if tp in committed else 0
                        for tp in partitions if tp.topic in read}
                gaps = {tp: at for tp, at in gaps.items() if at < ends.get(tp, 0)}
                snapshot.behind[group] = len(await _with_records(reader, gaps, ends))
        finally:
            await reader.stop()
            await admin.close()
        intake, workflow = await asyncio.gather(asyncio.to_thread(self.scrape, "intake"),
                                                asyncio.to_thread(self.scrape, "workflow"))
        snapshot.answered = int(metric_sum(intake, "fangxin_intake_messages_total"))
        snapshot.relay_lag = int(metric_sum(workflow, "fangxin_workflow_relay_lag_events"))
        return snapshot

    async def wait(self, published: int, *, within: float, interval: float = 1.0,
                   progress: Callable[[Snapshot], None] | None = None) -> Snapshot:
        """Until idle twice in a row with nothing written in between; raises on timeout."""
        deadline = time.monotonic() + within
        previous: Snapshot | None = None
        while True:
            current = await self.snapshot()
            if progress is not None:
                progress(current)
            if (current.idle(published) and previous is not None
                    and previous.idle(published) and previous.written == current.written):
                return current
            if time.monotonic() > deadline:
                msg = (f"not caught up after {within:.0f} s: answered {current.answered} of "
                       f"{published}, partitions behind {current.behind}, relay lag "
                       f"{current.relay_lag}")
                raise CatchUpTimeoutError(msg)
            previous = current
            await asyncio.sleep(interval)


async def _committed(admin: AIOKafkaAdminClient, group: str) -> dict[TopicPartition, Any]:
    """A group's committed offsets; none while its coordinator is not there yet (a new group
    on a new broker), which counts every record as not yet read."""
    try:
        found: dict[TopicPartition, Any] = await admin.list_consumer_group_offsets(group)
    except GroupCoordinatorNotAvailableError:
        return {}
    return found


async def _with_records(reader: AIOKafkaConsumer, gaps: dict[TopicPartition, int],
                        ends: dict[TopicPartition, int]) -> set[TopicPartition]:
    """The partitions of ``gaps`` where a committed record follows the given offset.

    A partition whose read position reaches its end offset without a record had only
    transaction markers left; one still undecided after a few seconds counts as behind.
    """
    if not gaps:
        return set()
    reader.assign(list(gaps))
    for tp, offset in gaps.items():
        reader.seek(tp, offset)
    found: set[TopicPartition] = set()
    pending = set(gaps)
    deadline = time.monotonic() + 5.0
    while pending and time.monotonic() < deadline:
        batches = await reader.getmany(*pending, timeout_ms=200)
        found.update(tp for tp, records in batches.items() if records)
        pending -= found
        for tp in list(pending):
            if await reader.position(tp) >= ends[tp]:
                pending.discard(tp)
    return found | pending
