"""Crashes and outages lose nothing and count nothing twice (real broker, Redis, workers).

Each test streams the same many-people workload (``scenario.workload``: twelve people,
240 Segment events, 19 transitions) through real workers, breaks something mid-stream,
and then requires exactly what a clean run gives: ``leadq replay`` of the same events is
that clean run (the Lua path's parity with it is proven in ``test_parity``). Duplicates
on the routing topic are allowed only as repeats of the same CloudEvent id.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.devcluster import DevCluster
from streams.process import ServerProcess, free_port
from streams.settings import Settings
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process
from tests.conftest import isolated_settings
from tests.helpers import (
    Outgoing,
    eventually,
    produce_records,
    read_until,
    running_app,
    wait_for,
)
from tests.integration.scenario import (
    all_signals,
    applied,
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


async def produce_steadily(
    bootstrap: str, records: list[Outgoing], midway: asyncio.Event, chunk: int = 12
) -> None:
    """A steady stream: ``chunk`` records (one minute of the workload) every 50 ms;
    ``midway`` is set once a third of them are on the broker."""
    for start in range(0, len(records), chunk):
        await produce_records(bootstrap, records[start : start + chunk])
        if start + chunk >= len(records) / 3:
            midway.set()
        await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_stream_and_restarted_ends_like_a_clean_run(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    settings = qualifier_settings.with_changes(rules_path=workload_rules(tmp_path))
    rules = compile_rules(load_rules(settings.rules_path))
    messages = workload(recent_start())
    clean = await replay_of(messages, rules)
    wanted = expected_events(clean)
    records = [m.outgoing(settings) for m in messages]
    bootstrap, routing = settings.kafka_bootstrap, [settings.topics.routing]

    first = worker_process(settings, tmp_path, "worker (to be killed)")
    first.start()
    try:
        # Ten minutes of activity; the first transitions (minute 8) prove it is working.
        await produce_records(bootstrap, records[:120])
        await read_until(bootstrap, routing, lambda rs: len(rs) >= 1, alive=first.running)
        midway = asyncio.Event()
        rest = asyncio.create_task(produce_steadily(bootstrap, records[120:], midway))
        await midway.wait()
    finally:
        first.kill()  # SIGKILL by pid, mid-stream: no flush, no commit, no goodbye
    assert first.exit_code() == -9
    await rest  # the rest of the stream arrives while no worker runs

    second = worker_process(settings, tmp_path, "worker (restarted)")
    second.start()
    try:
        # Restarting into the same group takes ~5-16 s on Tansu; a transition stuck in
        # the outbox by the crash is re-published by the sweeper after 30 s.
        found = await read_until(
            bootstrap, routing, has_ids(wanted), deadline_s=50, alive=second.running
        )
        async with open_store(settings, rules) as store:
            assert await settle(store, clean) == []
    finally:
        exit_code = second.stop(WORKER_STOP_TIMEOUT_S)
    assert set(distinct(transition_events(found))) == set(wanted)
    assert exit_code == 0, second.log_tail(40)


def assigned_partitions(worker: ServerProcess, topic: str) -> set[int]:
    """The partitions of ``topic`` a worker holds, from the last assignment it logged
    (Faust logs a table after "Setting newly assigned partitions")."""
    log = worker.log_path.read_text(errors="replace")
    _, found, table = log.rpartition("Setting newly assigned partitions")
    if not found:
        return set()
    for line in table.splitlines()[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] == topic:  # "{1, 3}" or "{0-3}"
            found_partitions: set[int] = set()
            for part in cells[1].strip("{}").split(","):
                low, _, high = part.strip().partition("-")
                found_partitions.update(range(int(low), int(high or low) + 1))
            return found_partitions
        if "for group" in line:
            break
    return set()


async def test_two_workers_share_partitions_and_one_takes_over_when_the_other_dies(
    qualifier_settings: Settings, tmp_path: Path
) -> None:
    base = qualifier_settings.with_changes(rules_path=workload_rules(tmp_path))
    rules = compile_rules(load_rules(base.rules_path))
    messages = workload(recent_start())
    clean = await replay_of(messages, rules)
    wanted = expected_events(clean)
    records = [m.outgoing(base) for m in messages]
    bootstrap, routing, web = base.kafka_bootstrap, [base.topics.routing], base.topics.web
    # One consumer group (same app id), each worker its own web port and data dir.
    doomed = worker_process(base.with_changes(data_dir=tmp_path / "a"), tmp_path, "worker a")
    survivor = worker_process(
        base.with_changes(data_dir=tmp_path / "b", web_port=free_port()), tmp_path, "worker b"
    )
    doomed.start()
    survivor.start()
    try:
        everything = set(range(base.partitions))

        def shared() -> bool:
            a, b = (assigned_partitions(w, web) for w in (doomed, survivor))
            return bool(a) and bool(b) and not a & b and a | b == everything

        await eventually(shared)
        held_by_doomed = assigned_partitions(doomed, web)
        sent = await produce_records(bootstrap, records[:120])
        # Both process: each holds partitions that received events, and every event of
        # the first ten minutes gets applied, so each worker does its share.
        used = {partition for _, partition, _ in sent}
        assert used & held_by_doomed
        assert used - held_by_doomed
        async with open_store(base, rules) as store:
            first = all_signals(messages[:120])
            await wait_for(lambda: applied(store, first), "the first ten minutes applied")

        midway = asyncio.Event()
        rest = asyncio.create_task(produce_steadily(bootstrap, records[120:], midway))
        await midway.wait()
        doomed.kill()  # SIGKILL by pid, mid-stream
        await rest
        # The survivor gets the dead worker's partitions after ~1.5 session timeouts
        # (6 s here) and re-reads what the dead one never committed.
        found = await read_until(
            bootstrap, routing, has_ids(wanted), deadline_s=45, alive=survivor.running
        )
        assert assigned_partitions(survivor, web) == everything
        async with open_store(base, rules) as store:
            assert await settle(store, clean) == []
    finally:
        doomed.kill()
        exit_code = survivor.stop(WORKER_STOP_TIMEOUT_S)
    assert set(distinct(transition_events(found))) == set(wanted)
    assert exit_code == 0, survivor.log_tail(40)


async def test_redis_crashing_mid_stream_delays_but_loses_and_doubles_nothing(
    persistent_private_cluster: DevCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is SIGKILLed while events flow and started again with its append-only
    file (fsync per write, as production runs it); the worker is never restarted."""
    caplog.set_level(logging.WARNING, logger="leadq.worker")
    cluster = persistent_private_cluster
    settings = isolated_settings(cluster.bootstrap, cluster.redis_url, tmp_path).with_changes(
        rules_path=workload_rules(tmp_path)
    )
    cluster.create_topics(settings.topic_partitions())
    rules = compile_rules(load_rules(settings.rules_path))
    messages = workload(recent_start())
    clean = await replay_of(messages, rules)
    wanted = expected_events(clean)
    records = [m.outgoing(settings) for m in messages]
    bootstrap, routing = settings.kafka_bootstrap, [settings.topics.routing]
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await produce_records(bootstrap, records[:120])
        await read_until(bootstrap, routing, lambda rs: len(rs) >= 1)
        midway = asyncio.Event()
        rest = asyncio.create_task(produce_steadily(bootstrap, records[120:], midway))
        await midway.wait()
        cluster.redis.kill()  # SIGKILL by pid, mid-stream
        await eventually(lambda: "Redis unreachable" in caplog.text)  # the worker waits
        await rest  # the rest of the stream arrives during the outage
        cluster.start_redis()
        found = await read_until(bootstrap, routing, has_ids(wanted), deadline_s=45)
        assert await settle(store, clean) == []
    assert set(distinct(transition_events(found))) == set(wanted)
