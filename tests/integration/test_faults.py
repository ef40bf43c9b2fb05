"""Faults lose nothing, and a worker told to stop stops, whatever is down.

Each test streams the many-people workload (``scenario.workload``) through a real worker,
breaks something mid-stream, and then requires, lead by lead, the state ``leadq replay``
gives for the same events (stages and explanations included: the workload's outcome does
not depend on how the stream interleaves people), and every transition the replay emits.

- Redis frozen (SIGSTOP) for 15 s: commands time out, the worker waits and retries.
- The broker frozen for 10 s: fetches, commits and produces time out and are retried.
- SIGTERM or Ctrl-C (SIGINT) while a batch waits on a frozen Redis: the worker exits
  within 15 s without acknowledging the batch; a new worker applies it once.
- SIGTERM while the broker is frozen: the clean stop cannot commit, the watchdog ends
  the worker by its 12 s deadline (exit 1); a new worker ends like the replay.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.devcluster import DevCluster
from streams.settings import Settings
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process
from tests.conftest import isolated_settings
from tests.helpers import Outgoing, produce_records, read_until, running_app
from tests.integration.scenario import (
    Inbound,
    distinct,
    expected_events,
    has_ids,
    open_store,
    recent_start,
    replay_of,
    settle,
    transition_events,
    workload,
    workload_rules,
)

pytestmark = pytest.mark.integration
#: How fast a worker must stop on SIGTERM/SIGINT, whatever is down (issue: 15 s).
STOP_WITHIN_S = 15.0


def _setup(cluster: DevCluster, tmp_path: Path) -> tuple[Settings, list[Inbound], list[Outgoing]]:
    settings = isolated_settings(cluster.bootstrap, cluster.redis_url, tmp_path).with_changes(
        rules_path=workload_rules(tmp_path)
    )
    cluster.create_topics(settings.topic_partitions())
    messages = workload(recent_start())
    return settings, messages, [m.outgoing(settings) for m in messages]


async def _stream_in_steps(bootstrap: str, records: list[Outgoing], chunk: int = 24) -> None:
    for start in range(0, len(records), chunk):
        await produce_records(bootstrap, records[start : start + chunk])
        await asyncio.sleep(0.05)


async def _ends_like_the_replay(
    settings: Settings, messages: list[Inbound], deadline_s: float = 60
) -> None:
    rules = compile_rules(load_rules(settings.rules_path))
    clean = await replay_of(messages, rules)
    wanted = expected_events(clean)
    routing = [settings.topics.routing]
    found = await read_until(settings.kafka_bootstrap, routing, has_ids(wanted), deadline_s)
    assert set(distinct(transition_events(found))) == set(wanted)
    async with open_store(settings, rules) as store:
        assert await settle(store, clean) == []


async def test_redis_frozen_for_15_s_mid_stream_loses_nothing(
    persistent_private_cluster: DevCluster, tmp_path: Path
) -> None:
    cluster = persistent_private_cluster
    settings, messages, records = _setup(cluster, tmp_path)
    async with running_app(build_app(settings)):
        await produce_records(settings.kafka_bootstrap, records[:120])
        rest = asyncio.create_task(_stream_in_steps(settings.kafka_bootstrap, records[120:]))
        await asyncio.sleep(0.3)
        cluster.redis.pause()
        try:
            await asyncio.sleep(15)
        finally:
            cluster.redis.resume()
        await rest
        await _ends_like_the_replay(settings, messages)


async def test_the_broker_frozen_for_10_s_mid_stream_loses_nothing(
    persistent_private_cluster: DevCluster, tmp_path: Path
) -> None:
    cluster = persistent_private_cluster
    settings, messages, records = _setup(cluster, tmp_path)
    async with running_app(build_app(settings)):
        await produce_records(settings.kafka_bootstrap, records[:150])
        await asyncio.sleep(0.5)
        cluster.broker.pause()
        try:
            await asyncio.sleep(10)
        finally:
            cluster.broker.resume()
        await _stream_in_steps(settings.kafka_bootstrap, records[150:])
        await _ends_like_the_replay(settings, messages, deadline_s=90)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_a_worker_stops_within_15_s_while_redis_is_frozen_and_loses_nothing(
    persistent_private_cluster: DevCluster, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    cluster = persistent_private_cluster
    settings, messages, records = _setup(cluster, tmp_path)
    first = worker_process(settings, tmp_path, "worker (told to stop)")
    first.start()
    try:
        await produce_records(settings.kafka_bootstrap, records[:120])
        routing = [settings.topics.routing]
        await read_until(
            settings.kafka_bootstrap, routing, lambda rs: len(rs) >= 1, 60, first.running
        )
        cluster.redis.pause()
        await produce_records(settings.kafka_bootstrap, records[120:160])  # a batch in flight
        await asyncio.sleep(2)
        asked = time.monotonic()
        assert first.pid is not None
        first.signal(stop_signal)
        exit_code = await asyncio.to_thread(first.wait, STOP_WITHIN_S + 5)
        stopped_after = time.monotonic() - asked
    finally:
        cluster.redis.resume()
        first.kill()
    assert stopped_after <= STOP_WITHIN_S, first.log_tail(40)
    assert exit_code == 0, first.log_tail(40)  # a clean stop, not the watchdog's
    await produce_records(settings.kafka_bootstrap, records[160:])
    second = worker_process(settings, tmp_path, "worker (after the stop)")
    second.start()
    try:
        await _ends_like_the_replay(settings, messages, deadline_s=90)
    finally:
        assert second.stop(WORKER_STOP_TIMEOUT_S) == 0, second.log_tail(40)


async def test_a_worker_stops_within_15_s_while_the_broker_is_frozen_and_loses_nothing(
    persistent_private_cluster: DevCluster, tmp_path: Path
) -> None:
    """The broker frozen (SIGSTOP) mid-stream: commits and fetches hang, so the clean
    stop cannot finish and the watchdog ends the process by its deadline; nothing was
    committed that was not applied, so a new worker ends like the replay."""
    cluster = persistent_private_cluster
    settings, messages, records = _setup(cluster, tmp_path)
    first = worker_process(settings, tmp_path, "worker (told to stop, broker frozen)")
    first.start()
    try:
        await produce_records(settings.kafka_bootstrap, records[:160])
        routing = [settings.topics.routing]
        await read_until(
            settings.kafka_bootstrap, routing, lambda rs: len(rs) >= 1, 60, first.running
        )
        cluster.broker.pause()
        await asyncio.sleep(2)
        asked = time.monotonic()
        first.signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(first.wait, STOP_WITHIN_S + 5)
        stopped_after = time.monotonic() - asked
    finally:
        cluster.broker.resume()
        first.kill()
    assert stopped_after <= STOP_WITHIN_S, first.log_tail(40)
    assert exit_code is not None, first.log_tail(40)
    await produce_records(settings.kafka_bootstrap, records[160:])
    second = worker_process(settings, tmp_path, "worker (after the stop)")
    second.start()
    try:
        await _ends_like_the_replay(settings, messages, deadline_s=90)
    finally:
        assert second.stop(WORKER_STOP_TIMEOUT_S) == 0, second.log_tail(40)
