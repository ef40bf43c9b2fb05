"""Helpers for integration tests: run a Faust app in-process, produce, read back.

Usage::

    async with running_app(build_app(leadq_settings)):
        sent = await produce(leadq_settings.kafka_bootstrap, topic, [b'{"userId": "u1"}'])
        records = await read_until(bootstrap, [routing], lambda rs: len(rs) >= 1)

Each app needs its own app id (consumer group) and web port: use the ``leadq_settings``
fixture, which gives both (and topics of the test's own).

``produce_records`` sends to several topics in one go, in order; ``wait_for`` polls an
async check (Redis state, an HTTP answer) until it returns something truthy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import faust
from aiokafka import AIOKafkaProducer

from streams.kafka.topic_reader import Record, TopicReader

#: Where a record landed or came from: (topic, partition, offset).
Source = tuple[str, int, int]
#: A record to produce: (topic, key, value).
Outgoing = tuple[str, bytes | None, bytes]
DEADLINE_S = 30.0
#: The rules the engine scenario tests assert exact figures with: a frozen copy of an
#: earlier rules/example.yaml (the shipped example evolves; these numbers must not).
SCENARIO_RULES = Path(__file__).resolve().parent / "rules" / "scenarios.yaml"
T = TypeVar("T")


@asynccontextmanager
async def running_app(app: faust.App) -> AsyncIterator[faust.App]:
    """Start ``app`` on the running loop and stop it on exit. ``app.start()`` returns
    once the consumer group has assigned its partitions (a few seconds on Tansu)."""
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def produce(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    key: bytes | None = None,
    partition: int | None = None,
    max_request_size: int = 1024 * 1024,
) -> list[Source]:
    """Send ``values`` in order and wait for each; return where each one landed.
    ``max_request_size`` is the producer's limit (raise it to send records over 1 MiB)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=max_request_size)
    await producer.start()
    try:
        sent = []
        for value in values:
            meta = await producer.send_and_wait(topic, value, key=key, partition=partition)
            sent.append((meta.topic, meta.partition, meta.offset))
        return sent
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str,
    topics: Sequence[str],
    done: Callable[[Sequence[Record]], bool],
    deadline_s: float = DEADLINE_S,
    alive: Callable[[], bool] = lambda: True,
) -> list[Record]:
    """Read ``topics`` from the start until ``done(records)``; TimeoutError after the
    deadline, RuntimeError as soon as ``alive()`` is false."""
    async with TopicReader(bootstrap, topics) as reader:
        return await reader.read_until(done, deadline_s, alive)


async def eventually(condition: Callable[[], bool], deadline_s: float = DEADLINE_S) -> None:
    """Poll ``condition`` on the running loop until true; AssertionError after the deadline."""
    give_up = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < give_up, f"condition not met within {deadline_s}s"
        await asyncio.sleep(0.02)


async def produce_records(bootstrap: str, records: Sequence[Outgoing]) -> list[Source]:
    """Send ``records`` in order (one producer, order kept per partition), wait until the
    broker has them all; return where each one landed."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for topic, key, value in records]
        metas = await asyncio.gather(*futures)
        return [(meta.topic, meta.partition, meta.offset) for meta in metas]
    finally:
        await producer.stop()


async def wait_for(
    check: Callable[[], Awaitable[T]], what: str, deadline_s: float = DEADLINE_S
) -> T:
    """Await ``check()`` every 50 ms until it returns something truthy, and return that;
    AssertionError naming ``what`` (and the last value) after the deadline."""
    give_up = time.monotonic() + deadline_s
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < give_up, f"{what}: not within {deadline_s}s (last: {value!r})"
        await asyncio.sleep(0.05)
