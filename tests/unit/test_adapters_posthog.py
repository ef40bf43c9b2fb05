"""PostHog capture events → signals.

Examples (tests/unit/vendor_examples):
- posthog_capture_single.json: the single-event example of PostHog's capture API docs
  (https://posthog.com/docs/api/capture), its timestamp placeholder filled in;
- posthog_batch.json: the docs' ``/batch`` example (``api_key``, ``historical_migration``,
  ``batch``), extended with ``$pageview``, ``$identify``, ``$groupidentify``, ``$set``
  and ``$groups`` events in the shapes posthog-python builds them
  (``posthog/client.py``: ``capture``, ``set``, ``group_identify``);
- posthog_python_capture.json: what posthog-python's ``capture`` enqueues (``_enqueue``
  adds ``$lib``, ``$lib_version``, ``$geoip_disable``, ``$is_server``, ``uuid``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadq.adapters import detect, normalize
from tests.unit.vendor import example, signals

RECEIVED = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_the_documented_single_event() -> None:
    document = example("posthog_capture_single.json")
    assert detect(document) == "posthog"
    [signal] = signals(document)
    assert (signal.source, signal.channel, signal.type, signal.name) == (
        "posthog", "product", "track", "event name",
    )  # fmt: skip
    assert signal.identity.user_id == "user distinct id"
    assert signal.properties == {"account_type": "pro"}
    assert signal.occurred_at == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    # No uuid: a digest without the project key, the same on a retry.
    assert signal.event_id.startswith("posthog-")
    again = {**document, "api_key": "another key"}
    assert signals(again)[0].event_id == signal.event_id


def test_the_documented_batch_with_every_kind_of_event() -> None:
    track, page, identify, group, grouped, set_call = signals(
        example("posthog_batch.json"), received_at=RECEIVED
    )
    assert {s.source for s in (track, page, identify, group)} == {"posthog"}
    assert (track.identity.user_id, track.name) == ("user distinct id", "batched_event_name")
    # $pageview: a web page; no timestamp of its own, so the batch's sent_at.
    assert (page.channel, page.type, page.name) == ("web", "page", "Pricing")
    assert (page.properties["path"], page.properties["url"]) == (
        "/pricing",
        "https://example.com/pricing",
    )
    assert page.occurred_at == datetime(2026, 11, 30, 9, 20, tzinfo=UTC)
    assert identify.type == "identify"
    assert (identify.identity.user_id, identify.identity.anonymous_id) == (
        "user distinct id",
        "anon distinct id",
    )
    assert identify.identity.email == "ada@acme.io"
    assert identify.traits == {"email": "ada@acme.io", "title": "VP Engineering"}
    assert group.type == "group"
    assert group.identity.is_empty()
    assert (group.account.id, group.account.domain) == ("acme-inc", "acme.io")
    assert group.traits == {"name": "Acme Inc", "website": "https://www.acme.io"}
    assert grouped.account.id == "acme-inc"
    assert "$groups" not in grouped.properties
    assert (set_call.type, set_call.traits) == ("identify", {"plan": "trial"})


def test_the_python_sdk_capture() -> None:
    [signal] = signals(example("posthog_python_capture.json"), channel="product")
    assert signal.event_id == "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    assert (signal.name, signal.identity.user_id, signal.account.id) == (
        "Trial Started",
        "u_97",
        "acme-inc",
    )
    assert signal.properties["$lib"] == "posthog-python"


def test_times_fall_back_in_order() -> None:
    base = {"event": "Ping", "distinct_id": "u"}
    at = signals({**base, "properties": {"$time": 1796030100.5}})[0].occurred_at
    assert at == datetime(2026, 11, 30, 9, 15, 0, 500000, tzinfo=UTC)
    offset = signals({**base, "offset": 60_000}, received_at=RECEIVED)[0].occurred_at
    assert offset == datetime(2026, 11, 30, 9, 29, tzinfo=UTC)
    received = signals(base, received_at=RECEIVED)[0].occurred_at
    assert received == RECEIVED
    result = normalize(base)
    assert result.rejects[0].reason == ("no event time: set timestamp, properties.$time or sent_at")


def test_anonymous_events_and_channels() -> None:
    anonymous = {"event": "$pageview", "timestamp": 1.7e9,
                 "properties": {"distinct_id": "dev-1", "$is_identified": False}}  # fmt: skip
    [signal] = signals(anonymous)
    assert (signal.identity.anonymous_id, signal.identity.user_id) == ("dev-1", None)
    assert signal.channel == "web"
    result = normalize(anonymous, channel="email")
    assert result.rejects[0].reason == (
        "PostHog events belong on the web or product channel, not 'email'"
    )


def test_what_cannot_be_mapped_says_why() -> None:
    cases = [
        ({"event": "x", "timestamp": 1.7e9}, "distinct_id: required (top level or in properties)"),
        ({"event": "$groupidentify", "distinct_id": "d", "timestamp": 1.7e9, "properties": {}},
         "properties.$group_key: required on $groupidentify"),
        ({"event": "x", "distinct_id": "u", "timestamp": 1.7e9, "properties": {"$groups": []}},
         "properties.$groups: expected a JSON object, got an array"),
    ]  # fmt: skip
    for event, reason in cases:
        result = normalize(event, fmt="posthog")
        assert result.rejects[0].reason == reason


def test_a_segment_batch_is_not_taken_for_a_posthog_one() -> None:
    segment_batch = {"batch": [{"type": "track", "event": "x", "userId": "u", "timestamp": 1}]}
    assert signals(segment_batch)[0].source == "segment"
