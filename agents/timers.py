"""Timers of a worker: decay-driven transitions, the outbox sweeper, rules reload.

- ``fire_due`` (every second): transitions that decay alone causes (MQL → recycled,
  PQL lapsed, account cooling) at their computed times, for the buckets whose signals
  partition this worker holds (one writer per bucket); the fenced commit makes a run
  that overlaps a rebalance harmless (a stale write is refused and recomputed).
- ``sweep_outbox`` (every 10 s): re-publishes transitions whose publisher died before
  acknowledging them (at least once; same ids).
- ``release_parked`` (every 2 s): applies a lead's items parked in an owned bucket once
  its former places are all handed over (the worker that made the last hand-over does
  it at once; this catches a crash in between).
- ``reload_rules`` (every 5 s): picks up a changed rules file without a restart.
"""

from __future__ import annotations

import logging
import time

import faust
from aiokafka.partitioner import murmur2

from agents.publish import publish, record_outcome, record_published
from agents.runtime import Runtime, WorkerStopping
from schemas.routed import bucket_key
from streams.kafka.outlet import Outlet
from streams.metrics import TRANSITIONS_REPUBLISHED

log = logging.getLogger("leadq.worker")

#: An outbox entry older than this is presumed abandoned by its publisher.
ABANDONED_AFTER_MS = 30_000


def now_ms() -> int:
    return int(time.time() * 1000)


def bucket_partition(bucket: int, partitions: int) -> int:
    """The signals-topic partition a bucket's key lands in (Kafka's default partitioner)."""
    hashed: int = murmur2(bucket_key(bucket).encode())
    return (hashed & 0x7FFFFFFF) % partitions


def owned_buckets(app: faust.App, runtime: Runtime) -> list[int]:
    """The buckets whose signals partition this worker is assigned now."""
    topic = runtime.settings.topics.signals
    held = {tp.partition for tp in app.consumer.assignment() if tp.topic == topic}
    partitions = runtime.settings.partitions
    return [b for b in range(runtime.store.buckets) if bucket_partition(b, partitions) in held]


def register_timers(app: faust.App, runtime: Runtime, routing: Outlet) -> None:
    async def fire_due() -> None:
        try:
            await _fire_due()
        except WorkerStopping:
            log.info("timer stopped while Redis was down; due transitions fire on restart")

    async def _fire_due() -> None:
        buckets = owned_buckets(app, runtime)
        if not buckets:
            return
        qualifier, store = runtime.qualifier, runtime.store
        outcome = await runtime.until_redis_answers(
            lambda: qualifier.fire_due(now_ms(), buckets), "timer"
        )
        record_outcome(outcome)
        if outcome.emitted:
            await publish(routing, outcome.emitted)
            record_published(outcome.emitted)
            await runtime.until_redis_answers(lambda: store.ack(outcome.emitted), "outbox ack")

    async def sweep_outbox() -> None:
        try:
            await _sweep_outbox()
        except WorkerStopping:
            log.info("outbox sweep stopped while Redis was down")

    async def _sweep_outbox() -> None:
        store = runtime.store
        found = await runtime.until_redis_answers(
            lambda: store.unacked(now_ms() - ABANDONED_AFTER_MS), "outbox sweep"
        )
        if found:
            log.warning("re-publishing %d abandoned transition(s)", len(found))
            await publish(routing, found)
            TRANSITIONS_REPUBLISHED.inc(len(found))
            await runtime.until_redis_answers(lambda: store.ack(found), "outbox ack")

    async def release_parked() -> None:
        try:
            await _release_parked()
        except WorkerStopping:
            log.info("release of parked items stopped while Redis was down")

    async def _release_parked() -> None:
        buckets = owned_buckets(app, runtime)
        if not buckets:
            return
        qualifier, store = runtime.qualifier, runtime.store
        outcome = await runtime.until_redis_answers(
            lambda: qualifier.release_parked(buckets), "parked release"
        )
        record_outcome(outcome)
        if outcome.emitted:
            await publish(routing, outcome.emitted)
            record_published(outcome.emitted)
            await runtime.until_redis_answers(lambda: store.ack(outcome.emitted), "outbox ack")

    async def reload_rules() -> None:
        runtime.reload_rules()

    app.timer(interval=1.0, name="leadq.fire_due")(fire_due)
    app.timer(interval=10.0, name="leadq.sweep_outbox")(sweep_outbox)
    app.timer(interval=2.0, name="leadq.release_parked")(release_parked)
    app.timer(interval=5.0, name="leadq.reload_rules")(reload_rules)
