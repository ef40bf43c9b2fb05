"""Amplitude's ``/2/httpapi`` and Mixpanel's ``/track`` and ``/import`` on a real gateway
and broker, fed by the vendors' own Python SDKs (amplitude-analytics, mixpanel) and by
their documented request bodies; unknown keys are refused and produce nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.server import running_gateway
from leadq.adapters import normalize_bytes
from schemas.signal import Signal
from streams.settings import Settings
from tests.integration.gateway_support import (
    PRODUCT_KEY,
    WEB_KEY,
    gateway_settings,
    on,
    post,
    produced,
    url,
)

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "vendor_examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def signals_of(records: list[Any], channel: str) -> list[tuple[bytes | None, Signal]]:
    found = []
    for record in records:
        result = normalize_bytes(record.value or b"", channel=channel)  # type: ignore[arg-type]
        assert result.rejects == []
        found += [(record.key, signal) for signal in result.signals]
    return found


def _amplitude_sdk_sends(server_url: str, api_key: str) -> list[int]:
    """The official amplitude-analytics client: an identify-like event and a track."""
    from amplitude import Amplitude, BaseEvent, Config

    codes: list[int] = []
    config = Config(server_url=server_url, callback=lambda event, code, message: codes.append(code))
    client = Amplitude(api_key, configuration=config)
    exported = BaseEvent(
        event_type="Report Exported",
        user_id="u_97",
        device_id="dev-1",
        event_properties={"format": "csv"},
        groups={"company": "acme"},
    )
    client.track(exported)
    client.track(BaseEvent(event_type="Trial Started", device_id="dev-2"))
    client.flush()
    client.shutdown()
    return codes


async def test_amplitude_sdk_and_documented_body(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    endpoint = url(settings, "/2/httpapi")
    quickstart = example("amplitude_quickstart.json") | {"api_key": PRODUCT_KEY}
    async with running_gateway(settings):
        codes = await asyncio.to_thread(_amplitude_sdk_sends, endpoint, PRODUCT_KEY)
        documented = await post(settings, "/2/httpapi", quickstart)
        unknown = await post(settings, "/2/httpapi", example("amplitude_quickstart.json"))
        records = await produced(settings)
    assert codes == [200, 200]
    assert (documented.status, documented.body["code"], documented.body["events_ingested"]) == (
        200,
        200,
        1,
    )
    assert (unknown.status, unknown.body["code"]) == (401, "invalid_write_key")
    assert on(records, settings.topics.dead_letter) == []
    product = on(records, settings.topics.product)
    assert all(PRODUCT_KEY.encode() not in (r.value or b"") for r in product)
    by_name = {s.name: (key, s) for key, s in signals_of(product, "product")}
    assert set(by_name) == {"Report Exported", "Trial Started", "watch_tutorial"}
    key, exported = by_name["Report Exported"]
    assert (key, exported.source, exported.account.id) == (b"u:u_97", "amplitude", "acme")
    key, trial = by_name["Trial Started"]
    assert (key, trial.identity.anonymous_id) == (b"a:dev-2", "dev-2")
    # The documented body has no time and no insert_id: the record carries both, the
    # gateway's clock and the content id.
    (tutorial_record,) = [r for r in product if b"watch_tutorial" in (r.value or b"")]
    stamped = orjson.loads(tutorial_record.value or b"")
    assert stamped["insert_id"].startswith("amplitude-")
    assert isinstance(stamped["time"], int)


def _mixpanel_sdk_sends(base: str, token: str) -> None:
    """The official mixpanel client: a /track event and an /import of an old one."""
    from mixpanel import Consumer, Mixpanel

    consumer = Consumer(events_url=f"{base}/track", import_url=f"{base}/import")
    client = Mixpanel(token, consumer=consumer)
    client.track("u_97", "Report Exported", {"format": "csv", "$groups": {"company": "acme"}})
    client.import_data(None, "u_98", "Signed Up", 1618716477, {"plan": "trial"})


async def test_mixpanel_sdk_and_documented_import(leadq_settings: Settings) -> None:
    settings = gateway_settings(leadq_settings)
    documented = example("mixpanel_import.json")
    async with running_gateway(settings):
        await asyncio.to_thread(_mixpanel_sdk_sends, url(settings, ""), WEB_KEY)
        imported = await post(settings, "/import", documented, auth=(WEB_KEY, ""))
        ndjson = b"\n".join(orjson.dumps(event) for event in documented)
        lines = await post(settings, "/import", ndjson, {"Content-Type": "application/x-ndjson"},
                           auth=(WEB_KEY, ""))  # fmt: skip
        no_token = await post(settings, "/track", documented)
        records = await produced(settings)
    assert (imported.status, imported.body["accepted"], imported.body["status"]) == (200, 2, 1)
    assert (lines.status, lines.body["accepted"]) == (200, 2)
    assert (no_token.status, no_token.body["code"]) == (401, "unauthorized")
    web = on(records, settings.topics.web)
    assert all(WEB_KEY.encode() not in (r.value or b"") for r in web)  # tokens removed
    signals = signals_of(web, "web")
    names = sorted(signal.name for _, signal in signals)
    assert names == ["Purchase", "Purchase", "Report Exported", "Signed Up", "Signup", "Signup"]
    by_name = {signal.name: (key, signal) for key, signal in signals}
    key, exported = by_name["Report Exported"]
    assert (key, exported.source, exported.account.id) == (b"u:u_97", "mixpanel", "acme")
    _, old = by_name["Signed Up"]
    assert old.occurred_at.year == 2021  # time in seconds, as mixpanel-python sends it
    signup_ids = {s.event_id for _, s in signals if s.name == "Signup"}
    assert signup_ids == {"29fc2962-6d9c-455d-95ad-95b84f09b9e4"}  # the same $insert_id
