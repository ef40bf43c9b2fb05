"""Operating a worker: /health, /ready, /metrics, the read API's bearer token, and
Faust's own pages switched off, on a real worker with the real broker and Redis.

- With ``LEADQ_API_TOKEN`` set the read API answers 401 without the token or with a
  wrong one, and 200 with it; /health, /ready and /metrics need none.
- ``/metrics`` parses with prometheus_client's own parser, and after the two-company
  story (plus one unreadable message) has streamed through, the counters moved by
  exactly what happened: events in per channel and format, one dead letter, signals
  applied, transitions per type (as many as the replay emits), batches timed, the
  event-to-transition latency observed, consumer lag and outbox depth exported.
- ``/ready`` turns 503 naming Redis while Redis is frozen (SIGSTOP), and 200 again
  once it is resumed; meanwhile ``/metrics`` still answers and its consumer lag shows
  the events waiting for Redis, back to 0 once they are applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from agents.worker import build_app
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.devcluster import DevCluster
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from tests.conftest import isolated_settings
from tests.helpers import produce_records, read_until, running_app, wait_for
from tests.integration.scenario import (
    canonical,
    distinct,
    expected_events,
    feed_in_event_order,
    has_ids,
    open_store,
    recent_start,
    replay_of,
    story,
    transition_events,
)

pytestmark = pytest.mark.integration
TOKEN = "s3cret-token-for-tests"
#: Faust's built-in pages, all of which must be gone.
FAUST_PAGES = ("/", "/router/", "/table/", "/graph/", "/stats/", "/assignment/", "/performance/")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _base(settings: Settings) -> str:
    return f"http://{settings.web_host}:{settings.web_port}"


async def _get(
    http: aiohttp.ClientSession, path: str, token: str | None = None
) -> tuple[int, str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with http.get(path, headers=headers) as response:
        text = await response.text()
        body = await response.json() if response.content_type == "application/json" else text
        return response.status, response.headers.get("WWW-Authenticate", ""), body


async def scrape(http: aiohttp.ClientSession) -> Samples:
    """Every sample of ``/metrics``, parsed by prometheus_client's parser."""
    async with http.get("/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_token_health_ready_metrics_and_no_faust_pages(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings.with_changes(api_token=TOKEN)
    rules = compile_rules(load_rules(settings.rules_path))
    start = recent_start()
    messages = story(start)
    wanted = expected_events(await replay_of(messages, rules))
    web = settings.topics.web
    zed = canonical("crm", "sales_accepted", "zed-ok", start, email="zed@initech.io")
    extra = [(web, b"bad", b"{not json"), (settings.topics.crm, b"e:zed", _json(zed))]

    def all_published(records: Sequence[Record]) -> bool:
        return has_ids(wanted)(records) and len(distinct(transition_events(records))) > len(wanted)

    async with (
        running_app(build_app(settings)),
        open_store(settings, rules) as store,
        aiohttp.ClientSession(_base(settings)) as http,
    ):
        assert (await _get(http, "/health"))[::2] == (200, {"status": "alive"})
        ready = await wait_for(lambda: _ready(http), "/ready answers 200")
        before = await scrape(http)
        await feed_in_event_order(settings, store, messages)
        await produce_records(settings.kafka_bootstrap, extra)
        routing = [settings.topics.routing]
        found = await read_until(settings.kafka_bootstrap, routing, all_published, 60)
        unknown = await _get(http, "/leads/u:ann")
        wrong = await _get(http, "/leads/u:ann", "not-the-token")
        lead = await _get(http, "/leads/u:ann", TOKEN)
        account = await _get(http, "/accounts/acme.com", TOKEN)
        open_account = await _get(http, "/accounts/acme.com")
        faust_pages = {path: (await _get(http, path))[0] for path in FAUST_PAGES}
        after = await wait_for(lambda: _settled(http, before), "metrics settle")

    assert ready["checks"] == {"broker": "ok", "redis": "ok", "partitions": "ok", "stopping": "ok"}
    assert unknown[:2] == wrong[:2] == open_account[:2] == (401, 'Bearer realm="leadq"')
    assert "u:ann" not in str(unknown[2])  # refused before any lookup
    assert (lead[0], lead[2]["lead_id"]) == (200, "u:ann")
    assert (account[0], account[2]["account_id"]) == (200, "acme.com")
    assert set(faust_pages.values()) == {404}, faust_pages

    channels = Counter((s.channel, s.source) for m in messages for s in m.signals())
    channels[("crm", "leadq")] += 1  # zed, accepted by sales
    for (channel, source), count in channels.items():
        assert moved(before, after, "leadq_events_in_total", channel=channel, format=source) == (
            count
        ), (channel, source)
    assert moved(before, after, "leadq_dead_letters_total", reason="unreadable") == 1
    assert moved(before, after, "leadq_signals_total", status="applied") >= sum(channels.values())
    published = Counter(e.type for e in distinct(transition_events(found)).values())
    assert published == Counter(e.type for e in wanted.values()) + Counter(["io.leadq.lead.sql"])
    for event_type, count in published.items():
        assert moved(before, after, "leadq_transitions_total", type=event_type) == count
    assert moved(before, after, "leadq_batch_duration_seconds_count", lane="qualify") >= 1
    inbound = len(messages) + len(extra)
    assert moved(before, after, "leadq_lane_records_total", lane="normalize") == inbound
    latency_count = moved(before, after, "leadq_event_to_transition_seconds_count")
    assert latency_count >= 1
    latency_sum = moved(before, after, "leadq_event_to_transition_seconds_sum")
    assert 0 < latency_sum / latency_count < 30
    lag = {k: v for k, v in after.items() if k[0] == "leadq_consumer_lag"}
    assert {dict(labels)["topic"] for _, labels in lag} >= {settings.topics.signals, web}
    assert set(lag.values()) == {0.0}
    assert value(after, "leadq_outbox_depth") == 0
    assert value(after, "leadq_refused_writes_total") >= 0  # exported even when zero


def _json(document: object) -> bytes:
    import orjson

    return orjson.dumps(document)


async def _ready(http: aiohttp.ClientSession) -> Any:
    status, _, body = await _get(http, "/ready")
    return body if status == 200 else None


async def _settled(http: aiohttp.ClientSession, before: Samples) -> Samples:
    """The metrics once everything produced is committed (no lag left anywhere), else
    nothing (falsy: ``wait_for`` polls again)."""
    after = await scrape(http)
    lag = [v for (name, _), v in after.items() if name == "leadq_consumer_lag"]
    done = lag and not any(lag) and value(after, "leadq_outbox_depth") == 0
    dead_lettered = moved(before, after, "leadq_dead_letters_total", reason="unreadable")
    return after if done and dead_lettered else {}


async def test_ready_turns_503_while_redis_is_frozen_and_200_after(
    private_cluster: DevCluster, tmp_path: Any
) -> None:
    cluster = private_cluster
    settings = isolated_settings(cluster.bootstrap, cluster.redis_url, tmp_path)
    cluster.create_topics(settings.topic_partitions())
    web = settings.topics.web
    start = recent_start()
    waiting = [
        (
            web,
            f"e:{n}".encode(),
            _json(canonical("web", "Pricing", f"lag-{n}", start, email=f"p{n}@lag.io")),
        )
        for n in range(10)
    ]
    async with running_app(build_app(settings)), aiohttp.ClientSession(_base(settings)) as http:
        await wait_for(lambda: _ready(http), "/ready answers 200 before the freeze")
        cluster.redis.pause()
        try:
            frozen = await _get(http, "/ready")
            alive = await _get(http, "/health")
            # Events that need Redis to be routed wait: the inbound lag shows them.
            await produce_records(settings.kafka_bootstrap, waiting)
            metrics = await wait_for(lambda: _web_lag(http, web, len(waiting)), "lag shows")
        finally:
            cluster.redis.resume()
        back = await wait_for(lambda: _ready(http), "/ready answers 200 after the freeze")
        drained = await wait_for(lambda: _web_lag(http, web, 0), "lag back to 0")
    assert frozen[0] == 503
    assert frozen[2]["status"] == "not_ready"
    assert "Redis did not answer PING" in frozen[2]["checks"]["redis"]
    assert frozen[2]["checks"]["broker"] == "ok"
    assert alive[0] == 200
    assert "leadq_outbox_depth" in {name for name, _ in metrics}  # answered without Redis
    assert back["status"] == "ready"
    assert drained  # the waiting events were applied and committed once Redis was back


async def _web_lag(http: aiohttp.ClientSession, topic: str, wanted: int) -> Samples:
    """The metrics once the summed consumer lag of ``topic`` is ``wanted``, else ``{}``."""
    samples = await scrape(http)
    lags = [v for (name, labels), v in samples.items()
            if name == "leadq_consumer_lag" and dict(labels)["topic"] == topic]  # fmt: skip
    return samples if lags and sum(lags) == wanted else {}
