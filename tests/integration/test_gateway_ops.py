"""The ingest gateway's ``/ready`` and ``/metrics``, on a cluster of the test's own.

``/ready`` answers 200 with ``checks.broker == "ok"`` while the broker answers, 503
naming the broker while it is frozen (SIGSTOP), and 200 again once it resumes;
``/metrics`` parses with prometheus_client's parser and counts requests by route
pattern (never the raw path) and status.
"""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.server import running_gateway
from streams.devcluster import DevCluster
from streams.settings import Settings
from tests.helpers import wait_for
from tests.integration.gateway_support import WEB_KEY, Answer, gateway_settings, get, post, url

pytestmark = pytest.mark.integration
TRACK = {"userId": "ada", "event": "Signed Up", "timestamp": "2026-11-24T09:00:00Z"}


async def _requests(settings: Settings) -> dict[tuple[str, str], float]:
    async with aiohttp.ClientSession() as session, session.get(url(settings, "/metrics")) as got:
        assert got.status == 200
        text = await got.text()
    return {
        (sample.labels["route"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "leadq_gateway_requests_total"
    }


async def test_ready_follows_the_broker_and_metrics_count_requests(
    private_cluster: DevCluster,
) -> None:
    cluster = private_cluster
    base = Settings().with_changes(kafka_bootstrap=cluster.bootstrap, redis_url=cluster.redis_url)
    settings = gateway_settings(base)
    async with running_gateway(settings):
        before = await _requests(settings)
        ready = await get(settings, "/ready")
        accepted = await post(settings, "/v1/track", TRACK, auth=(WEB_KEY, ""))
        refused = await post(settings, "/v1/track", TRACK, auth=("wrong-key", ""))
        after = await _requests(settings)
        cluster.broker.pause()
        try:
            frozen = await get(settings, "/ready")
        finally:
            cluster.broker.resume()

        async def ready_again() -> Answer | None:
            answer = await get(settings, "/ready")
            return answer if answer.status == 200 else None

        back = await wait_for(ready_again, "/ready answers 200 after the freeze")
    assert (ready.status, ready.body) == (200, {"status": "ready", "checks": {"broker": "ok"}})
    assert (frozen.status, frozen.body["status"]) == (503, "not_ready")
    assert frozen.body["checks"]["broker"].startswith("the broker is unreachable")
    assert back is not None
    assert back.body["status"] == "ready"
    assert (accepted.status, refused.status) == (200, 401)

    def moved(route: str, status: str) -> float:
        return after.get((route, status), 0.0) - before.get((route, status), 0.0)

    assert moved("/v1/{call}", "200") == 1
    assert moved("/v1/{call}", "401") == 1
    assert moved("/ready", "200") == 1
    assert not any(route.startswith("/v1/track") for route, _ in after)
