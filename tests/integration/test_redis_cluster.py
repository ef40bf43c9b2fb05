"""The pipeline runs unchanged on a Redis Cluster of three masters on loopback.

Every script call touches one slot (a bucket's keys share a hash tag; the identity index
is one key per identity, sharded by its own hash), so nothing changes but the URL
(``redis+cluster://``). The stream's final state equals the replay's, lead by lead, and
the index and buckets really are spread over all three masters.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.devcluster import ClusterStartError
from streams.rediscluster import LocalRedisCluster
from streams.settings import Settings
from tests.helpers import read_until, running_app
from tests.integration.scenario import (
    distinct,
    expected_events,
    feed_in_event_order,
    has_ids,
    open_store,
    recent_start,
    replay_of,
    settle,
    story,
    transition_events,
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


async def test_the_pipeline_runs_unchanged_on_a_redis_cluster(
    leadq_settings: Settings, redis_cluster: LocalRedisCluster
) -> None:
    settings = leadq_settings.with_changes(redis_url=redis_cluster.url)
    rules = compile_rules(load_rules(settings.rules_path))
    messages = story(recent_start())
    reference = await replay_of(messages, rules)
    wanted = expected_events(reference)
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await feed_in_event_order(settings, store, messages)
        routing = [settings.topics.routing]
        records = await read_until(settings.kafka_bootstrap, routing, has_ids(wanted))
        assert await settle(store, reference) == []
    assert set(distinct(transition_events(records))) == set(wanted)
    # The index is spread over every master, and the buckets over several.
    keys = [
        [str(k) for k in redis.Redis(port=port, decode_responses=True).keys("lq:*")]
        for port in redis_cluster.ports
    ]
    assert all(any(":k:" in key for key in node) for node in keys)
    assert sum(any(key.endswith(":v") for key in node) for node in keys) >= 2
