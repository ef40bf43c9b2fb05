"""The gateway's Segment / RudderStack endpoints on the real broker, with the vendors'
own Python SDKs and raw HTTP calls shaped like Segment's documented examples."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.server import running_gateway
from leadq.adapters import normalize_bytes
from streams.settings import Settings
from tests.integration.gateway_support import (
    PRODUCT_KEY,
    WEB_KEY,
    gateway_settings,
    gzipped,
    on,
    post,
    produced,
    url,
    values,
)

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "vendor_examples"


def _segment_sdk_sends(host: str, write_key: str) -> list[Any]:
    """The official segment-analytics-python client, gzip on, one call of each kind."""
    from segment.analytics import Client

    errors: list[Any] = []
    client = Client(
        write_key, host=host, gzip=True, on_error=lambda e, _: errors.append(e), max_retries=2
    )
    client.identify("ada", {"email": "ada@acme.io", "title": "VP Engineering"})
    client.track("ada", "Demo Requested", {"plan": "enterprise"})
    client.page(anonymous_id="anon-7f3a", name="Pricing", properties={"path": "/pricing"})
    client.group("ada", "acme.io", {"name": "Acme", "domain": "acme.io"})
    client.alias("anon-7f3a", "ada")
    client.screen("ada", name="Dashboard")
    client.flush()
    client.shutdown()
    return errors


async def test_segment_sdk_delivers_every_call_keyed_by_person(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        errors = await asyncio.to_thread(_segment_sdk_sends, url(settings, ""), WEB_KEY)
        records = await produced(settings)
    assert errors == []
    web = on(records, settings.topics.web)
    by_person: dict[bytes | None, list[str]] = {}
    for record in web:  # order is kept per partition, so per person
        by_person.setdefault(record.key, []).append(json.loads(record.value or b"")["type"])
    assert by_person == {
        b"u:ada": ["identify", "track", "group", "alias", "screen"],
        b"a:anon-7f3a": ["page"],
    }
    assert on(records, settings.topics.dead_letter) == []
    for record in web:
        assert b"writeKey" not in (record.value or b"")
        assert "receivedAt" in json.loads(record.value or b"")
        # What the worker will make of each record: exactly one signal, no reject.
        result = normalize_bytes(record.value or b"", channel="web")
        assert (len(result.signals), result.rejects) == (1, [])
        assert result.signals[0].source == "segment"


def _rudderstack_sdk_sends(host: str, write_key: str) -> list[Any]:
    """RudderStack's Python SDK (gzip by default), one track call."""
    from rudderstack.analytics.client import Client

    errors: list[Any] = []
    client = Client(write_key, host=host, on_error=lambda e, _: errors.append(e), max_retries=2)
    client.track("u_42", "Report Exported", {"format": "csv"})
    client.flush()
    client.shutdown()
    return errors


async def test_rudderstack_sdk_feeds_the_channel_of_its_key(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        errors = await asyncio.to_thread(_rudderstack_sdk_sends, url(settings, ""), PRODUCT_KEY)
        records = await produced(settings)
    assert errors == []
    product = on(records, settings.topics.product)
    assert [(r.key, json.loads(r.value or b"")["event"]) for r in product] == [
        (b"u:u_42", "Report Exported")
    ]
    assert on(records, settings.topics.web) == []
    signal = normalize_bytes(product[0].value or b"", channel="product").signals[0]
    assert (signal.channel, signal.name) == ("product", "Report Exported")


def _segment_sdk_with_wrong_key(host: str) -> list[Any]:
    from segment.analytics import Client

    errors: list[Any] = []
    client = Client("wk_unknown", host=host, on_error=lambda e, _: errors.append(e), max_retries=2)
    client.track("ada", "Demo Requested")
    client.flush()
    client.shutdown()
    return errors


async def test_the_sdk_reads_a_refusal_and_gives_up(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        errors = await asyncio.to_thread(_segment_sdk_with_wrong_key, url(settings, ""))
        records = await produced(settings)
    assert [(e.status, e.code) for e in errors] == [(401, "invalid_write_key")]
    assert records == []


async def test_segment_documented_examples_on_their_endpoints(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    calls = ["track", "page", "identify", "group", "alias", "screen"]
    async with running_gateway(settings):
        for call in calls:
            example = orjson.loads((EXAMPLES / f"segment_{call}.json").read_bytes())
            body = {k: v for k, v in example.items() if k != "type"} | {"writeKey": WEB_KEY}
            answer = await post(settings, f"/v1/{call}", body)
            assert (answer.status, answer.body["accepted"]) == (200, 1), answer.body
        batch = orjson.loads((EXAMPLES / "segment_batch.json").read_bytes())
        answer = await post(settings, "/v1/batch", batch, auth=(WEB_KEY, ""))
        records = await produced(settings)
    assert answer.status == 200
    assert answer.body["accepted"] == 3
    assert answer.body["rejected"] == [
        {"index": 2, "reason": "event: required but missing or empty"}
    ]
    web = values(on(records, settings.topics.web))
    types = sorted(m["type"] for m in web)  # type: ignore[index]
    assert types == sorted([*calls, "identify", "track", "page"])
    (careers,) = [m for m in web if m["messageId"] == "b-4"]  # type: ignore[index]
    # The envelope's context reaches each message; the message's own keys win.
    assert careers["context"]["page"]["path"] == "/careers"  # type: ignore[index]
    assert careers["context"]["groupId"] == "acct_initrode"  # type: ignore[index]
    (dead,) = on(records, settings.topics.dead_letter)
    assert json.loads(dead.value or b"")["messageId"] == "b-3"
    assert dead.headers["leadq.reason"] == b"event: required but missing or empty"
    assert dead.headers["leadq.source.endpoint"] == b"/v1/batch"
    assert dead.headers["leadq.source.index"] == b"2"
    assert dead.headers["leadq.source.topic"] == settings.topics.web.encode()


async def test_a_batch_keeps_the_good_items_and_dead_letters_the_bad(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings)
    good = {"type": "track", "event": "Pricing Viewed", "timestamp": "2026-11-24T09:00:00Z"}
    batch = [
        {**good, "userId": "u1", "messageId": "m1"},
        {**good, "messageId": "m2"},  # nobody
        {**good, "anonymousId": "a2", "messageId": "m3"},
        42,
        {**good, "type": "purchase", "userId": "u4", "messageId": "m5"},
        {**good, "userId": "u5", "properties": {"email": "U5@Acme.io"}, "messageId": "m6"},
    ]
    async with running_gateway(settings):
        answer = await post(settings, "/v1/batch", gzipped({"batch": batch}),
                            {"Content-Encoding": "gzip"}, auth=(WEB_KEY, ""))  # fmt: skip
        records = await produced(settings)
    assert answer.status == 200
    assert answer.body["accepted"] == 3
    rejected = answer.body["rejected"]
    assert isinstance(rejected, list)
    assert [item["index"] for item in rejected] == [1, 3, 4]
    assert "no identity" in rejected[0]["reason"]
    assert "unknown event format (got a number)" in rejected[1]["reason"]
    assert "type: expected one of" in rejected[2]["reason"]
    assert sorted(r.key or b"" for r in on(records, settings.topics.web)) == [
        b"a:a2", b"u:u1", b"u:u5"
    ]  # fmt: skip
    dead = sorted(
        on(records, settings.topics.dead_letter), key=lambda d: d.headers["leadq.source.index"]
    )
    assert [d.headers["leadq.source.index"] for d in dead] == [b"1", b"3", b"4"]
    assert dead[1].value == b"42"


def _too_large_message() -> dict[str, object]:
    return {"userId": "u1", "event": "Big", "properties": {"blob": "x" * 40_000}}


REFUSED = [
    pytest.param({"writeKey": "wk_nope", "userId": "u", "event": "E"}, {}, 401,
                 "invalid_write_key", id="unknown key"),
    pytest.param({"userId": "u", "event": "E"}, {}, 401, "unauthorized", id="no key"),
    pytest.param(b'{"writeKey": "wk_web_test", "userId": ', {}, 400, "invalid_json",
                 id="malformed JSON"),
    pytest.param(b'["not", "an", "object"]', {}, 400, "invalid_payload", id="not an object"),
    pytest.param(b"\x1f\x8b\x08 not really gzip", {"Content-Encoding": "gzip"}, 400,
                 "bad_encoding", id="broken gzip"),
    pytest.param({**_too_large_message(), "writeKey": WEB_KEY}, {}, 413, "payload_too_large",
                 id="single call over 32 KB"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "headers", "status", "code"), REFUSED)
async def test_refused_requests_produce_nothing(
    leadq_settings: Settings,
    body: object,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        answer = await post(settings, "/v1/track", body, headers)
        records = await produced(settings)
    assert (answer.status, answer.body["code"]) == (status, code)
    assert answer.body["message"] == answer.body["detail"]
    assert records == []


async def test_batch_limits_refuse_the_whole_request(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    small = {"type": "track", "userId": "u1", "event": "E", "properties": {"pad": "x" * 20_000}}
    big_one = {**_too_large_message(), "type": "track"}
    async with running_gateway(settings):
        over_batch = await post(settings, "/v1/batch", {"batch": [small] * 30}, auth=(WEB_KEY, ""))
        # Compression does not stretch the limit: it counts the decompressed body.
        zipped = await post(settings, "/v1/batch", gzipped({"batch": [small] * 30}),
                            {"Content-Encoding": "gzip"}, auth=(WEB_KEY, ""))  # fmt: skip
        one_big = await post(settings, "/v1/batch", {"batch": [small, big_one]}, auth=(WEB_KEY, ""))
        not_a_list = await post(settings, "/v1/batch", {"batch": {"a": 1}}, auth=(WEB_KEY, ""))
        records = await produced(settings)
    assert (over_batch.status, over_batch.body["code"]) == (413, "payload_too_large")
    assert (zipped.status, zipped.body["code"]) == (413, "payload_too_large")
    assert (one_big.status, one_big.body["code"]) == (413, "payload_too_large")
    assert "message 1" in str(one_big.body["message"])
    assert (not_a_list.status, not_a_list.body["code"]) == (400, "invalid_payload")
    assert records == []


async def test_documented_messages_without_ids_keep_their_ids_on_a_retry(
    leadq_settings: Settings,
) -> None:
    # Segment's HTTP API writeKey example: no messageId, no timestamp. An SDK retrying a
    # batch sends it again with a new sentAt: the derived ids must not change.
    settings = gateway_settings(leadq_settings)
    message = orjson.loads((EXAMPLES / "segment_http_writekey.json").read_bytes())
    message = {k: v for k, v in message.items() if k != "writeKey"} | {"type": "track"}
    first = {"batch": [message], "sentAt": "2026-12-03T09:00:00Z"}
    retry = {"batch": [message], "sentAt": "2026-12-03T09:00:30Z"}
    async with running_gateway(settings):
        for body in (first, retry):
            answer = await post(settings, "/v1/batch", body, auth=(WEB_KEY, ""))
            assert (answer.status, answer.body["accepted"]) == (200, 1)
        records = await produced(settings)
    sent = values(on(records, settings.topics.web))
    ids = {m["messageId"] for m in sent}  # type: ignore[index]
    assert len(sent) == 2
    assert len(ids) == 1
    # The worker reads the same id, and the gateway's arrival time as the event time
    # (Segment's correction: receivedAt - (sentAt - sentAt)).
    for record in on(records, settings.topics.web):
        [signal] = normalize_bytes(record.value or b"", channel="web").signals
        assert signal.event_id in ids
        received = orjson.loads(record.value or b"")["receivedAt"]
        assert signal.occurred_at == datetime.fromisoformat(received)


async def test_a_batch_item_without_a_type_is_explained_as_segment(
    leadq_settings: Settings,
) -> None:
    # {"event", "userId"} without a type would be read as another vendor's event (PostHog
    # has "event" too); on the Segment endpoint the reason is Segment's.
    settings = gateway_settings(leadq_settings)
    body = {"batch": [{"event": "Signed Up", "userId": "u1", "messageId": "m1"}]}
    async with running_gateway(settings):
        answer = await post(settings, "/v1/batch", body, auth=(WEB_KEY, ""))
    assert answer.body["rejected"] == [
        {"index": 0,
         "reason": "type: expected one of alias, group, identify, page, screen, track, got None"}
    ]  # fmt: skip
