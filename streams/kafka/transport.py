"""Faust's aiokafka transport with a configurable fetch wait and batch lanes.

Faust creates its consumer with ``fetch_max_wait_ms=1500``, hard-coded. A broker may
hold a fetch that long when no data is waiting; the dev broker (Tansu) holds it even
when data arrives, so every hop of an idle pipeline cost ~0.75 s there. This transport
is Faust's own in every other respect; it only sets the wait, before the consumer
starts, to ``Settings.consumer_fetch_max_wait_ms``. Apache Kafka answers a fetch as soon
as data is there, so in production a shorter wait only means more empty fetch responses
while idle.

Topics registered as batch lanes (``streams.kafka.lanes``) are delivered to their handler a
fetched batch at a time instead of one Faust event per record; an app without lanes
runs Faust's own per-message loop unchanged.

Use it with the ``leadq://host:port`` broker URL (registered below on import).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiokafka
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TP, Message
from mode import ServiceT

from streams.kafka.lanes import BatchLane, lanes_of, split_by_lane

SCHEME = "leadq"
#: The app config key the wait is read from (set by streams.kafka.app.create_app).
FETCH_WAIT_KEY = "leadq_fetch_max_wait_ms"


class FetchWaitConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app, FETCH_WAIT_KEY, None)
        if wait_ms is not None:
            # aiokafka hands this to its fetcher in start(), which has not run yet.
            consumer._fetch_max_wait_ms = int(wait_ms)
        return consumer


class FetchWaitConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return FetchWaitConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: ServiceT) -> None:
        """The fetch loop: Faust's, except that lane topics go to their lane in batches.

        Per fetch: records of lane topics become Faust messages, are tracked as unacked
        and queued to their lane as one batch (the loop waits while a lane's queue is
        full, and drops the batch when a rebalance suspends the flow); records of other
        topics take Faust's per-message path, as in ``Consumer._drain_messages``. Read
        offsets and gaps are kept per partition exactly as Faust keeps them.
        """
        lanes = lanes_of(self.app)
        if not lanes:
            await super()._drain_messages(fetcher)
            return
        consumer_stopped = self._stopped.is_set
        fetcher_stopped = fetcher._stopped.is_set  # type: ignore[attr-defined]
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                records, active = await self._wait_next_records(timeout=1.0)
                await asyncio.sleep(0)
                if not records or self.should_stop:
                    continue
                if not self.flow_active:
                    # As Faust's getmany: a rebalance is under way; read again from the
                    # committed offsets once it is over.
                    await self.perform_seek()
                    continue
                if active is not None:
                    buffered = self._buffered_partitions
                    records = {
                        tp: rs for tp, rs in records.items() if tp in active or tp in buffered
                    }
                await self._deliver(records, lanes)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise

    async def _deliver(
        self, records: Mapping[TP, Sequence[Any]], lanes: dict[str, BatchLane]
    ) -> None:
        by_lane, others = split_by_lane(records, lanes)
        for lane, tp_records in by_lane.items():
            batch: list[Message] = []
            for tp, recs in tp_records:
                batch += await self._fresh_messages(tp, recs)
            size = lane.max_batch
            for start in range(0, len(batch), size):
                if not await self._queue(lane, batch[start : start + size]):
                    return  # a rebalance began: the rest is fetched again after it
        for tp, recs in others:
            for message in await self._fresh_messages(tp, recs):
                await self.wait_first(self.callback(message), self.suspend_flow.wait())

    async def _queue(self, lane: BatchLane, batch: list[Message]) -> bool:
        """Queue ``batch`` to ``lane``; False if a rebalance (or stop) dropped it."""
        try:
            waited = await self.wait_first(lane.queue.put(batch), self.suspend_flow.wait())
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # A rebalance clears the lane queues, which cancels a put waiting for room.
            return False
        return not waited.stopped and self.flow_active

    async def _fresh_messages(self, tp: TP, records: Sequence[Any]) -> list[Message]:
        """Messages for the records not read before (a re-fetch after a seek), with
        Faust's gap bookkeeping, so commits move past offsets the log skips.

        They are not tracked as unacked yet: a lane tracks a batch when it takes it
        (``BatchLane.run``), so batches a rebalance drops never hold it up."""
        read_offset = self._read_offset[tp]
        acks = self.app.topics.acks_enabled_for(tp.topic)
        to_message = self._to_message
        messages: list[Message] = []
        for record in records:
            offset = record.offset
            if read_offset is not None and offset < read_offset:
                continue
            if read_offset and offset - read_offset > 1 and acks:
                await self._add_gap(tp, read_offset + 1, offset)
            messages.append(to_message(tp, record))
            read_offset = offset
        if messages:
            self._read_offset[tp] = read_offset
        if self._commit_every is not None and self._n_acked >= self._commit_every:
            self._n_acked = 0
            await self.commit()
        return messages


class FetchWaitTransport(Transport):
    Consumer = FetchWaitConsumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:FetchWaitTransport"
