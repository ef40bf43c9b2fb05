"""Vendor input as the vendors document it, through a real worker on the real broker.

One worker run takes, on its inbound topics: Segment's documented HTTP API message with
neither ``messageId`` nor ``timestamp`` (twice: a retry), PostHog's batch, Amplitude's
HTTP API v2 body, Mixpanel's import body, a bare Mailgun event-data object and a message
whose user id hides a NUL. Each becomes routed signals on the signals topic with the
vendor's ids and times (the Kafka record's timestamp for the message without one), the
retry is applied once, and the poisoned identity goes to the dead-letter topic with its
reason while the rest goes on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from agents.worker import build_app
from leadq.compiled import compile_rules
from leadq.state import LeadState, event_digest
from schemas.routed import decode_routed
from schemas.rules import load_rules
from schemas.signal import Signal
from streams.kafka.dead_letter import REASON_HEADER
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from tests.helpers import read_until, running_app, wait_for
from tests.integration.scenario import open_store

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "unit" / "vendor_examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


async def produce_at(bootstrap: str, records: list[tuple[str, bytes, bytes, datetime]]) -> None:
    """Send ``(topic, key, value, record time)`` records in order, each with its time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, key, value, at in records:
            await producer.send_and_wait(
                topic, value, key=key, timestamp_ms=int(at.timestamp() * 1000)
            )
    finally:
        await producer.stop()


def routed_signals(records: Sequence[Record]) -> list[Signal]:
    return [decode_routed(record.value or b"").signal for record in records]


def _ids(records: Sequence[Record]) -> set[str]:
    return {signal.event_id for signal in routed_signals(records)}


async def test_documented_vendor_payloads_through_the_worker(
    qualifier_settings: Settings,
) -> None:
    settings = qualifier_settings
    topics = settings.topics
    rules = compile_rules(load_rules(settings.rules_path))
    first_sent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    retried = first_sent + timedelta(minutes=2)
    # Segment's documented writeKey example: no messageId, no time of any kind (the
    # /v1/track path gives the type, added here as the gateway adds it).
    segment_message = orjson.dumps({**example("segment_http_writekey.json"), "type": "track"})
    poisoned = orjson.dumps(
        {"type": "track", "event": "Signed Up", "userId": "u:ada\u0000evil", "timestamp": 1.7e9}
    )
    products = [
        orjson.dumps(example("posthog_batch.json")),
        orjson.dumps(example("amplitude_full.json")),
        orjson.dumps(example("mixpanel_import.json")),
    ]
    records = [
        (topics.web, b"u:123", segment_message, first_sent),
        (topics.web, b"u:123", poisoned, first_sent),
        (topics.web, b"u:123", segment_message, retried),  # the SDK's retry
        *[(topics.product, b"p", value, first_sent) for value in products],
        (topics.email, b"e", orjson.dumps(example("mailgun_delivered_bare.json")), first_sent),
    ]
    async with running_app(build_app(settings)), open_store(settings, rules) as store:
        await produce_at(settings.kafka_bootstrap, records)
        signals_out = await read_until(
            settings.kafka_bootstrap, [topics.signals], lambda rs: len(_ids(rs)) >= 11
        )
        dead = await read_until(
            settings.kafka_bootstrap, [topics.dead_letter], lambda rs: len(rs) >= 1
        )
        signals = routed_signals(signals_out)
        segment_ids = {s.event_id for s in signals if s.source == "segment"}
        (segment_id,) = segment_ids  # the retry has the same id

        async def segment_lead() -> LeadState | None:
            lead = await store.lead("u:123")
            return lead if lead is not None and lead.has_seen(segment_id) else None

        lead = await wait_for(segment_lead, "the Segment message applied")

    # One signal per event id (the router may route a group call to two buckets).
    by_source: dict[str, list[Signal]] = {}
    for signal in {signal.event_id: signal for signal in signals}.values():
        by_source.setdefault(signal.source, []).append(signal)
    assert {name: len(found) for name, found in by_source.items()} == {
        "segment": 1, "posthog": 6, "amplitude": 1, "mixpanel": 2, "mailgun": 1,
    }  # fmt: skip
    # No time in the message: the Kafka record's timestamp is the event time; the retry,
    # a duplicate by its content id, counts once, at the first time.
    segment_times = {s.occurred_at for s in signals if s.source == "segment"}
    assert segment_times == {first_sent, retried}
    assert segment_id.startswith("sha256-")
    assert lead is not None
    remembered = {**lead.seen, **lead.recent}
    assert remembered == {event_digest(segment_id): int(first_sent.timestamp() * 1000)}
    assert {s.event_id for s in by_source["mixpanel"]} == {
        "29fc2962-6d9c-455d-95ad-95b84f09b9e4",
        "935d87b1-00cd-41b7-be34-b9d98dd08b42",
    }
    assert by_source["amplitude"][0].event_id == "5f0adeff-6668-4427-8d02-57d803a2b841"
    posthog_kinds = sorted((s.type, s.channel) for s in by_source["posthog"])
    assert posthog_kinds == [
        ("group", "product"), ("identify", "product"), ("identify", "product"),
        ("page", "product"), ("track", "product"), ("track", "product"),
    ]  # fmt: skip
    assert by_source["mailgun"][0].identity.email == "alice@initrode.com"
    (letter,) = dead
    assert letter.value == poisoned
    reason = letter.headers[REASON_HEADER].decode()
    assert reason.startswith("item 0: userId: contains an invisible control character (U+0000)")
