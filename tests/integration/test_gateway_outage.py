"""The gateway while the broker (or Redis) is down, on a cluster of the test's own:
503 with Retry-After and nothing acknowledged, /health says so, the SDKs retry and
nothing answered 2xx is lost; the gateway keeps running and recovers by itself."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from gateway.server import running_gateway
from streams.devcluster import DevCluster
from streams.settings import Settings
from tests.helpers import eventually, wait_for
from tests.integration.gateway_support import (
    MAILGUN_KEY,
    WEB_KEY,
    Answer,
    gateway_settings,
    get,
    mailgun_signed,
    on,
    post,
    produced,
    url,
)

pytestmark = pytest.mark.integration
TRACK = {"userId": "ada", "event": "Demo Requested", "timestamp": "2026-11-24T09:00:00Z"}


def _cluster_settings(cluster: DevCluster, **ingest: object) -> Settings:
    base = Settings().with_changes(kafka_bootstrap=cluster.bootstrap, redis_url=cluster.redis_url)
    return gateway_settings(base, **ingest)


async def test_broker_down_answers_503_and_health_says_so(private_cluster: DevCluster) -> None:
    settings = _cluster_settings(private_cluster, produce_timeout_s=1.0)
    async with running_gateway(settings):
        assert (await get(settings, "/health")).body["broker"] == "reachable"
        private_cluster.broker.stop()
        down = await post(settings, "/v1/track", TRACK, auth=(WEB_KEY, ""))
        health = await get(settings, "/health")
        await asyncio.to_thread(private_cluster.start_broker)
        after = await _until_accepted(settings, "/v1/track", TRACK, auth=(WEB_KEY, ""))
        records = await produced(settings)
    assert (down.status, down.body["code"], down.headers["Retry-After"]) == (
        503, "broker_unavailable", "1"
    )  # fmt: skip
    assert (health.status, health.body["status"], health.body["broker"]) == (
        503, "unavailable", "unreachable"
    )  # fmt: skip
    assert after.status == 200
    # The restarted (in-memory) broker holds only what was written after it.
    assert {r.key for r in on(records, settings.topics.web)} == {b"u:ada"}


async def _until_accepted(settings: Settings, path: str, body: object, **kwargs: Any) -> Answer:
    """POST again after each 503, as a sender does, until accepted (30 s deadline)."""
    answers: list[Answer] = []

    async def accepted() -> bool:
        answers.append(await post(settings, path, body, **kwargs))
        return answers[-1].status != 503

    await wait_for(accepted, f"{path} accepted after the outage")
    return answers[-1]


class _SeenRetry(logging.Handler):
    """Notices the Segment SDK's own log line for a retryable answer with Retry-After."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "Rate-limited (status 503)" in record.getMessage():
            self.seen.set()


def _segment_flush(host: str, errors: list[Any]) -> None:
    from segment.analytics import Client

    client = Client(WEB_KEY, host=host, on_error=lambda e, _: errors.append(e), max_retries=5)
    for n in range(3):
        client.track("ada", f"Step {n}", {"n": n})
    client.flush()  # returns once the batch was accepted (or given up)
    client.shutdown()


async def test_segment_sdk_retries_a_503_until_the_broker_is_back(
    private_cluster: DevCluster,
) -> None:
    settings = _cluster_settings(private_cluster, produce_timeout_s=1.0)
    watcher = _SeenRetry()
    sdk_log = logging.getLogger("segment")
    sdk_log.addHandler(watcher)
    sdk_log.setLevel(logging.DEBUG)
    errors: list[Any] = []
    try:
        async with running_gateway(settings):
            private_cluster.broker.stop()
            sending = asyncio.create_task(
                asyncio.to_thread(_segment_flush, url(settings, ""), errors)
            )
            await eventually(watcher.seen.is_set)  # the SDK got a 503 and will retry
            await asyncio.to_thread(private_cluster.start_broker)
            await asyncio.wait_for(sending, 60)
            records = await produced(settings)
    finally:
        sdk_log.removeHandler(watcher)
    assert errors == []
    events = [r for r in on(records, settings.topics.web) if b'"Step ' in (r.value or b"")]
    assert len(events) >= 3  # at least once: a retry may repeat what a 503 had written
    assert {r.key for r in events} == {b"u:ada"}


async def test_mailgun_retry_after_a_503_is_accepted(private_cluster: DevCluster) -> None:
    settings = _cluster_settings(private_cluster, mailgun_signing_key=MAILGUN_KEY,
                                 produce_timeout_s=1.0)  # fmt: skip
    signed = mailgun_signed({"event-data": {
        "id": "CPgfbmQMTCKtHW6uIWtuVe", "timestamp": 1521472262.9, "event": "delivered",
        "recipient": "alice@initrode.com"}})  # fmt: skip
    async with running_gateway(settings):
        private_cluster.broker.stop()
        down = await post(settings, "/webhooks/mailgun", signed)
        await asyncio.to_thread(private_cluster.start_broker)
        retried = await _until_accepted(settings, "/webhooks/mailgun", signed)  # Mailgun's retry
        replayed = await post(settings, "/webhooks/mailgun", signed)
        records = await produced(settings)
    assert (down.status, retried.status, replayed.status) == (503, 200, 403)
    assert {r.key for r in on(records, settings.topics.email)} == {b"e:alice@initrode.com"}


async def test_redis_down_refuses_mailgun_with_503_and_keeps_serving_others(
    private_cluster: DevCluster,
) -> None:
    settings = _cluster_settings(private_cluster, mailgun_signing_key=MAILGUN_KEY)
    signed = mailgun_signed({"event-data": {
        "id": "x1", "timestamp": 1521472262.9, "event": "delivered",
        "recipient": "alice@initrode.com"}})  # fmt: skip
    async with running_gateway(settings):
        await asyncio.to_thread(private_cluster.stop_redis)
        refused = await post(settings, "/webhooks/mailgun", signed)
        tracked = await post(settings, "/v1/track", TRACK, auth=(WEB_KEY, ""))
        await asyncio.to_thread(private_cluster.start_redis)
        accepted = await post(settings, "/webhooks/mailgun", signed)
        records = await produced(settings)
    assert (refused.status, refused.body["code"]) == (503, "token_store_unavailable")
    assert "Retry-After" in refused.headers
    assert (tracked.status, accepted.status) == (200, 200)
    assert len(on(records, settings.topics.email)) == 1
