"""Faust's aiokafka transport with a configurable consumer fetch wait.

Faust creates its consumer with ``fetch_max_wait_ms=1500``, hard-coded. A broker may
hold a fetch that long when no data is waiting; the dev broker (Tansu) holds it even
when data arrives, so every hop of an idle pipeline cost ~0.75 s there. This transport
is Faust's own in every other respect; it only sets the wait, before the consumer
starts, to ``Settings.consumer_fetch_max_wait_ms``. Apache Kafka answers a fetch as soon
as data is there, so in production a shorter wait only means more empty fetch responses
while idle.

Use it with the ``leadq://host:port`` broker URL (registered below on import).
"""

from __future__ import annotations

from typing import Any

import aiokafka
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport

SCHEME = "leadq"
#: The app config key the wait is read from (set by streams.app.create_app).
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


class FetchWaitTransport(Transport):
    Consumer = FetchWaitConsumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:FetchWaitTransport"
