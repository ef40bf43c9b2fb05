"""A consumer of the worker's own: one Kafka consumer group per consumer of a topic.

The routing topic has several consumers (router, alerts, ABM) that must each see every
transition, and the worker's batch lanes own the inbound topics in its Faust app. So
each consumer reads with a plain aiokafka consumer in a group of its own
(``<app id>.<consumer>``): a consumer running in every worker, or alone in
``leadq worker --only NAME`` processes, spreads its partitions over the members of that
group, whatever else those processes run.

Delivery: at least once. A fetched batch is handed to the handler, and its offsets are
committed only after the handler returned; if the group rebalanced meanwhile, the
commit is refused and the partitions' next owner reads the batch again. Handlers must
be idempotent. If the handler raises a Kafka error (its outputs could not be sent), the
batch is read again after a pause; any other error is a bug or a poison record: the
batch is handled again one record at a time, and a record that still fails goes to
``on_poison`` (the caller dead-letters it with the error) so it never stalls the
partition. A lost connection to the broker is retried with a new consumer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from streams.settings import Settings

log = logging.getLogger("leadq.consumers")

#: aiokafka's ``ConsumerRecord`` (topic, partition, offset, key, value, headers); aiokafka
#: ships no type information.
Record: TypeAlias = Any
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]
PoisonHandler = Callable[[Record, Exception], Awaitable[None]]
#: Seconds before a batch whose handler raised is read again.
RETRY_PAUSE_S = 1.0


def group_id(settings: Settings, consumer: str) -> str:
    """The consumer group of one consumer: ``<LEADQ_APP_ID>.<consumer>``."""
    return f"{settings.app_id}.{consumer}"


class GroupConsumer:
    def __init__(
        self,
        settings: Settings,
        name: str,
        topics: Sequence[str],
        handler: BatchHandler,
        on_poison: PoisonHandler,
    ) -> None:
        self.settings = settings
        self.name = name
        self.topics = tuple(topics)
        self.handler = handler
        self.on_poison = on_poison
        #: Records handled and committed (for tests and logs).
        self.committed = 0

    def _consumer(self) -> AIOKafkaConsumer:
        settings = self.settings
        session_ms = round(settings.broker_session_timeout_s * 1000)
        return AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=settings.bootstrap_servers(),
            group_id=group_id(settings, self.name),
            client_id=f"{settings.app_id}-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_ms,
            heartbeat_interval_ms=round(settings.broker_heartbeat_interval_s * 1000),
            rebalance_timeout_ms=2 * session_ms,
            request_timeout_ms=max(30_000, 3 * session_ms),
            fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
            max_poll_records=settings.batch_size,
        )

    async def run(self) -> None:
        """Consume until cancelled (the app stopping cancels its tasks)."""
        while True:
            consumer = self._consumer()
            try:
                await consumer.start()
                log.info("%s: consuming %s as group %s", self.name, self.topics,
                         consumer._group_id)  # fmt: skip
                while True:
                    fetched = await consumer.getmany(timeout_ms=500)
                    if fetched:
                        await self._handle(consumer, fetched)
            except KafkaError as error:
                log.warning("%s: broker error (%s); reconnecting", self.name, error)
            finally:
                await consumer.stop()
            await asyncio.sleep(RETRY_PAUSE_S)

    async def _handle(
        self, consumer: AIOKafkaConsumer, fetched: dict[TopicPartition, list[Record]]
    ) -> None:
        records = [record for batch in fetched.values() for record in batch]
        try:
            await self.handler(records)
        except KafkaError:
            log.exception("%s: could not send the outputs of %d record(s); reading them again",
                          self.name, len(records))  # fmt: skip
            for tp, batch in fetched.items():
                consumer.seek(tp, batch[0].offset)
            await asyncio.sleep(RETRY_PAUSE_S)
            return
        except Exception:
            log.exception("%s: a batch failed; handling it one record at a time", self.name)
            await self._one_by_one(records)
        offsets = {tp: batch[-1].offset + 1 for tp, batch in fetched.items()}
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            # A rebalance took the partitions: their next owner reads the batch again.
            log.warning("%s: commit refused (%s); the batch will be re-delivered", self.name, error)
            return
        self.committed += len(records)

    async def _one_by_one(self, records: Sequence[Record]) -> None:
        """Handle each record alone; one that still fails goes to ``on_poison``. A Kafka
        error propagates (the batch is read again)."""
        for record in records:
            try:
                await self.handler([record])
            except KafkaError:
                raise
            except Exception as error:
                log.exception("%s: %s/%d@%d failed alone", self.name, record.topic,
                              record.partition, record.offset)  # fmt: skip
                await self.on_poison(record, error)
