"""Producing a request's records and waiting until the broker has every one of them.

Contract of :meth:`Producer.send_all`: it returns only when the broker acknowledged every
record (``acks="all"``), records of one partition in the order given; otherwise, within
``produce_timeout_s``, it raises a 503 :class:`HttpError` with ``Retry-After``. After a
503 some records may still have been written (or be written late by the producer's
retry): the sender's retry then duplicates them, and the worker de-duplicates by event
id. Records are filled into aiokafka batches directly (one per partition, as many as
needed) and awaited once per batch, not once per record: the per-record future chain
costs more than the rest of the gateway's work on an event. Partitioning is the
producer's own murmur2 of the key, the same as any other producer and ``leadq produce``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from gateway.responses import HttpError
from streams.kafka.security import client_options
from streams.settings import KafkaSecurity

log = logging.getLogger("leadq.gateway")

Headers = tuple[tuple[str, bytes], ...]
#: How long ``GET /health`` waits for the broker's metadata answer.
HEALTH_TIMEOUT_S = 2.0
#: Keys whose partition is remembered (aiokafka's murmur2 is pure Python, ~5 µs a key,
#: and a person's key repeats across requests); the memo is emptied when it is full.
PARTITION_MEMO_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to produce."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


class Producer:
    """One aiokafka producer shared by every request of a gateway process."""

    def __init__(
        self,
        bootstrap: str,
        timeout_s: float,
        retry_after_s: int,
        max_request_bytes: int,
        security: KafkaSecurity | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            # The producer gives up on a batch about when the request does.
            request_timeout_ms=int(timeout_s * 1000),
            max_request_size=max_request_bytes,
            linger_ms=0,
            **client_options(security or KafkaSecurity()),
        )
        self._partition_memo: dict[tuple[bytes, int], int] = {}

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, records: Sequence[Outgoing]) -> None:
        """Send ``records`` and wait for every acknowledgement; see the module contract."""
        if not records:
            return
        try:
            await asyncio.wait_for(self._send_all(records), self.timeout_s)
        except (TimeoutError, KafkaError) as error:
            reason = "no answer" if isinstance(error, TimeoutError) else repr(error)
            log.warning("broker did not acknowledge %d record(s): %s", len(records), reason)
            raise self.unavailable(reason) from None

    def unavailable(self, reason: str) -> HttpError:
        """The 503 a sender retries after ``Retry-After`` seconds."""
        return HttpError(
            503,
            "broker_unavailable",
            f"the broker did not acknowledge the records within {self.timeout_s:g} s "
            f"({reason}); nothing is lost if you retry",
            {"Retry-After": str(self.retry_after_s)},
        )

    async def _send_all(self, records: Sequence[Outgoing]) -> None:
        producer = self._producer
        partitions: dict[str, list[int]] = {}
        batches: dict[tuple[str, int], Any] = {}
        pending: list[asyncio.Future[Any]] = []
        for record in records:
            if record.topic not in partitions:
                partitions[record.topic] = sorted(await producer.partitions_for(record.topic))
            where = (record.topic, self._partition(record.key, partitions[record.topic]))
            batch = batches.get(where)
            if batch is None:
                batch = batches[where] = producer.create_batch()
            if not _append(batch, record):
                # Full: send it (order within the partition is kept) and start another;
                # a fresh batch always takes one record, whatever its size.
                pending.append(await producer.send_batch(batch, where[0], partition=where[1]))
                batch = batches[where] = producer.create_batch()
                _append(batch, record)
        for (topic, partition), batch in batches.items():
            pending.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*pending)

    def _partition(self, key: bytes | None, every: list[int]) -> int:
        """The producer's own choice (murmur2 of the key; random without one), memoized."""
        partitioner: Any = self._producer._partitioner
        if key is None:
            return int(partitioner(key, every, every))
        memo = self._partition_memo
        found = memo.get((key, len(every)))
        if found is None:
            if len(memo) >= PARTITION_MEMO_SIZE:
                memo.clear()
            found = memo[(key, len(every))] = int(partitioner(key, every, every))
        return found

    async def reachable(self) -> str | None:
        """None when the broker answers a metadata request now, else why not."""
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), HEALTH_TIMEOUT_S)
        except (TimeoutError, KafkaError, OSError) as error:
            return repr(error) if not isinstance(error, TimeoutError) else "no answer"
        return None


def _append(batch: Any, record: Outgoing) -> bool:
    added = batch.append(
        key=record.key, value=record.value, timestamp=None, headers=list(record.headers)
    )
    return added is not None
