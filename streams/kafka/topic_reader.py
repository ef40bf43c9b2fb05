"""Read whole topics from the beginning, outside any consumer group, until satisfied.

For the demo and tests: :meth:`TopicReader.read_until` polls with a deadline (never a
fixed sleep) and returns every record seen so far once the caller's condition holds.
It commits nothing and joins no group, so it never disturbs the workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from streams.kafka.admin import PLAINTEXT, describe_partitions
from streams.kafka.security import client_options
from streams.settings import KafkaSecurity


@dataclass(frozen=True)
class Record:
    """One consumed record, detached from aiokafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


class TopicReader:
    """Reads every partition of ``topics`` from offset 0. Use as ``async with``."""

    def __init__(
        self, bootstrap: str, topics: Iterable[str], security: KafkaSecurity = PLAINTEXT
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.security = security
        self.records: list[Record] = []
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            # Answer polls quickly: the dev broker holds a fetch for much of this wait.
            fetch_max_wait_ms=50,
            **client_options(security),
        )

    async def __aenter__(self) -> Self:
        counts = await describe_partitions(self.bootstrap, self.topics, self.security)
        missing = set(self.topics) - set(counts)
        if missing:
            raise LookupError(f"topics not found on {self.bootstrap}: {sorted(missing)}")
        await self._consumer.start()
        partitions = [TopicPartition(t, p) for t in self.topics for p in range(counts[t])]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._consumer.stop()

    async def read_until(
        self,
        done: Callable[[Sequence[Record]], bool],
        deadline_s: float,
        alive: Callable[[], bool] = lambda: True,
    ) -> list[Record]:
        """Poll until ``done(records)`` is true; raise TimeoutError after ``deadline_s``
        or RuntimeError as soon as ``alive()`` is false (e.g. the worker died)."""
        give_up = time.monotonic() + deadline_s
        while not done(self.records):
            if time.monotonic() > give_up:
                raise TimeoutError(
                    f"condition not met within {deadline_s}s; "
                    f"{len(self.records)} records read from {self.topics}"
                )
            if not alive():
                raise RuntimeError("the process being observed has exited")
            batches: dict[Any, list[Any]] = await self._consumer.getmany(timeout_ms=200)
            self.records.extend(_record(r) for rs in batches.values() for r in rs)
        return list(self.records)


def _record(raw: Any) -> Record:
    headers = {name: bytes(value) for name, value in (raw.headers or ())}
    return Record(raw.topic, raw.partition, raw.offset, raw.key, raw.value, headers)
