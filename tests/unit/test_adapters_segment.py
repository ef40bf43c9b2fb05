"""Segment and RudderStack spec messages → signals (examples from the public spec docs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadq.adapters import normalize
from schemas.signal import Signal

EXAMPLES = Path(__file__).parent / "vendor_examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def one_signal(document: object, **options: Any) -> Signal:
    result = normalize(document, **options)
    assert result.rejects == [], result.rejects
    [signal] = result.signals
    return signal


def reject_reason(document: object, **options: Any) -> str:
    result = normalize(document, **options)
    assert result.signals == []
    [reject] = result.rejects
    return reject.reason


def test_track() -> None:
    signal = one_signal(example("segment_track.json"))
    assert (signal.source, signal.channel, signal.type, signal.name) == (
        "segment", "web", "track", "Demo Requested",
    )  # fmt: skip
    assert signal.event_id == "ajs-next-1c7a3f8e4b2d9a6f5e0c"
    assert signal.occurred_at == datetime(2024, 5, 6, 10, 20, 16, 687000, tzinfo=UTC)
    assert signal.identity.user_id == "u_97980cfea0067"
    assert signal.identity.anonymous_id == "507f191e810c19729de860ea"
    assert signal.identity.email == "peter.gibbons@initrode.com"  # from context.traits
    assert signal.account.id == "acct_initrode"  # from context.groupId
    assert signal.properties == {"plan": "Enterprise", "seats": 250}
    assert signal.traits == {"email": "Peter.Gibbons@Initrode.com", "name": "Peter Gibbons"}


def test_page_merges_context_page_fields_missing_from_properties() -> None:
    signal = one_signal(example("segment_page.json"))
    assert (signal.type, signal.name, signal.channel) == ("page", "Integrations", "web")
    assert signal.properties == {
        "path": "/docs/integrations",
        "referrer": "https://initech.com/pricing",
        "search": "?utm_source=newsletter",
        "title": "Integrations (custom title)",  # the message's own value wins
        "url": "https://initech.com/docs/integrations?utm_source=newsletter",
        "category": "Docs",
    }


def test_page_without_a_name_has_an_empty_name() -> None:
    message = example("segment_page.json")
    del message["name"]
    assert one_signal(message).name == ""


def test_identify_uses_its_own_traits() -> None:
    signal = one_signal(example("segment_identify.json"))
    assert (signal.type, signal.name) == ("identify", "")
    assert signal.identity.email == "peter.gibbons@initrode.com"
    assert signal.traits["title"] == "VP Engineering"


def test_group_names_the_account_and_keeps_the_person_email_apart() -> None:
    signal = one_signal(example("segment_group.json"))
    assert signal.type == "group"
    assert signal.account.id == "acct_initrode"
    assert signal.account.domain == "initrode.com"  # from traits.website, www. dropped
    # traits.email on a group call is the company's address, not the person's.
    assert signal.identity.email == "peter.gibbons@initrode.com"
    assert signal.traits["industry"] == "Technology"


def test_group_domain_trait_wins_over_website() -> None:
    message = example("segment_group.json")
    message["traits"]["domain"] = "initrode.io"
    assert one_signal(message).account.domain == "initrode.io"


def test_screen_defaults_to_product_and_reads_millisecond_times() -> None:
    signal = one_signal(example("segment_screen.json"))
    assert (signal.channel, signal.type, signal.name) == ("product", "screen", "Dashboard")
    assert signal.occurred_at == datetime(2024, 5, 6, 10, 23, 0, 123000, tzinfo=UTC)


def test_alias_links_the_previous_id_and_naive_times_are_utc() -> None:
    signal = one_signal(example("segment_alias.json"))
    assert signal.type == "alias"
    assert signal.identity.previous_id == "507f191e810c19729de860ea"
    assert signal.identity.user_id == "u_97980cfea0067"
    assert signal.occurred_at == datetime(2024, 5, 6, 10, 19, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kept", "expected"),
    [
        (("timestamp", "originalTimestamp", "sentAt", "receivedAt"), "2024-05-06T10:00:01+00:00"),
        # Segment's clock-skew correction: receivedAt - (sentAt - originalTimestamp).
        (("originalTimestamp", "sentAt", "receivedAt"), "2024-05-06T10:00:03+00:00"),
        # sentAt corrected the same way is receivedAt itself.
        (("sentAt", "receivedAt"), "2024-05-06T10:00:04+00:00"),
        (("receivedAt",), "2024-05-06T10:00:04+00:00"),
        # Without both sentAt and receivedAt there is no skew to correct.
        (("originalTimestamp", "sentAt"), "2024-05-06T10:00:02+00:00"),
        (("originalTimestamp", "receivedAt"), "2024-05-06T10:00:02+00:00"),
        (("sentAt",), "2024-05-06T10:00:03+00:00"),
    ],
)
def test_event_time_falls_back_in_spec_order(kept: tuple[str, ...], expected: str) -> None:
    times: dict[str, object] = {
        "timestamp": "2024-05-06T10:00:01Z",
        "originalTimestamp": "2024-05-06T10:00:02Z",
        "sentAt": 1714989603,
        "receivedAt": 1714989604000,
    }
    message: dict[str, object] = {"type": "track", "event": "x", "userId": "u", "messageId": "m"}
    message.update({key: times[key] for key in kept})
    assert one_signal(message).occurred_at.isoformat() == expected


@pytest.mark.parametrize(
    ("message_type", "hint", "expected"),
    [
        ("track", None, "web"),
        ("page", None, "web"),
        ("screen", None, "product"),
        ("identify", None, "web"),
        ("track", "product", "product"),
        ("page", "product", "product"),
        ("screen", "web", "web"),
    ],
)
def test_the_channel_hint_wins(message_type: str, hint: str | None, expected: str) -> None:
    message = {
        "type": message_type,
        "event": "Feature Used",
        "userId": "u",
        "messageId": "m",
        "timestamp": "2024-05-06T10:00:00Z",
    }
    assert one_signal(message, channel=hint).channel == expected


def test_rudderstack_is_recognised_by_its_marks() -> None:
    signal = one_signal(example("rudderstack_track.json"))
    assert signal.source == "rudderstack"
    assert signal.identity.user_id is None  # "" means absent
    assert signal.identity.email == "milton@initech.com"
    assert signal.occurred_at == datetime(2024, 5, 6, 12, 0, 0, 125000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fmt", "source"), [("auto", "segment"), ("segment", "segment"), ("rudderstack", "rudderstack")]
)
def test_an_explicit_format_sets_the_source(fmt: str, source: str) -> None:
    assert one_signal(example("segment_track.json"), fmt=fmt).source == source


def test_batch_envelope_shares_context_and_sent_at_and_keeps_the_good_items() -> None:
    result = normalize(example("segment_batch.json"))
    assert [signal.event_id for signal in result.signals] == ["b-1", "b-2", "b-4"]
    assert all(signal.account.id == "acct_initrode" for signal in result.signals)
    pricing = result.signals[1]
    assert pricing.occurred_at == datetime(2024, 5, 6, 11, 0, 5, tzinfo=UTC)  # envelope sentAt
    [reject] = result.rejects
    assert (reject.index, reject.reason) == (2, "event: required but missing or empty")
    assert isinstance(reject.raw, dict)
    assert reject.raw["messageId"] == "b-3"


def test_a_plain_array_of_messages_is_a_batch() -> None:
    document = [example("segment_identify.json"), example("segment_track.json")]
    assert [signal.type for signal in normalize(document).signals] == ["identify", "track"]


def test_a_batch_that_is_not_an_array_is_refused_whole() -> None:
    [reject] = normalize({"batch": {"type": "track"}}).rejects
    assert (reject.index, reject.reason) == (None, "batch: expected an array of messages")


_BASE = {"type": "track", "event": "x", "userId": "u", "messageId": "m", "timestamp": 1714989600}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event": ""}, "event: required but missing or empty"),
        ({"type": "group"}, "groupId: required but missing or empty"),
        ({"type": "alias"}, "previousId: required but missing or empty"),
        ({"timestamp": None}, "no event time: set one of timestamp, originalTimestamp, sentAt"),
        ({"timestamp": "soon"}, "timestamp: not an ISO-8601 time or epoch number: 'soon'"),
        ({"userId": None}, "no identity: set userId, anonymousId or an email trait"),
        ({"userId": ["u"]}, "userId: expected a string, got an array"),
        ({"properties": [1]}, "properties: expected a JSON object, got an array"),
        ({"context": {"traits": {"email": "nope"}}}, "context.traits.email: not an email address"),
        ({"properties": {"email": "@x"}}, "properties.email: not an email address"),
    ],
)
def test_rejects_name_the_field(change: dict[str, object], reason: str) -> None:
    assert reason in reject_reason({**_BASE, **change}, fmt="segment")


def test_an_unknown_call_type_is_refused() -> None:
    reason = reject_reason({**_BASE, "type": "reset"}, fmt="segment")
    assert reason == (
        "type: expected one of alias, group, identify, page, screen, track, got 'reset'"
    )


def test_numeric_user_ids_are_accepted_as_strings() -> None:
    assert one_signal({**_BASE, "userId": 1043}).identity.user_id == "1043"


def test_unknown_vendor_fields_are_ignored() -> None:
    signal = one_signal({**_BASE, "integrations": {"All": False}, "writeKey": "k", "_metadata": {}})
    assert signal.name == "x"


# --- Messages as Segment's HTTP API docs show them: no messageId, sometimes no timestamp.
# segment_http_track_no_id.json: the Track example of
# https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/ (the
# type comes from the /v1/track path, so it is added here as the gateway adds it);
# segment_http_writekey.json: the writeKey authentication example of the same page.


def _as_track(name: str) -> dict[str, Any]:
    return {**example(name), "type": "track"}


def test_a_documented_message_without_message_id_gets_a_content_id() -> None:
    message = _as_track("segment_http_track_no_id.json")
    signal = one_signal(message)
    assert signal.event_id.startswith("sha256-")
    assert len(signal.event_id) == 7 + 32
    assert (signal.name, signal.identity.user_id) == ("Item Purchased", "019mr8mf4r")
    assert signal.occurred_at == datetime(2012, 12, 2, 0, 30, 12, 984000, tzinfo=UTC)


def test_a_retry_is_the_same_id_whatever_changes_on_retry() -> None:
    message = _as_track("segment_http_track_no_id.json")
    first = one_signal({**message, "sentAt": "2012-12-02T00:30:13Z"})
    retry = one_signal(
        {**message, "sentAt": "2012-12-02T00:31:00Z", "receivedAt": "2012-12-02T00:31:01Z"}
    )
    assert retry.event_id == first.event_id
    # Any other difference is another message.
    other = one_signal({**message, "properties": {"name": "Leap to 12.4", "revenue": 15}})
    assert other.event_id != first.event_id


def test_an_explicit_message_id_is_kept() -> None:
    message = {**_as_track("segment_http_track_no_id.json"), "messageId": "m-1"}
    assert one_signal(message).event_id == "m-1"


def test_without_any_time_the_record_time_is_the_event_time() -> None:
    message = _as_track("segment_http_writekey.json")
    record_time = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    signal = one_signal(message, received_at=record_time)
    assert signal.occurred_at == record_time
    assert signal.identity.user_id == "123"
    # The write key is a credential, not content: the id does not depend on it.
    without_key = {k: v for k, v in message.items() if k != "writeKey"}
    assert one_signal(without_key, received_at=record_time).event_id == signal.event_id
    # A time in the message wins over the record's.
    dated = {**message, "originalTimestamp": "2026-12-01T00:00:00Z"}
    assert one_signal(dated, received_at=record_time).occurred_at.day == 1


def test_without_any_time_nor_record_time_the_reason_lists_the_fields() -> None:
    reason = reject_reason(_as_track("segment_http_writekey.json"))
    assert reason == "no event time: set one of timestamp, originalTimestamp, sentAt, receivedAt"


def test_a_rudderstack_batch_without_ids_keeps_ids_apart() -> None:
    batch = {
        "batch": [
            {"type": "track", "event": "Signed Up", "userId": "u1", "rudderId": "r"},
            {"type": "track", "event": "Signed Up", "userId": "u2", "rudderId": "r"},
        ],
        "sentAt": "2026-12-03T09:00:00Z",
    }
    result = normalize(batch)
    assert result.rejects == []
    ids = [signal.event_id for signal in result.signals]
    assert len(set(ids)) == 2
    assert {signal.source for signal in result.signals} == {"rudderstack"}


def test_the_documented_message_with_a_top_level_email_and_a_time_is_segment() -> None:
    # Segment's writeKey example has "email" and "event" at the top; with a timestamp it
    # has every key SendGrid detection looks for, and stays a Segment track.
    message = {**_as_track("segment_http_writekey.json"), "timestamp": "2026-12-03T09:00:00Z"}
    signal = one_signal(message, channel="web")
    assert (signal.source, signal.identity.user_id) == ("segment", "123")
