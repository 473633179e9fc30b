"""Rebuilding read models from Kafka offset zero into a fresh generation, then switching over.

A rebuild of some of ``trace``, ``assessment`` and ``cases``:

1. makes an empty place for generation *n* + 1 of each (:mod:`.generations`) and opens its view
   (the trace view without its secondary indexes: they are built once the rows are in);
2. replays the topics that feed them from the beginning with a consumer of its own (no consumer
   group: the live feeder's offsets are untouched), a large batch per partition and per read
   model in one transaction with its position, exactly as the live feeder writes them;
3. catches up with the end of the topics (a few rounds, while the live feeder goes on), then
   builds the deferred indexes and refreshes the statistics;
4. takes the live feeder's lock (live batches wait; queries do not), replays the last records,
   checks that no new position is behind the live one, records the new generations in force,
   hands the new read models to the feeder (which goes on from their positions) and swaps the
   views the HTTP layer reads through (:class:`.switch.ViewSwitch`);
5. drops the old generations once no query runs on them.

Offline (no running service), steps 4 and 5 shrink to recording the generations and dropping
the old ones. A failed rebuild drops what it built and leaves the generation in force alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from services.platform.kafka import record_position_name
from services.projections.catalogue import REBUILDABLE, open_view, projection, routes, topics_of
from services.projections.consumer import (
    Feeder,
    GapReporter,
    Parsed,
    ReadModel,
    event_kind,
    feed,
    parse,
    written_in_transactions,
)
from services.projections.generations import Generations, location_env
from services.projections.settings import ProjectionsSettings
from services.projections.switch import Generation, ViewSwitch

log = logging.getLogger("fangxin.projections.rebuild")
BATCH_RECORDS: Final = 20_000  # per fetch, over all partitions
TRANSACTION_RECORDS: Final = 5_000  # per partition and transaction: a partition's records are
# gathered over fetches up to this many (or until it is caught up), then written at once, so
# that a rebuild spends its time on rows, not on commits, whatever the number of partitions
FETCH_BYTES: Final = 4 * 1024 * 1024  # per partition and fetch (Kafka's default is 1 MiB)
CATCH_UP_ROUNDS: Final = 5
MARKER_SLACK: Final = 16  # trailing offsets that may be commit markers (see Rebuild._replay)
CLOSE_ENOUGH: Final = 2000  # records left after which the last catch-up holds the feeder's lock
STALL_SECONDS: Final = 60.0  # no record and no progress for this long fails the rebuild
DRAIN_SECONDS: Final = 60.0  # how long queries on an old generation may still run
ISOLATION: Final = "read_committed"  # as the live subscribers read (platform.kafka)


class RebuildError(RuntimeError):
    """A rebuild cannot go on (the message says why)."""


@dataclass
class RebuildStatus:
    """What a rebuild has done so far; ``state`` ends ``done`` or ``failed``."""

    read_models: list[str]
    state: str = "starting"  # starting, replaying, switching, dropping_old, done, failed
    generations: dict[str, int] = field(default_factory=dict)  # the ones being built
    replayed: int = 0  # records read and applied
    total: int = 0  # records to replay, as far as known
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    switched_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None

    @property
    def progress(self) -> float:
        """0..1: records replayed of those known; 1 once switched."""
        if self.switched_at is not None:
            return 1.0
        return 0.0 if self.total == 0 else min(self.replayed / self.total, 0.99)

    def as_json(self) -> dict[str, Any]:
        def text(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {"read_models": self.read_models, "state": self.state,
                "generations": self.generations, "replayed": self.replayed,
                "total": self.total, "progress": round(self.progress, 4),
                "started_at": text(self.started_at), "switched_at": text(self.switched_at),
                "finished_at": text(self.finished_at), "error": self.error}


@dataclass
class Live:
    """What a running service offers a rebuild: its feeder and the views queries read."""

    feeder: Feeder
    switches: dict[str, ViewSwitch]


Observer = Callable[[RebuildStatus, int], None]  # (status, records replayed since last call)


async def topic_partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (a topic Kafka does not know fails the call)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="fangxin-projections")
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    missing = [t["topic"] for t in described if t["error_code"] != 0 or not t["partitions"]]
    if missing:
        raise RebuildError(f"Kafka does not know the topics {', '.join(sorted(missing))}")
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described
                  for p in t["partitions"])


def choose(read_models: list[str] | None) -> list[str]:
    """The read models to rebuild: the ones named (all when none), in a fixed order."""
    names = set(read_models or REBUILDABLE)
    unknown = names - set(REBUILDABLE)
    if unknown:
        raise ValueError(f"not rebuildable: {', '.join(sorted(unknown))}; "
                         f"choose among {', '.join(REBUILDABLE)}")
    return [name for name in REBUILDABLE if name in names]


class Rebuild:
    """One rebuild (see the module docstring); ``run`` once."""

    def __init__(self, settings: ProjectionsSettings, generations: Generations,
                 read_models: list[str], *, live: Live | None = None,
                 on_gap: GapReporter = lambda *_: None,
                 observe: Observer = lambda *_: None) -> None:
        self.settings = settings
        self.generations = generations
        self.status = RebuildStatus(choose(read_models))
        self.live = live
        self.on_gap = on_gap
        self.observe = observe
        self.views: dict[str, Any] = {}
        self.models: dict[str, ReadModel] = {}
        self.targets: dict[str, list[ReadModel]] = {}  # topic -> new read models it feeds
        self._applied_to: dict[TopicPartition, int] = {}  # offset after the last record applied
        self._recorded = False  # the new generations are recorded in force

    async def run(self) -> RebuildStatus:
        try:
            await self._run()
        except Exception as exc:  # reported in the status
            log.exception("rebuild failed")
            self.status.state, self.status.error = "failed", f"{type(exc).__name__}: {exc}"
            if self._recorded:  # the new generations are in force: only the old ones stay
                self.status.error = f"switched, but the old generations stay: {exc}"
            else:  # what was built goes; the generations in force never changed
                await self._discard_new()
        finally:
            self.status.finished_at = datetime.now(UTC)
            self.observe(self.status, 0)
        return self.status

    async def _run(self) -> None:
        names = self.status.read_models
        in_force = await asyncio.to_thread(self.generations.in_force)
        old = {name: in_force.get(name, 0) for name in names}
        self.status.generations = {name: old[name] + 1 for name in names}
        for name, generation in self.status.generations.items():
            await asyncio.to_thread(self.generations.prepare, name, generation)
            self.views[name] = await asyncio.to_thread(
                open_view, name, location_env(self.settings, name, generation))
            defer = getattr(self.views[name], "defer_indexes", None)
            if defer is not None:  # built after the load, before the first query
                await asyncio.to_thread(defer)
            self.models[name] = projection(name, self.views[name])
        topics = self.settings.topics
        fed = routes(topics)
        self.targets = {topic: [self.models[n] for n in fed[topic] if n in self.models]
                        for topic in topics_of(topics, set(names))}
        self.status.state = "replaying"
        retired = await self._replay_and_switch()
        self.status.state = "dropping_old"
        self.observe(self.status, 0)
        for name in names:
            if name in retired:
                if not await asyncio.to_thread(retired[name].wait_idle, DRAIN_SECONDS):
                    log.warning("queries still run on %s generation %d; dropping it anyway",
                                name, old[name])
                old_view = retired[name].view
            else:
                old_view = await asyncio.to_thread(
                    open_view, name, location_env(self.settings, name, old[name]))
            await asyncio.to_thread(self.generations.drop, name, old[name], old_view)
        self.status.state = "done"

    async def _replay_and_switch(self) -> dict[str, Generation]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap,
                                    client_id="fangxin-projections-rebuild", group_id=None,
                                    enable_auto_commit=False, isolation_level=ISOLATION,
                                    max_partition_fetch_bytes=FETCH_BYTES)
        await consumer.start()
        try:
            partitions = await topic_partitions(self.settings.kafka_bootstrap,
                                                list(self.targets))
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            begin = await consumer.beginning_offsets(partitions)
            end = await consumer.end_offsets(partitions)
            self.status.total = sum(end[tp] - begin[tp] for tp in partitions)
            for _ in range(CATCH_UP_ROUNDS):
                await self._replay(consumer, end)
                end = await consumer.end_offsets(partitions)
                behind = await self._behind(consumer, end)
                self.status.total += behind
                if behind <= CLOSE_ENOUGH:
                    break
            for view in self.views.values():
                create_indexes = getattr(view, "create_indexes", None)
                if create_indexes is not None:  # deferred in _run
                    await asyncio.to_thread(create_indexes)
                analyze = getattr(view, "analyze", None)
                if analyze is not None:  # statistics before the first query on it
                    await asyncio.to_thread(analyze)
            self.status.state = "switching"
            if self.live is None:
                await self._record()
                self.status.switched_at = datetime.now(UTC)
                return {}
            return await self._switch(consumer, partitions, self.live)
        finally:
            await consumer.stop()

    async def _switch(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                      live: Live) -> dict[str, Generation]:
        async with live.feeder.lock:  # live batches wait from here; queries go on
            need = await asyncio.to_thread(self._live_positions, live.feeder, partitions)
            self.status.total += sum(max(0, n - self._applied_to.get(tp, 0))
                                     for tp, n in need.items())
            await self._replay(consumer, need, exact=True)
            await asyncio.to_thread(self._check_not_behind, live.feeder, partitions)
            await self._record()
            retired = {}
            for name, model in self.models.items():
                live.feeder.replace(model)
                retired[name] = live.switches[name].swap(self.views[name],
                                                         self.status.generations[name])
            self.status.switched_at = datetime.now(UTC)
        log.info("read models switched", extra={"generations": self.status.generations})
        self.observe(self.status, 0)
        return retired

    async def _record(self) -> None:
        await asyncio.to_thread(self.generations.record, self.status.generations)
        self._recorded = True

    def _live_positions(self, feeder: Feeder, partitions: list[TopicPartition]
                        ) -> dict[TopicPartition, int]:
        """Per partition, the furthest position of the live read models being rebuilt."""
        return {tp: max(feeder.model(m.name).position(
                    f"{m.name}:{record_position_name(tp.topic, tp.partition)}")
                    for m in self.targets[tp.topic]) for tp in partitions}

    def _check_not_behind(self, feeder: Feeder, partitions: list[TopicPartition]) -> None:
        """The feeder goes on from the new positions: none may be behind the live one."""
        for tp in partitions:
            for model in self.targets[tp.topic]:
                name = f"{model.name}:{record_position_name(tp.topic, tp.partition)}"
                live = feeder.model(model.name).position(name)
                if model.position(name) < live:
                    raise RebuildError(f"{name}: rebuilt to {model.position(name)}, "
                                       f"the live read model is at {live}")

    @staticmethod
    async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> int:
        behind = 0
        for tp, offset in end.items():
            behind += max(0, offset - await consumer.position(tp))
        return behind

    async def _replay(self, consumer: AIOKafkaConsumer, until: dict[TopicPartition, int], *,
                      exact: bool = False) -> None:
        """Read and apply records of each partition until it is done, in transactions of up to
        ``TRANSACTION_RECORDS`` per partition.

        ``exact``: done when the records applied reach ``until`` (the live positions, which
        are offsets after records). Otherwise ``until`` holds end offsets: done when the
        consumer's position reaches it, or when at most ``MARKER_SLACK`` offsets are left and
        two fetches in a row gave nothing: a partition may end in the commit markers of
        transactional producers, offsets that are never records and that the consumer does
        not step over on its own.
        """
        quiet: dict[TopicPartition, int] = dict.fromkeys(until, 0)
        gathered: dict[TopicPartition, list[Any]] = defaultdict(list)

        async def write(tp: TopicPartition) -> None:
            records, gathered[tp] = gathered[tp], []
            if records:
                await asyncio.to_thread(self._apply, tp, records)
                self.status.replayed += len(records)
                self.observe(self.status, len(records))

        async def done(tp: TopicPartition) -> bool:
            if exact:
                return self._applied_to.get(tp, 0) >= until[tp]
            left = until[tp] - await consumer.position(tp)
            return left <= 0 or (quiet[tp] >= 2 and left <= MARKER_SLACK)

        pending = [tp for tp in until if not await done(tp)]
        last_progress = time.monotonic()
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=500,
                                             max_records=BATCH_RECORDS)
            for tp in pending:
                quiet[tp] = 0 if batches.get(tp) else quiet[tp] + 1
                gathered[tp] += batches.get(tp, [])
                reached = bool(gathered[tp]) and gathered[tp][-1].offset + 1 >= until[tp]
                if len(gathered[tp]) >= TRANSACTION_RECORDS or quiet[tp] or reached:
                    await write(tp)  # a full transaction, or all there is for now
            still = []
            for tp in pending:
                if await done(tp):
                    await write(tp)
                else:
                    still.append(tp)
            if batches or len(still) < len(pending):
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > STALL_SECONDS:
                raise RebuildError(f"no progress for {STALL_SECONDS:.0f} s on "
                                   f"{', '.join(str(tp) for tp in still)}")
            pending = still

    def _apply(self, tp: TopicPartition, records: list[Any]) -> None:
        kind = event_kind(self.settings.topics, tp.topic)
        parsed: Parsed = []
        for record in records:
            found = parse(kind, record.value)
            parsed.append((record, None if isinstance(found, ValidationError) else found))
        for model in self.targets[tp.topic]:
            feed(model, tp.topic, tp.partition, parsed, self.on_gap,
                 markers=written_in_transactions(self.settings.topics, tp.topic))
        if records:
            self._applied_to[tp] = records[-1].offset + 1

    async def _discard_new(self) -> None:
        for name, view in self.views.items():
            try:
                await asyncio.to_thread(self.generations.drop, name,
                                        self.status.generations[name], view)
            except Exception:  # the next rebuild clears the place again
                log.exception("could not drop the unfinished generation of %s", name)


class Rebuilds:
    """The rebuilds of a running service: one at a time, the latest one's status kept."""

    def __init__(self, make: Callable[[list[str] | None], Rebuild]) -> None:
        self._make = make
        self.latest: Rebuild | None = None
        self._task: asyncio.Task[RebuildStatus] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, read_models: list[str] | None) -> RebuildStatus:
        """Start a rebuild in the background (ValueError for an unknown read model,
        RebuildError while another runs)."""
        if self.running:
            raise RebuildError("a rebuild is already running")
        self.latest = self._make(read_models)
        self._task = asyncio.create_task(self.latest.run())
        return self.latest.status

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
