"""Amplitude HTTP API v2 events → signals.

Examples (tests/unit/vendor_examples):
- amplitude_quickstart.json: the request body of Amplitude's HTTP API quickstart
  (https://amplitude.com/docs/apis/analytics/http-api-quickstart), verbatim;
- amplitude_full.json: modelled on the HTTP V2 reference's full event example
  (https://amplitude.com/docs/apis/analytics/http-v2): every field the reference lists,
  with its units (``time`` and ``session_id`` in ms, ``groups`` with an array value).
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadq.adapters import normalize
from tests.unit.vendor import example, signals

RECEIVED = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_the_quickstart_body() -> None:
    [signal] = signals(example("amplitude_quickstart.json"), received_at=RECEIVED)
    assert (signal.source, signal.channel, signal.type, signal.name) == (
        "amplitude", "product", "track", "watch_tutorial",
    )  # fmt: skip
    assert (signal.identity.user_id, signal.identity.anonymous_id) == (
        "203201202",
        "C8F9E604-F01A-4BD9-95C6-8E5357DF265D",
    )
    # No time: Amplitude uses its upload time, leadq the arrival (record) time.
    assert signal.occurred_at == RECEIVED
    # No insert_id: a digest without the api key, the same on a retry.
    assert signal.event_id.startswith("amplitude-")
    again = {**example("amplitude_quickstart.json"), "api_key": "other"}
    assert signals(again, received_at=RECEIVED)[0].event_id == signal.event_id


def test_the_full_event() -> None:
    [signal] = signals(example("amplitude_full.json"), channel="web")
    assert signal.event_id == "5f0adeff-6668-4427-8d02-57d803a2b841"  # insert_id
    assert signal.channel == "web"
    assert signal.occurred_at == datetime(2014, 4, 1, 19, 42, 58, 123000, tzinfo=UTC)
    assert signal.account.id == "1"  # groups.company_id (no company/organization/account)
    assert signal.traits == {
        "age": 25,
        "gender": "female",
        "interests": ["chess", "football", "music"],
    }
    assert signal.properties["load_time"] == 0.8371
    assert (signal.properties["platform"], signal.properties["country"]) == (
        "iOS",
        "United States",
    )
    assert signal.properties["session_id"] == 1396381378123


def test_identify_and_group_identify() -> None:
    identify = {"event_type": "$identify", "user_id": "u_1", "time": 1764494100000,
                "user_properties": {"$set": {"email": "Ada@Acme.io", "title": "CTO"},
                                    "$setOnce": {"title": "Engineer", "first": "2026"},
                                    "$add": {"logins": 1}}}  # fmt: skip
    [person] = signals(identify)
    assert (person.type, person.identity.email) == ("identify", "ada@acme.io")
    assert person.traits == {"title": "CTO", "first": "2026", "email": "Ada@Acme.io"}
    group = {"event_type": "$groupidentify", "time": 1764494100000,
             "groups": {"company": "acme"},
             "group_properties": {"$set": {"name": "Acme",
                                           "website": "https://acme.io/x"}}}  # fmt: skip
    [account] = signals(group)
    assert (account.type, account.account.id, account.account.domain) == (
        "group",
        "acme",
        "acme.io",
    )
    assert account.traits == {"name": "Acme", "website": "https://acme.io/x"}


def test_page_views_of_the_browser_sdk() -> None:
    page = {"event_type": "[Amplitude] Page Viewed", "device_id": "d1", "time": 1764494100000,
            "event_properties": {"[Amplitude] Page Title": "Pricing",
                                 "[Amplitude] Page Path": "/pricing",
                                 "[Amplitude] Page URL": "https://acme.io/pricing"}}  # fmt: skip
    [signal] = signals({"api_key": "k", "events": [page]})
    assert (signal.channel, signal.type, signal.name) == ("web", "page", "Pricing")
    assert signal.properties["path"] == "/pricing"


def test_what_cannot_be_mapped_says_why() -> None:
    cases = [
        ({"event_type": "x", "time": 1}, "no identity: set user_id or device_id"),
        ({"event_type": "", "user_id": "u"}, "event_type: required, the event's name"),
        ({"event_type": "x", "user_id": "u"}, "no event time: set time (epoch milliseconds)"),
        ({"event_type": "x", "user_id": "u", "time": "soon"},
         "time: not an ISO-8601 time or epoch number: 'soon'"),
    ]  # fmt: skip
    for event, reason in cases:
        assert normalize(event, fmt="amplitude").rejects[0].reason == reason
    bad_envelope = normalize({"api_key": "k", "events": {"user_id": "u"}})
    assert bad_envelope.rejects[0].reason == "events: expected an array of events"
