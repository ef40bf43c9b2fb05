"""Sending records to one topic through the Faust app's producer, a batch at a time.

Faust's ``Topic.send`` wraps every record in a pending message, a future and a callback
chain, and aiokafka's ``send`` still costs a coroutine, a metadata check and a future
per record. ``Outlet.send_all`` fills aiokafka record batches directly (one per
partition, as many as the batch size needs) on the producer Faust started, and waits
once for the broker to confirm them all. Partitioning is the producer's own (murmur2 of
the key, as Kafka's Java client), so a lead's records land where any other producer
would put them.

Delivery: ``send_all`` returns only when the broker has acknowledged every record, in
order per partition; if it raises, some records may have been written (callers retry
the batch: at least once). ``send`` sends one record through Faust's producer with its
client-side checks (the size limit), for dead letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

Headers = Sequence[tuple[str, bytes]]
#: (key, value, headers) of one outgoing record.
OutRecord = tuple[bytes | None, bytes, Headers | None]


class Outlet:
    def __init__(self, app: faust.App, topic: str) -> None:
        self.app = app
        self.topic = topic

    def _producer(self) -> AIOKafkaProducer:
        # Faust's aiokafka Producer service owns the client; _ensure_producer returns it
        # once started (raises NotReady before). tests/integration cover this path.
        producer: AIOKafkaProducer = self.app.producer._ensure_producer()  # type: ignore[attr-defined]
        return producer

    async def send_all(
        self, records: Iterable[OutRecord], timestamps_ms: Sequence[int | None] | None = None
    ) -> None:
        """Send ``records`` (in order per partition) and wait until all are confirmed.

        ``timestamps_ms``, if given, holds each record's Kafka timestamp (None: now)."""
        producer = self._producer()
        topic = self.topic
        partitions = sorted(await producer.partitions_for(topic))
        partitioner: Any = producer._partitioner
        batches: dict[int, Any] = {}
        pending: list[asyncio.Future[Any]] = []
        for index, (key, value, headers) in enumerate(records):
            timestamp = timestamps_ms[index] if timestamps_ms is not None else None
            partition = partitioner(key, partitions, partitions)
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = producer.create_batch()
            header_list = list(headers) if headers else []
            appended = batch.append(key=key, value=value, timestamp=timestamp, headers=header_list)
            if appended is None:
                # Full: send it (records keep their order) and start the next one; a
                # fresh batch always takes one record, whatever its size.
                pending.append(await producer.send_batch(batch, topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=timestamp, headers=header_list)
        for partition, batch in batches.items():
            pending.append(await producer.send_batch(batch, topic, partition=partition))
        if pending:
            await asyncio.gather(*pending)

    async def send(self, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        """Send one record through Faust's producer and wait until the broker has it."""
        await (
            await self.app.producer.send(
                self.topic, key, value, None, None, list(headers) if headers else None
            )
        )
