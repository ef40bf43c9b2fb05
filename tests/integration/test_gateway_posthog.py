"""The gateway's PostHog capture endpoints on the real broker, with PostHog's own Python
SDK (host = the gateway) and raw posthog-js-shaped requests."""

from __future__ import annotations

import asyncio
import gzip
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
    on,
    post,
    produced,
    url,
    values,
)

pytestmark = pytest.mark.integration


def _posthog_sdk_sends(host: str, api_key: str) -> list[Any]:
    """The official posthog client: capture, a person's traits, a group, an alias."""
    from posthog import Posthog

    errors: list[Any] = []
    client = Posthog(api_key, host=host, on_error=lambda e, _: errors.append(e), max_retries=2)
    client.capture("Report Exported", distinct_id="u_97", properties={"format": "csv"},
                   groups={"company": "acme.io"})  # fmt: skip
    client.set(distinct_id="u_97", properties={"email": "Ada@Acme.io", "title": "VP"})
    client.group_identify("company", "acme.io", {"name": "Acme", "domain": "acme.io"})
    client.alias("anon-1", "u_97")
    client.flush()
    client.shutdown()
    return errors


async def test_posthog_sdk_events_become_canonical_product_events(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        errors = await asyncio.to_thread(_posthog_sdk_sends, url(settings, ""), PRODUCT_KEY)
        records = await produced(settings)
    assert errors == []
    assert on(records, settings.topics.dead_letter) == []
    product = on(records, settings.topics.product)
    signals = {}
    for record in product:
        assert b"phc_" not in (record.value or b"")  # the key never reaches a topic
        result = normalize_bytes(record.value or b"", channel="product")
        assert result.rejects == []
        (signal,) = result.signals
        signals[signal.type] = (record.key, signal)
    assert set(signals) == {"track", "identify", "group", "alias"}
    key, track = signals["track"]
    assert (key, track.name, track.account.id) == (b"u:u_97", "Report Exported", "acme.io")
    assert track.properties["format"] == "csv"
    assert track.properties["$lib"] == "posthog-python"
    key, identify = signals["identify"]
    assert (key, identify.identity.email, identify.traits["title"]) == (
        b"u:u_97", "ada@acme.io", "VP"
    )  # fmt: skip
    key, group = signals["group"]
    assert (key, group.account.id, group.account.domain) == (None, "acme.io", "acme.io")
    key, alias = signals["alias"]
    assert (alias.identity.user_id, alias.identity.previous_id) == ("u_97", "anon-1")


def _posthog_sdk_with_wrong_key(host: str) -> list[Any]:
    from posthog import Posthog

    errors: list[Any] = []
    client = Posthog("phc_unknown", host=host, on_error=lambda e, _: errors.append(e))
    client.capture("Signed Up", distinct_id="u1")
    client.flush()
    client.shutdown()
    return errors


async def test_an_unknown_project_key_is_refused_and_the_sdk_gives_up(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings)
    async with running_gateway(settings):
        errors = await asyncio.to_thread(_posthog_sdk_with_wrong_key, url(settings, ""))
        records = await produced(settings)
    assert [(e.status, e.message) for e in errors] == [
        (401, "the write key is not one this gateway knows")
    ]
    assert records == []


def _posthog_js_event(**properties: object) -> dict[str, object]:
    """An event as posthog-js sends it: the key and distinct id inside properties."""
    return {
        "event": "$pageview",
        "uuid": "01932b6e-1f2a-7c3d-9e4f-5a6b7c8d9e0f",
        "timestamp": "2026-11-24T09:00:00.000Z",
        "properties": {
            "token": WEB_KEY,
            "distinct_id": "01932b6e-0000-7000-8000-000000000001",
            "$is_identified": False,
            "$current_url": "https://www.example.com/pricing?plan=team",
            "$pathname": "/pricing",
            "$referrer": "https://www.google.com/",
            "title": "Pricing",
            **properties,
        },
    }


@pytest.mark.parametrize("path", ["/e/", "/i/v0/e/", "/capture/", "/batch/"])
async def test_posthog_js_page_views_on_every_capture_path(
    leadq_settings: Settings, path: str
) -> None:
    settings = gateway_settings(leadq_settings)
    body = gzip.compress(orjson.dumps([_posthog_js_event()]))
    async with running_gateway(settings):
        answer = await post(settings, f"{path}?compression=gzip-js", body,
                            {"Content-Type": "text/plain"})  # fmt: skip
        records = await produced(settings)
    assert (answer.status, answer.body["status"], answer.body["accepted"]) == (200, 1, 1)
    (record,) = on(records, settings.topics.web)
    assert record.key == b"a:01932b6e-0000-7000-8000-000000000001"
    (signal,) = normalize_bytes(record.value or b"", channel="web").signals
    assert (signal.type, signal.name, signal.properties["path"]) == ("page", "Pricing", "/pricing")
    assert signal.properties["url"] == "https://www.example.com/pricing?plan=team"
    assert signal.event_id == "01932b6e-1f2a-7c3d-9e4f-5a6b7c8d9e0f"


async def test_posthog_bad_events_are_dead_lettered_and_limits_refuse_the_request(
    leadq_settings: Settings,
) -> None:
    settings = gateway_settings(leadq_settings, posthog_max_event_bytes=4096)
    good = {"event": "Signed Up", "distinct_id": "u1", "timestamp": "2026-11-24T09:00:00Z"}
    batch = [good, {"event": "No One"}, {"distinct_id": "u2"}, {**good, "timestamp": "soon"}]
    big = {**good, "properties": {"blob": "x" * 5000}}
    async with running_gateway(settings):
        partial = await post(settings, "/batch/", {"api_key": PRODUCT_KEY, "batch": batch})
        oversize = await post(settings, "/batch/", {"api_key": PRODUCT_KEY, "batch": [good, big]})
        lz64 = await post(settings, "/e/?compression=lz64", b"N4Ig", {})
        records = await produced(settings)
    assert (partial.status, partial.body["accepted"]) == (200, 1)
    reasons = {item["index"]: item["reason"] for item in partial.body["rejected"]}
    assert reasons == {
        1: "distinct_id: required (top level or in properties)",
        2: "event: required, the event's name",
        3: "timestamp: not an ISO-8601 time or epoch number: 'soon'",
    }
    assert (oversize.status, oversize.body["code"]) == (413, "payload_too_large")
    assert (lz64.status, lz64.body["code"]) == (400, "unsupported_compression")
    assert [r.key for r in on(records, settings.topics.product)] == [b"u:u1"]
    dead = values(on(records, settings.topics.dead_letter))
    # Dead letters hold what PostHog sent (without the key), not the translation.
    assert sorted(orjson.dumps(d) for d in dead) == sorted(orjson.dumps(e) for e in batch[1:])
