"""Latency at a fixed offered load: inbound event produced → its transition emitted.

One leadq worker runs (started and warmed up first: a warm-up event is applied before
anything is measured). Then, phase by phase, the workload is produced at a steady
``rate`` events/s for a while (one aiokafka producer in this process, paced every 2 ms,
no linger), and the run waits until everything is applied before the next phase.

What is measured, per transition on the routing topic whose ``trigger_event_id`` is the
event id of a produced record: the record's create timestamp (set by this process when
it hands the record to its producer) to the transition record's create timestamp (set
by the worker when it hands the transition to its producer): queueing, both Faust hops,
the signals topic, Redis and the relay, with 1 ms resolution, on one machine's clock.
Transitions without a trigger (decay-driven) are left out; a repeated CloudEvent id
counts once (the first). ``drain_s``, the time from the last produce to everything
applied, shows whether the worker kept up (~0) or built a backlog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaProducer

from bench.observe import PipelineObserver
from bench.results import LatencyPhase
from bench.stats import LatencySummary
from bench.workload import Record
from leadq.adapters import normalize_bytes
from streams.settings import Settings

TICK_S = 0.002


@dataclass(frozen=True)
class Phase:
    rate: float
    records: Sequence[Record]


def event_ids(record: Record) -> list[str]:
    """Event ids of the signals a record normalizes to (none for a malformed one)."""
    return [s.event_id for s in normalize_bytes(record.value, channel=record.topic).signals]


def warmup_record(index: int) -> Record:
    """A Segment ``identify`` of a person of its own, in the workload's future time."""
    message = {
        "type": "identify",
        "messageId": f"bench-warmup-{index}",
        "userId": f"bench-warmup-{index}",
        "timestamp": "2036-01-06T12:00:00.000Z",
        "traits": {"email": f"warmup{index}@bench.example"},
    }
    return Record("web", f"u:bench-warmup-{index}".encode(), orjson.dumps(message))


async def paced_produce(
    producer: AIOKafkaProducer, settings: Settings, records: Sequence[Record], rate: float
) -> tuple[list[int], float]:
    """Send ``records`` at ``rate``/s; returns each one's create timestamp (ms) and the
    achieved rate (events/s, up to the last send)."""
    names = {topic: getattr(settings.topics, topic) for topic in ("web", "email", "product", "crm")}
    stamps: list[int] = []
    pending = []
    started = time.monotonic()
    while len(stamps) < len(records):
        due = min(len(records), int((time.monotonic() - started) * rate) + 1)
        while len(stamps) < due:
            topic, key, value = records[len(stamps)]
            now_ms = int(time.time() * 1000)
            pending.append(await producer.send(names[topic], value, key=key, timestamp_ms=now_ms))
            stamps.append(now_ms)
        await asyncio.sleep(TICK_S)
    elapsed = time.monotonic() - started
    await asyncio.gather(*pending)
    return stamps, len(records) / elapsed if elapsed > 0 else 0.0


async def run_phases(
    settings: Settings,
    phases: Sequence[Phase],
    observer: PipelineObserver,
    alive: Callable[[], bool],
    deadline_s: float,
) -> list[LatencyPhase]:
    """Produce each phase, wait for it to be applied; then match transitions to events.
    ``observer`` must keep routing records; one worker must be running (``alive()``)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers(), linger_ms=0)
    await producer.start()
    sent_at: dict[str, tuple[int, int]] = {}  # event id → (phase, create ms)
    expected = observer.signals
    results: list[LatencyPhase] = []
    try:
        for number, phase in enumerate(phases):
            ids = [event_ids(r) for r in phase.records]
            expected += sum(len(i) for i in ids)
            stamps, achieved = await paced_produce(producer, settings, phase.records, phase.rate)
            produced = time.time()
            error = None
            try:
                done = await observer.wait_applied(expected, deadline_s, alive)
            except (TimeoutError, RuntimeError) as exc:
                done, error = float("nan"), f"{type(exc).__name__}: {exc}"
            for record_ids, stamp in zip(ids, stamps, strict=True):
                for event_id in record_ids:
                    sent_at.setdefault(event_id, (number, stamp))
            results.append(
                LatencyPhase(
                    offered=phase.rate,
                    events=len(phase.records),
                    achieved=achieved,
                    summary=LatencySummary.of([]),
                    drain_s=done - produced,
                    error=error,
                )
            )
    finally:
        await producer.stop()
    by_phase = latencies(observer.routed, sent_at, len(phases))
    for result, values in zip(results, by_phase, strict=True):
        result.summary = LatencySummary.of(values)
    return results


def latencies(
    routed: Sequence[tuple[int, bytes]], sent_at: dict[str, tuple[int, int]], phases: int
) -> list[list[float]]:
    """Per phase, the latencies (ms) of distinct transitions triggered by sent events."""
    seen: set[str] = set()
    found: list[list[float]] = [[] for _ in range(phases)]
    for created_ms, value in routed:
        event = orjson.loads(value)
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        trigger = event["data"].get("trigger_event_id")
        if trigger in sent_at:
            phase, stamp = sent_at[trigger]
            found[phase].append(float(created_ms - stamp))
    return found
