"""Mixpanel ``/import`` and ``/track`` events → signals.

Examples (tests/unit/vendor_examples):
- mixpanel_import.json: the JSON request body of Mixpanel's Import Events reference
  (https://docs.mixpanel.com/reference/import-events), verbatim (time in ms);
- mixpanel_python_track.json: the event mixpanel-python's ``Mixpanel.track`` builds
  (``mixpanel/__init__.py``: token, distinct_id, time in seconds, $insert_id, mp_lib,
  $lib_version, then the caller's properties).
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadq.adapters import detect, normalize
from tests.unit.vendor import example, signals

RECEIVED = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_the_documented_import_body() -> None:
    document = example("mixpanel_import.json")
    assert [detect(item) for item in document] == ["mixpanel", "mixpanel"]
    signup, purchase = signals(document)
    assert (signup.source, signup.channel, signup.name) == ("mixpanel", "product", "Signup")
    assert signup.event_id == "29fc2962-6d9c-455d-95ad-95b84f09b9e4"
    assert signup.identity.user_id == "91304156-cafc-4673-a237-623d1129c801"
    assert signup.occurred_at == datetime(2021, 4, 18, 3, 27, 57, tzinfo=UTC)  # ms
    assert signup.properties == {"Referred by": "Friend", "URL": "mixpanel.com/signup"}
    assert (purchase.name, purchase.properties["Amount"]) == ("Purchase", 5.0)


def test_the_python_sdk_track_in_seconds() -> None:
    [signal] = signals(example("mixpanel_python_track.json"), channel="web")
    assert signal.occurred_at == datetime(2021, 4, 18, 3, 27, 57, tzinfo=UTC)  # seconds
    assert signal.event_id == "oEk2nSSOGSDEKbO6lnO4bB"
    assert "token" not in signal.properties
    assert signal.properties["mp_lib"] == "python"


def test_simplified_id_merge_ids_and_groups() -> None:
    event = {"event": "Viewed Report", "properties": {
        "time": 1764494100, "distinct_id": "$device:d-1", "$device_id": "d-1",
        "$user_id": "u-1", "$email": "Ada@Acme.io",
        "$groups": {"company": ["acme", "x"]}}}  # fmt: skip
    [signal] = signals(event)
    assert (signal.identity.user_id, signal.identity.anonymous_id) == ("u-1", "d-1")
    assert (signal.identity.email, signal.account.id) == ("ada@acme.io", "acme")
    anonymous = {"event": "Viewed", "properties": {"time": 1764494100,
                                                   "distinct_id": "$device:d-2"}}  # fmt: skip
    [visitor] = signals(anonymous)
    assert (visitor.identity.user_id, visitor.identity.anonymous_id) == (None, "d-2")


def test_identify_alias_page_view_and_missing_fields() -> None:
    identify = {"event": "$identify", "properties": {"time": 1764494100,
                "$identified_id": "u-1", "$anon_id": "d-1", "token": "t"}}  # fmt: skip
    [person] = signals(identify)
    assert (person.type, person.identity.user_id, person.identity.anonymous_id) == (
        "identify",
        "u-1",
        "d-1",
    )
    alias = {"event": "$create_alias", "properties": {"time": 1764494100,
             "distinct_id": "d-1", "alias": "u-1", "token": "t"}}  # fmt: skip
    [link] = signals(alias)
    assert (link.type, link.identity.user_id, link.identity.previous_id) == ("alias", "u-1", "d-1")
    page = {"event": "$mp_web_page_view", "properties": {"time": 1764494100, "distinct_id": "u",
            "current_page_title": "Pricing", "current_url_path": "/pricing",
            "token": "t"}}  # fmt: skip
    [view] = signals(page)
    assert (view.channel, view.type, view.name, view.properties["path"]) == (
        "web",
        "page",
        "Pricing",
        "/pricing",
    )
    no_time = {"event": "x", "properties": {"distinct_id": "u", "token": "t"}}
    assert signals(no_time, received_at=RECEIVED)[0].occurred_at == RECEIVED
    assert signals(no_time, received_at=RECEIVED)[0].event_id.startswith("mixpanel-")
    assert normalize(no_time).rejects[0].reason == "no event time: set properties.time"
    nobody = {"event": "x", "properties": {"time": 1, "token": "t"}}
    assert normalize(nobody).rejects[0].reason == (
        "no identity: set properties.distinct_id, $user_id or $device_id"
    )
