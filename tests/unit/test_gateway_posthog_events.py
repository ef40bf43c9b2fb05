"""PostHog events → canonical events: table-driven, each result validated as the worker
validates it (one signal, no reject)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.posthog_events import MappingError, to_canonical
from leadq.adapters import normalize
from schemas.signal import Signal

RECEIVED = "2026-12-02T10:00:00.000Z"


def _signal(event: dict[str, Any], channel: str = "product", sent_at: object = None) -> Signal:
    document = to_canonical(event, channel, sent_at, RECEIVED)  # type: ignore[arg-type]
    result = normalize(document, "leadq", channel)  # type: ignore[arg-type]
    assert result.rejects == []
    (signal,) = result.signals
    return signal


def test_a_capture_is_a_track_of_the_person() -> None:
    signal = _signal({
        "event": "Report Exported", "distinct_id": "u_97", "uuid": "e-1",
        "timestamp": "2026-11-24T09:00:00+01:00",
        "properties": {"format": "csv", "$groups": {"project": "p1", "company": "acme"},
                       "$set": {"email": "Ada@Acme.io"}},
    })  # fmt: skip
    assert (signal.type, signal.name, signal.event_id) == ("track", "Report Exported", "e-1")
    assert signal.identity.user_id == "u_97"
    assert signal.identity.email == "ada@acme.io"
    assert signal.account.id == "acme"  # company is preferred over other group types
    assert signal.occurred_at.isoformat() == "2026-11-24T08:00:00+00:00"
    assert signal.properties == {"format": "csv"}


def test_an_anonymous_pageview_is_a_page_of_an_anonymous_visitor() -> None:
    signal = _signal({
        "event": "$pageview", "timestamp": "2026-11-24T09:00:00",  # no zone: UTC
        "properties": {"distinct_id": "dev-1", "$is_identified": False, "title": "Pricing",
                       "$pathname": "/pricing", "$current_url": "https://x.io/pricing"},
    }, channel="web")  # fmt: skip
    assert (signal.channel, signal.type, signal.name) == ("web", "page", "Pricing")
    assert (signal.identity.anonymous_id, signal.identity.user_id) == ("dev-1", None)
    assert (signal.properties["path"], signal.properties["url"]) == (
        "/pricing",
        "https://x.io/pricing",
    )
    assert signal.occurred_at.isoformat() == "2026-11-24T09:00:00+00:00"


def test_identify_links_the_anonymous_id_and_takes_traits() -> None:
    signal = _signal({
        "event": "$identify", "distinct_id": "u_1", "timestamp": 1795507800,
        "properties": {"$anon_distinct_id": "dev-1", "$set": {"email": "a@b.io", "title": "CTO"},
                       "$set_once": {"title": "Engineer", "first_seen": "2026"}},
    })  # fmt: skip
    assert signal.type == "identify"
    assert (signal.identity.user_id, signal.identity.anonymous_id) == ("u_1", "dev-1")
    assert signal.traits == {"title": "CTO", "first_seen": "2026", "email": "a@b.io"}


def test_group_identify_names_the_account_only() -> None:
    signal = _signal({
        "event": "$groupidentify", "distinct_id": "made-up", "timestamp": "2026-11-24T09:00Z",
        "properties": {"$group_type": "company", "$group_key": "acme",
                       "$group_set": {"name": "Acme", "website": "https://www.acme.io/about"}},
    })  # fmt: skip
    assert signal.type == "group"
    assert signal.identity.is_empty()
    assert (signal.account.id, signal.account.domain) == ("acme", "acme.io")
    assert signal.traits["name"] == "Acme"


def test_alias_and_screen_and_personless_events() -> None:
    alias = _signal({"event": "$create_alias", "distinct_id": "anon-1", "timestamp": 1.7e9,
                     "properties": {"distinct_id": "anon-1", "alias": "u_1"}})  # fmt: skip
    assert (alias.type, alias.identity.user_id, alias.identity.previous_id) == (
        "alias", "u_1", "anon-1"
    )  # fmt: skip
    screen = _signal({"event": "$screen", "distinct_id": 42, "timestamp": 1.7e9,
                      "properties": {"$screen_name": "Settings"}})  # fmt: skip
    assert (screen.type, screen.name, screen.identity.user_id) == ("screen", "Settings", "42")
    personless = _signal({"event": "Ping", "distinct_id": "gen-1", "timestamp": 1.7e9,
                          "properties": {"$process_person_profile": False}})  # fmt: skip
    assert personless.identity.anonymous_id == "gen-1"


def test_times_and_ids_when_missing() -> None:
    event = {"event": "Ping", "distinct_id": "u_1"}
    sent = _signal(event, sent_at="2026-11-24T09:00:00Z")
    assert sent.occurred_at.isoformat() == "2026-11-24T09:00:00+00:00"
    received = _signal(event)
    assert received.occurred_at.isoformat() == "2026-12-02T10:00:00+00:00"
    # No uuid: a digest of the event, the same on a retry.
    assert received.event_id.startswith("posthog-")
    assert _signal(dict(event)).event_id == received.event_id


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ([1, 2], "expected a PostHog event object"),
        ({"distinct_id": "u"}, "event: required"),
        ({"event": "x"}, "distinct_id: required"),
        (
            {"event": "x", "distinct_id": "u", "properties": []},
            "properties: expected a JSON object",
        ),
        ({"event": "x", "distinct_id": "u", "timestamp": "yesterday"}, "timestamp: not an ISO"),
    ],
)
def test_what_cannot_be_mapped_says_why(event: object, reason: str) -> None:
    with pytest.raises(MappingError, match=reason):
        to_canonical(event, "product", None, RECEIVED)


def test_a_timestamp_sent_with_sent_at_is_corrected_for_the_clock_skew() -> None:
    # PostHog's rule: the sender's clock is 10 minutes slow (sent_at 09:50 arrives at
    # 10:00), so its 09:40 event happened at 09:50.
    event = {"event": "Ping", "distinct_id": "u_1", "timestamp": "2026-12-02T09:40:00Z"}
    signal = _signal(event, sent_at="2026-12-02T09:50:00Z")
    assert signal.occurred_at.isoformat() == "2026-12-02T09:50:00+00:00"
    # A retry sent later keeps the id (no uuid: the content id taken before the shift).
    retry = _signal(event, sent_at="2026-12-02T09:55:00Z")
    assert retry.event_id == signal.event_id
    assert retry.event_id.startswith("posthog-")
