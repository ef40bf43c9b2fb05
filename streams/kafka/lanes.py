"""Batch lanes: topics whose records skip Faust's per-message path.

Faust hands every record to an agent as its own Event: a queue put, a task switch, a
future and an ack per message, ~70 µs each on the 2-core dev machine, whatever the work.
A *lane* instead receives all the records of its topics that one fetch returned, as one
list of Faust ``Message`` objects, and handles them in one call. Faust still owns
everything else: the consumer group and its assignment, offsets and commits, rebalances,
the producer, timers and the web server. Only the delivery from the fetcher to the
handler is replaced (``LaneConsumerMixin.drain_lanes``, called by the consumer in
``streams.kafka.transport``).

Delivery guarantees (those of a Faust agent with ``at_least_once``):

- A batch's messages are tracked as unacked (Faust's ``Consumer.track_message`` set,
  without its per-message sensor call) when the lane takes the batch from its queue,
  and acked only after the lane's handler returned for it. Faust commits the highest
  contiguous acked offset per partition, on its commit interval and on rebalance, so a
  crash re-delivers at most the uncommitted tail; handlers must be idempotent.
- On a rebalance Faust suspends the flow, clears the lane queues (those batches were
  never handled, so never acked: the partition's next owner reads them again) and
  waits for the batch being handled (``Consumer.wait_empty``) before giving up its
  partitions. A batch fetched in an earlier consumer generation is dropped unhandled.
- The handler must not raise: a lane whose handler raises crashes the app (nothing is
  acked, everything is re-delivered after the restart) rather than skip records.
- A handler that gives up because the worker is stopping (``BatchAbandoned``), or a
  lane cancelled on shutdown, leaves its batch unacknowledged and untracked: stopping
  never waits on a server that is down, and the batch is read again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import faust
from faust.types import TP, Message, TopicT

log = logging.getLogger("leadq.lanes")

#: Attribute of the Faust app holding {topic name: lane}.
LANES_KEY = "leadq_lanes"
#: Batches fetched ahead of a lane's handler; the fetcher waits when a queue is full.
QUEUED_BATCHES = 2

LaneHandler = Callable[[Sequence[Message]], Awaitable[None]]


class BatchAbandoned(BaseException):
    """Raised by a handler that gives its batch up (the worker is stopping while a
    server is down): the batch is not acknowledged, so it is read again later."""


class BatchLane:
    """The topics of one handler, its queue of fetched batches and the task draining it."""

    def __init__(
        self, app: faust.App, name: str, topics: TopicT, handler: LaneHandler, max_batch: int
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.app = app
        self.name = name
        self.topic_names = frozenset(topics.topics)
        self.handler = handler
        #: A longer fetch is cut: the batch in hand delays a rebalance until it is done.
        self.max_batch = max_batch
        # Faust's own flow-controlled queue: put() waits while the flow is suspended and
        # a rebalance clears it, exactly like an agent's stream buffer.
        self.queue: asyncio.Queue[list[Message]] = app.FlowControlQueue(
            maxsize=QUEUED_BATCHES, clear_on_resume=True
        )

    async def run(self) -> None:
        """Handle queued batches until the app stops (an app task)."""
        app = self.app
        while not app.should_stop:
            batch = await self.queue.get()
            generation = app.consumer_generation_id
            current = [m for m in batch if m.generation_id == generation]
            del batch
            if not current:
                continue
            # Tracked from here (no await since the get): a rebalance now waits for this
            # batch (Consumer.wait_empty) before the partitions change hands.
            unacked = app.consumer._unacked_messages  # type: ignore[attr-defined]
            unacked.update(current)
            try:
                await self.handler(current)
            except (asyncio.CancelledError, BatchAbandoned):
                # Never acked, and no longer waited for: stopping does not hang on it,
                # and the partitions' next owner reads it again.
                unacked.difference_update(current)
                log.warning("lane %s: batch of %d left unacknowledged", self.name, len(current))
                return
            except Exception as error:  # a handler must not raise: never skip records
                log.critical("lane %s: handler raised; crashing the worker", self.name)
                await app.crash(error)
                return
            ack = app.consumer.ack
            for message in current:
                ack(message)


def register_lane(
    app: faust.App, topics: TopicT, handler: LaneHandler, *, name: str, max_batch: int = 500
) -> BatchLane:
    """Deliver ``topics``' records to ``handler`` in fetched batches of at most
    ``max_batch`` records (see module doc).

    The topics are subscribed through Faust's conductor, with acks, like an agent's.
    """
    lanes: dict[str, BatchLane] = lanes_of(app)
    lane = BatchLane(app, name, topics, handler, max_batch)
    taken = lane.topic_names & lanes.keys()
    if taken:
        raise ValueError(f"topics already have a lane: {sorted(taken)}")
    for topic in lane.topic_names:
        lanes[topic] = lane
    setattr(app, LANES_KEY, lanes)
    app.topics.add(topics)
    app.task(lane.run)
    return lane


def lanes_of(app: Any) -> dict[str, BatchLane]:
    """The app's lanes by topic name (empty when none were registered)."""
    return dict(getattr(app, LANES_KEY, None) or {})


def split_by_lane(
    records: Mapping[TP, Sequence[Any]], lanes: Mapping[str, BatchLane]
) -> tuple[dict[BatchLane, list[tuple[TP, Sequence[Any]]]], list[tuple[TP, Sequence[Any]]]]:
    """Group fetched records by the lane of their topic; the rest go to Faust's path."""
    by_lane: dict[BatchLane, list[tuple[TP, Sequence[Any]]]] = {}
    others: list[tuple[TP, Sequence[Any]]] = []
    for tp, tp_records in records.items():
        lane = lanes.get(tp.topic)
        if lane is None:
            others.append((tp, tp_records))
        else:
            by_lane.setdefault(lane, []).append((tp, tp_records))
    return by_lane, others
