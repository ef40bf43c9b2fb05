"""Batch lanes and outlets on the real broker: batching, commits only after the handler,
hand-over of partitions in a rebalance, and the producer side's partitioning and order."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

import faust
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition
from faust.types import Message

from streams.kafka.app import create_app
from streams.kafka.lanes import register_lane
from streams.kafka.outlet import Outlet
from streams.process import free_port
from streams.settings import Settings
from tests.helpers import produce_records, read_until, running_app, wait_for

pytestmark = pytest.mark.integration

#: (partition, offset) of a handled record.
Seen = tuple[int, int]


class Recorder:
    """A lane handler that records what it got, and can be held at its next call."""

    def __init__(self) -> None:
        self.batches: list[list[Seen]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.entered = asyncio.Event()

    async def __call__(self, messages: Sequence[Message]) -> None:
        self.entered.set()
        await self.release.wait()
        self.batches.append([(m.partition, m.offset) for m in messages])

    def seen(self) -> list[Seen]:
        return [item for batch in self.batches for item in batch]


def lane_app(settings: Settings, recorder: Recorder, max_batch: int = 500) -> faust.App:
    app = create_app(settings)
    topic = app.topic(settings.topics.web, key_serializer="raw", value_serializer="raw")
    register_lane(app, topic, recorder, name="test", max_batch=max_batch)
    return app


async def committed(settings: Settings) -> dict[int, int]:
    """The group's committed offset per partition of the web topic (-1: none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        partitions = [TopicPartition(settings.topics.web, p) for p in range(settings.partitions)]
        found = await admin.list_consumer_group_offsets(settings.app_id, partitions=partitions)
        return {tp.partition: meta.offset for tp, meta in found.items()}
    finally:
        await admin.close()


async def produce_web(settings: Settings, count: int) -> dict[int, int]:
    """``count`` records keyed k0..k19; returns the end offset of each partition."""
    sent = await produce_records(
        settings.kafka_bootstrap,
        [(settings.topics.web, f"k{i % 20}".encode(), b"x%d" % i) for i in range(count)],
    )
    ends: dict[int, int] = dict.fromkeys(range(settings.partitions), 0)
    for _, partition, offset in sent:
        ends[partition] = max(ends[partition], offset + 1)
    return ends


async def test_a_lane_handles_batches_and_commits_only_what_it_handled(
    leadq_settings: Settings,
) -> None:
    settings = leadq_settings
    ends = await produce_web(settings, 600)
    recorder = Recorder()
    recorder.release.clear()  # hold the first batch inside the handler
    async with running_app(lane_app(settings, recorder, max_batch=100)) as app:
        await asyncio.wait_for(recorder.entered.wait(), 30)
        await app.consumer.commit()
        assert all(offset <= 0 for offset in (await committed(settings)).values())

        recorder.release.set()
        await wait_for(lambda: _async(len(recorder.seen()) >= 600), "every record handled")
        await app.consumer.commit()
        assert await committed(settings) == ends

    seen = recorder.seen()
    assert len(seen) == len(set(seen)) == 600  # each once: no restart, no rebalance
    by_partition: dict[int, list[int]] = defaultdict(list)
    for partition, offset in seen:
        by_partition[partition].append(offset)
    for partition, offsets in by_partition.items():
        assert offsets == list(range(ends[partition])), f"partition {partition} out of order"
    # Batches, not one call per record (the first fetch alone returns hundreds), and
    # never more than max_batch records in one call.
    assert len(recorder.batches) < 600 / 5
    assert max(len(batch) for batch in recorder.batches) == 100


async def test_a_rebalance_hands_partitions_over_without_loss(leadq_settings: Settings) -> None:
    settings = leadq_settings
    ends = await produce_web(settings, 4000)
    first, second = Recorder(), Recorder()

    async def slowly(messages: Sequence[Message]) -> None:
        # ~12 s for everything alone: work is still in flight when the second member
        # has joined (a few seconds on Tansu), so partitions change hands mid-stream.
        await asyncio.sleep(0.003 * len(messages))
        await first(messages)

    app_a = create_app(settings)
    register_lane(
        app_a,
        app_a.topic(settings.topics.web, key_serializer="raw", value_serializer="raw"),
        slowly,
        name="test",
        max_batch=100,
    )
    app_b = lane_app(settings.with_changes(web_port=free_port()), second)
    async with running_app(app_a):
        await asyncio.wait_for(first.entered.wait(), 30)
        async with running_app(app_b):
            everything = {(p, o) for p, end in ends.items() for o in range(end)}

            def covered() -> bool:
                return set(first.seen()) | set(second.seen()) >= everything

            await wait_for(lambda: _async(covered()), "every record handled by a member", 60)
            assert second.seen(), "the second member never got a partition"
            await app_a.consumer.commit()
            await app_b.consumer.commit()
            assert await committed(settings) == ends
    # At least once: a record may be handled twice across the hand-over, never skipped,
    # and each member sees each of its partitions in offset order.
    for recorder in (first, second):
        by_partition: dict[int, list[int]] = defaultdict(list)
        for partition, offset in recorder.seen():
            by_partition[partition].append(offset)
        for offsets in by_partition.values():
            assert offsets == sorted(offsets)


async def test_an_outlet_partitions_by_key_and_keeps_order(leadq_settings: Settings) -> None:
    settings = leadq_settings
    app = create_app(settings)
    app.topic(settings.topics.signals, key_serializer="raw", value_serializer="raw")
    outlet = Outlet(app, settings.topics.signals)
    # 3,000 records of 1 KB: many more than one producer batch (16 KB) per partition.
    records = [(f"lead-{i % 37}".encode(), b"%06d" % i + b"." * 1018, None) for i in range(3000)]
    async with running_app(app):
        await outlet.send_all(records)
        await outlet.send_all([])  # nothing to send is fine
    got = await read_until(
        settings.kafka_bootstrap, [settings.topics.signals], lambda rs: len(rs) >= 3000
    )
    assert len(got) == 3000
    partitioner = DefaultPartitioner()
    partitions = list(range(settings.partitions))
    order: dict[bytes, list[int]] = defaultdict(list)
    for record in got:
        assert record.key is not None
        assert record.value is not None
        assert record.partition == partitioner(record.key, partitions, partitions)
        order[record.key].append(int(record.value[:6]))
    for key, numbers in order.items():
        assert numbers == sorted(numbers), f"{key!r} out of order"
    assert sum(len(n) for n in order.values()) == 3000


async def _async(value: bool) -> bool:
    return value
