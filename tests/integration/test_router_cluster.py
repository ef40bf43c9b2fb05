"""The router runs unchanged on a Redis Cluster of three masters: each decision is one
script call on one team's slot, touches live under their lead's own hash tag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.router import Router
from agents.worker import build_app
from streams.devcluster import ClusterStartError
from streams.rediscluster import LocalRedisCluster
from streams.settings import RoutingSettings, Settings
from tests.helpers import produce, running_app, wait_for
from tests.integration.routing_support import (
    crm_touch,
    read_assignments,
    routing_file,
    send_transitions,
    transition,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cluster() -> Iterator[LocalRedisCluster]:
    try:
        cluster = LocalRedisCluster().start()
    except ClusterStartError as exc:
        pytest.fail(f"cannot start a Redis Cluster: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_routing_and_sla_clocks_on_a_redis_cluster(
    leadq_settings: Settings, redis_cluster: LocalRedisCluster, tmp_path: Path
) -> None:
    settings = leadq_settings.with_changes(
        redis_url=redis_cluster.url,
        routing_path=routing_file(tmp_path, first_touch="2s", max_reassignments=0),
        routing=RoutingSettings(sla_poll_interval_s=0.2).model_dump(),
    )
    touched, missed = transition("e:ada@acme.io", account="acme.io"), transition("u:bob")
    async with running_app(build_app(settings, only=["router"])) as app:
        router: Router = app.leadq_router  # type: ignore[attr-defined]
        await send_transitions(settings, [touched, missed, touched])
        await read_assignments(settings, 2)
        touch = crm_touch("ada@acme.io", "crm-c1", datetime.now(UTC))
        await produce(settings.kafka_bootstrap, settings.topics.crm, [touch])

        async def settled() -> bool:
            counters = router.counters
            return counters.touched_in_time == 1 and counters.escalated == 1

        await wait_for(settled, "one clock stopped by a touch, one escalated", deadline_s=15)
        events = await read_assignments(settings, 4)
    assert router.counters.duplicates == 1
    steps = sorted((e.data.lead.lead_id, e.type.rsplit(".", 1)[1], e.data.attempt)
                   for e in events)  # fmt: skip
    assert steps == [
        ("e:ada@acme.io", "assigned", 0),
        ("u:bob", "assigned", 0),
        ("u:bob", "assigned", 1),
        ("u:bob", "sla_breached", 0),
    ]
    first = {e.data.lead.lead_id: e.data.owner.id for e in events if e.data.attempt == 0}
    assert sorted(first.values()) == ["r1", "r2"]  # weights 2:1, one lead each
    assert [e.data.owner.id for e in events if e.data.escalated] == ["boss"]
