"""Watching leadq's pipeline from outside: when is everything applied and emitted?

:class:`PipelineObserver` reads the signals, routing and dead-letter topics from the
beginning in the background (no consumer group: it disturbs nothing) and keeps counts,
the earliest signal's timestamp and, per signals partition and bucket, the offset of
the bucket's last signal there. Tansu's end offsets are unreliable and the workers
commit only every few seconds, so completion is judged on Redis instead
(:meth:`PipelineObserver.wait_applied`):

1. the signals topic holds every expected signal (the normalizer is done);
2. every bucket's watermark (last applied offset per source partition, written
   atomically with its state) has reached the bucket's last signal in each partition;
3. every outbox stream is empty: the qualifier acknowledges (deletes) an outbox entry
   only after the broker confirmed its transition on the routing topic, so every
   transition of those signals has been emitted.

The checks poll Redis every 20 ms (one read while the pipeline is behind), so the
completion time is late by at most ~20 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from redis.asyncio import Redis

from bench.cluster import raw
from streams.settings import Settings
from streams.state.codec import unpack
from streams.state.keys import Keys

POLL_S = 0.02
#: After this long without a new record, re-read the last ``REWIND`` offsets of every
#: partition: the dev broker (Tansu) can report a high watermark short of the last
#: record batch, and a consumer positioned inside that batch then never gets its tail
#: (a fresh read from an earlier offset does). Records already seen are skipped.
STALL_S = 2.0
REWIND = 1000


class PipelineObserver:
    """Use as ``async with``; see the module docstring."""

    def __init__(self, settings: Settings, keep_routing: bool = False) -> None:
        self.settings = settings
        self.keys = Keys()
        self.keep_routing = keep_routing
        self.routing = 0
        self.dead_letters = 0
        #: Earliest create timestamp of a signal (epoch s): when the normalizer's first
        #: batch was sent, i.e. the pipeline had started.
        self.first_signal_s = math.nan
        self.last_routing_s = math.nan
        #: When every expected signal was first seen applied (epoch s); the outbox may
        #: drain later (transitions of a failed batch wait for the outbox sweeper).
        self.applied_s = math.nan
        #: (create timestamp ms, value) of every routing record, when ``keep_routing``.
        self.routed: list[tuple[int, bytes]] = []
        self.started = asyncio.Event()
        #: (partition, bucket) → offset of the bucket's last signal in that partition.
        self._last: dict[tuple[int, int], int] = {}
        #: (partition, bucket) → the applied offset last read there.
        self._verified: dict[tuple[int, int], int] = {}
        #: Next unseen offset per (topic, partition): re-read records are skipped.
        self._next: dict[Any, int] = {}
        self._waiting_for = "the signals"
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
        )
        self._redis = Redis.from_url(settings.redis_url, socket_timeout=10.0)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        names = self.settings.topics
        await self._consumer.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in (names.signals, names.routing, names.dead_letter)
            for p in range(self.settings.partitions)
        ]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()
        await self._redis.aclose()

    @property
    def signals(self) -> int:
        """Signals seen on the topic (each offset once)."""
        topic = self.settings.topics.signals
        return sum(end for tp, end in self._next.items() if tp.topic == topic)

    async def _read(self) -> None:
        names = self.settings.topics
        last_new = time.monotonic()
        while True:
            batches: dict[Any, list[Any]] = await self._consumer.getmany(timeout_ms=100)
            fresh: dict[Any, list[Any]] = {}
            for tp, records in batches.items():
                start = self._next.get(tp, 0)
                new = [r for r in records if r.offset >= start]
                if new:
                    fresh[tp] = new
                    self._next[tp] = new[-1].offset + 1
            if fresh:
                last_new = time.monotonic()
            elif time.monotonic() - last_new > STALL_S:
                for tp, end in self._next.items():
                    self._consumer.seek(tp, max(0, end - REWIND))
                last_new = time.monotonic()
            for tp, records in fresh.items():
                if tp.topic == names.signals:
                    self._on_signals(tp.partition, records)
                elif tp.topic == names.routing:
                    self.routing += len(records)
                    last = max(r.timestamp for r in records) / 1000.0
                    self.last_routing_s = max(last, self.last_routing_s, key=_finite)
                    if self.keep_routing:
                        self.routed += [(r.timestamp, r.value) for r in records]
                else:
                    self.dead_letters += len(records)

    def _on_signals(self, partition: int, records: list[Any]) -> None:
        first = min(r.timestamp for r in records) / 1000.0
        self.first_signal_s = min(first, self.first_signal_s, key=_finite_low)
        for record in records:  # the key is the bucket: b017
            self._last[(partition, int(record.key[1:]))] = record.offset
        self.started.set()

    async def wait_applied(
        self, expected_signals: int, deadline_s: float, alive: Callable[[], bool]
    ) -> float:
        """Wall-clock time (epoch s) at which everything was seen applied and emitted.
        TimeoutError after ``deadline_s``; RuntimeError as soon as ``alive()`` is false."""
        give_up = time.monotonic() + deadline_s
        self.applied_s = math.nan
        while True:
            if not alive():
                raise RuntimeError("a worker exited")
            if self._task is not None and self._task.done():
                # Its consumer died: say why instead of waiting for the deadline.
                error = None if self._task.cancelled() else self._task.exception()
                raise RuntimeError(f"the observer stopped reading: {error!r}")
            if self.signals >= expected_signals and await self._all_applied():
                if math.isnan(self.applied_s):
                    self.applied_s = time.time()
                if await self._outbox_empty():
                    return time.time()
            if time.monotonic() > give_up:
                raise TimeoutError(
                    f"not applied within {deadline_s:.0f}s: {self.signals} of "
                    f"{expected_signals} signals on the topic, {self.routing} transitions; "
                    f"waiting for {self._waiting_for}"
                )
            await asyncio.sleep(POLL_S)

    async def _all_applied(self) -> bool:
        """Check the places not yet seen applied, one at a time, stopping at the first
        that is behind: a poll costs one GET while the pipeline is busy (polling every
        place every 20 ms would load Redis and this process, and so slow what is
        measured), and every place once at the end."""
        source_topic = self.settings.topics.signals
        for (partition, bucket), offset in sorted(self._last.items()):
            if self._verified.get((partition, bucket), -1) >= offset:
                continue
            blob = raw(await self._redis.get(self.keys.watermark(bucket)))
            applied = unpack(blob).get(f"{source_topic}/{partition}", -1) if blob else -1
            if applied < offset:
                self._waiting_for = f"{source_topic}/{partition}@{offset} (bucket {bucket})"
                return False
            self._verified[(partition, bucket)] = applied
        return True

    async def _outbox_empty(self) -> bool:
        async with self._redis.pipeline(transaction=False) as pipe:
            for bucket in self.keys.all_buckets():
                pipe.xlen(self.keys.outbox(bucket))
            lengths = await pipe.execute()
        return sum(int(n) for n in lengths) == 0


def _finite(value: float) -> float:
    return value if not math.isnan(value) else -math.inf


def _finite_low(value: float) -> float:
    return value if not math.isnan(value) else math.inf
