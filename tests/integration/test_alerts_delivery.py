"""Delivering SDR alerts to a real local webhook server, with claims in the real Redis.

The server records every request and answers as each test scripts it (429 with
``Retry-After``, 500, 404, slow answers); timings are read from its records.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from leadq.alerts_render import render_alert
from schemas.assignment import AssignmentEvent
from schemas.slack import SlackMessage
from streams.alerts.ledger import AlertLedger
from streams.alerts.sender import AlertDispatcher, Result
from streams.process import free_port
from streams.settings import AlertsSettings
from streams.state.connect import redis_client
from tests.assignment_samples import assignment
from tests.webhook_server import Scripted, WebhookServer

pytestmark = pytest.mark.integration

QUICK = AlertsSettings(
    per_webhook_interval_s=0.0,
    backoff_base_s=0.2,
    backoff_max_s=0.4,
    request_timeout_s=2.0,
    claim_lease_s=5.0,
    max_attempts=4,
)
#: Records of one server are stamped by its own loop clock; allow for scheduling.
SLACK_S = 0.05


@asynccontextmanager
async def dispatcher(
    redis_url: str, settings: AlertsSettings = QUICK, prefix: str | None = None
) -> AsyncIterator[AlertDispatcher]:
    client = redis_client(redis_url)
    ledger = AlertLedger(
        client, prefix or f"t{uuid.uuid4().hex[:10]}", settings.claim_lease_s, 3600.0
    )
    found = AlertDispatcher(settings, ledger)
    try:
        yield found
    finally:
        await found.close()
        await client.aclose()


def event(n: int = 1) -> AssignmentEvent:
    return assignment(transition_id=f"tr-{uuid.uuid4().hex[:8]}-{n}")


def body_of(alert: AssignmentEvent) -> bytes:
    return render_alert(alert).model_dump_json(exclude_none=True).encode()


async def send(d: AlertDispatcher, url: str, alert: AssignmentEvent) -> Result:
    return await d.deliver(alert.id, url, body_of(alert))


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_an_alert_is_posted_once_and_never_again(redis_url: str) -> None:
    alert = event()
    prefix = f"t{uuid.uuid4().hex[:10]}"
    async with WebhookServer() as hooks, dispatcher(redis_url, prefix=prefix) as first:
        url = hooks.url("rep-a")
        result = await send(first, url, alert)
        assert (result.kind, result.attempts) == ("delivered", 1)
        assert await first.ledger.state(alert.id) == "d"
        # Re-delivery of the same assignment event: nothing is sent.
        assert (await send(first, url, alert)).kind == "skipped"
        # A restarted worker (new dispatcher, same Redis): nothing is sent either.
        async with dispatcher(redis_url, prefix=prefix) as restarted:
            assert (await send(restarted, url, alert)).kind == "skipped"
        (received,) = hooks.received
    message = SlackMessage.model_validate(received.body)  # Slack's structure and limits
    assert message == render_alert(alert)
    assert received.body["text"].startswith("🙋 Hand-raise: Ada Lovelace at Acme")
    assert [block["type"] for block in received.body["blocks"]] == [
        "header", "section", "section", "section", "section", "context",
    ]  # fmt: skip


async def test_a_429_is_retried_after_the_wait_it_asks_for(redis_url: str) -> None:
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("rep-a", Scripted(429, "rate_limited", retry_after="2"))
        result = await send(d, hooks.url("rep-a"), event())
    assert (result.kind, result.attempts) == ("delivered", 2)
    assert [r.status for r in hooks.received] == [429, 200]
    (gap,) = gaps([r.at for r in hooks.received])
    assert gap >= 2.0 - SLACK_S


async def test_5xx_is_retried_with_growing_backoff(redis_url: str) -> None:
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("rep-a", Scripted(500), Scripted(503))
        result = await send(d, hooks.url("rep-a"), event())
    assert (result.kind, result.attempts) == ("delivered", 3)
    first, second = gaps([r.at for r in hooks.received])
    # Equal jitter: between half and all of 0.2 s, then of 0.4 s.
    assert 0.1 - SLACK_S <= first <= 0.2 + 0.5
    assert 0.2 - SLACK_S <= second <= 0.4 + 0.5


async def test_what_keeps_failing_fails_after_max_attempts_without_the_secret(
    redis_url: str,
) -> None:
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("rep-a", *[Scripted(500, "internal")] * 10)
        result = await send(d, hooks.url("rep-a"), event())
    assert (result.kind, result.attempts) == ("failed", QUICK.max_attempts)
    assert len(hooks.received) == QUICK.max_attempts
    assert "HTTP 500 'internal'" in result.reason
    assert "secret-token" not in result.reason
    assert "/services/" not in result.reason


async def test_a_connection_error_is_retried_then_fails(redis_url: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/services/nobody/secret-token"
    async with dispatcher(redis_url) as d:
        result = await send(d, url, event())
    assert (result.kind, result.attempts) == ("failed", QUICK.max_attempts)
    assert "connection failed" in result.reason
    assert "secret-token" not in result.reason


async def test_a_4xx_is_not_retried(redis_url: str) -> None:
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("rep-a", Scripted(404, "no_service"))
        result = await send(d, hooks.url("rep-a"), event())
    assert (result.kind, result.attempts) == ("failed", 1)
    assert "HTTP 404 'no_service'" in result.reason


@pytest.mark.parametrize("url", ["not a url", "ftp://files.example.com/secret-token"])
async def test_an_unusable_url_is_not_retried(redis_url: str, url: str) -> None:
    async with dispatcher(redis_url) as d:
        result = await send(d, url, event())
    assert (result.kind, result.attempts) == ("failed", 1)
    assert "not a usable http(s) webhook URL" in result.reason
    assert "secret-token" not in result.reason


async def test_a_retry_after_beyond_the_retry_budget_fails_at_once(redis_url: str) -> None:
    settings = QUICK.model_copy(update={"max_retry_s": 1.0})
    async with WebhookServer() as hooks, dispatcher(redis_url, settings) as d:
        hooks.answer("rep-a", Scripted(429, retry_after="30"))
        result = await asyncio.wait_for(send(d, hooks.url("rep-a"), event()), 5.0)
    assert (result.kind, result.attempts) == ("failed", 1)
    assert "HTTP 429" in result.reason


async def test_about_one_message_per_second_per_webhook_each_at_its_own_pace(
    redis_url: str,
) -> None:
    settings = QUICK.model_copy(update={"per_webhook_interval_s": 1.0})
    async with WebhookServer() as hooks, dispatcher(redis_url, settings) as d:
        urls = {"rep-a": hooks.url("rep-a"), "team-b": hooks.url("team-b")}
        sends = [send(d, urls[name], event(n)) for n in range(4) for name in urls]
        results = await asyncio.gather(*sends)
    assert {r.kind for r in results} == {"delivered"}
    for name in ("rep-a", "team-b"):
        times = [r.at for r in hooks.to(name)]
        assert len(times) == 4
        assert all(1.0 - SLACK_S <= gap <= 2.0 for gap in gaps(times)), gaps(times)
    # The two webhooks are paced apart, not one after the other.
    assert abs(hooks.to("rep-a")[0].at - hooks.to("team-b")[0].at) < 0.5


async def test_a_slow_webhook_does_not_hold_up_another(redis_url: str) -> None:
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("slow", Scripted(200, "ok", delay_s=1.5))
        slow = asyncio.create_task(send(d, hooks.url("slow"), event(0)))
        await asyncio.sleep(0.1)
        fast = [await send(d, hooks.url("fast"), event(n)) for n in range(1, 4)]
        assert not slow.done()
        assert {r.kind for r in fast} == {"delivered"}
        assert (await slow).kind == "delivered"


async def test_a_dead_workers_claim_is_taken_over_after_its_lease(redis_url: str) -> None:
    settings = QUICK.model_copy(
        update={"claim_lease_s": 1.0, "backoff_max_s": 0.2, "request_timeout_s": 0.5}
    )
    alert = event()
    async with WebhookServer() as hooks, dispatcher(redis_url, settings) as d:
        # A worker claimed the alert and died before any acknowledgement was recorded.
        assert (await d.ledger.claim(alert.id, "dead-worker")).held
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await send(d, hooks.url("rep-a"), alert)
        assert result.kind == "delivered"
        assert loop.time() - started >= 1.0 - SLACK_S  # not before the lease ran out
        assert len(hooks.received) == 1


async def test_a_settled_alert_is_not_sent_and_a_failure_is_remembered(redis_url: str) -> None:
    delivered, dead = event(1), event(2)
    async with WebhookServer() as hooks, dispatcher(redis_url) as d:
        hooks.answer("rep-a", Scripted(410, "gone"))
        failed = await send(d, hooks.url("rep-a"), dead)
        assert failed.kind == "failed"
        assert await d.ledger.settle(dead.id, failed.token, "x")
        assert await d.ledger.settle(delivered.id, "someone", "d")
        assert not await d.ledger.settle(delivered.id, "late", "x")  # never over a "d"
        assert (await send(d, hooks.url("rep-a"), delivered)).kind == "skipped"
        assert (await send(d, hooks.url("rep-a"), dead)).kind == "skipped"
    assert len(hooks.received) == 1
