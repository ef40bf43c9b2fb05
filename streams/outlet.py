"""Sending records to one topic through the Faust app's producer, a batch at a time.

Faust's ``Topic.send`` wraps every record in a pending message, a future and a
callback chain; the producer underneath (aiokafka, batching per partition) is what does
the work. An ``Outlet`` hands it a batch of records directly and waits once for the
broker to confirm all of them. Partitioning is the producer's (by key), as with
``Topic.send``.

Delivery: ``send_all`` returns only when the broker has acknowledged every record; if
it raises, some records may have been written (callers retry the batch: at least once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import faust

Headers = Sequence[tuple[str, bytes]]
#: (key, value, headers) of one outgoing record.
OutRecord = tuple[bytes | None, bytes, Headers | None]


class Outlet:
    def __init__(self, app: faust.App, topic: str) -> None:
        self.app = app
        self.topic = topic

    async def send_all(self, records: Iterable[OutRecord]) -> None:
        """Send ``records`` (in order per partition) and wait until all are confirmed."""
        send = self.app.producer.send
        topic = self.topic
        pending = [
            await send(topic, key, value, None, None, list(headers) if headers else None)
            for key, value, headers in records
        ]
        if pending:
            await asyncio.gather(*pending)

    async def send(self, key: bytes | None, value: bytes, headers: Headers | None = None) -> None:
        await self.send_all([(key, value, headers)])
