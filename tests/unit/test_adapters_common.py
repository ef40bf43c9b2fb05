"""Shared adapter behaviour: event times, format detection, the normalize entry points."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadq import adapters
from leadq.adapters import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    Reject,
    detect,
    normalize,
    normalize_bytes,
)
from leadq.adapters._common import AdapterError, event_time

EXAMPLES = Path(__file__).parent / "vendor_examples"
MAY_6 = datetime(2024, 5, 6, 10, 20, 16, tzinfo=UTC)


def example(name: str) -> object:
    return json.loads((EXAMPLES / name).read_text())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1714990816, MAY_6),  # epoch seconds
        (1714990816.5, MAY_6.replace(microsecond=500000)),  # fractional seconds (Mailgun)
        (1714990816500, MAY_6.replace(microsecond=500000)),  # epoch milliseconds
        ("1714990816", MAY_6),  # numeric string
        ("1714990816500", MAY_6.replace(microsecond=500000)),  # numeric string, ms
        ("2024-05-06T10:20:16Z", MAY_6),  # ISO, Z
        ("2024-05-06T12:20:16+02:00", MAY_6),  # ISO with offset
        ("2024-05-06T10:20:16", MAY_6),  # naive ISO is UTC
        ("2024-05-06 10:20:16", MAY_6),  # space separator
        ("2024-05-06T06:20:16.0000000-04:00", MAY_6),  # Postmark's 7 fraction digits
        (" 2024-05-06T10:20:16Z ", MAY_6),  # surrounding blanks
    ],
)
def test_event_time_accepts_seconds_milliseconds_and_iso(value: object, expected: datetime) -> None:
    parsed = event_time(value, "timestamp")
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_the_seconds_millisecond_boundary_is_1e11() -> None:
    assert event_time(99_999_999_999, "t").year == 5138  # seconds, far future but valid
    assert event_time(100_000_000_001, "t").year == 1973  # milliseconds


@pytest.mark.parametrize(
    "value", [True, None, [], {}, "yesterday", "", -5, float("nan"), 10**20, "2024-13-01"]
)
def test_event_time_rejects_what_is_not_a_time(value: object) -> None:
    with pytest.raises(AdapterError, match=r"^timestamp: "):
        event_time(value, "timestamp")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"schema_version": 1, "channel": "web", "event_id": "x", "type": "track"}, "leadq"),
        ({"signature": {}, "event-data": {}}, "mailgun"),
        ({"RecordType": "Open"}, "postmark"),
        ({"sg_event_id": "x"}, "sendgrid"),
        ({"event": "open", "email": "a@b.com", "timestamp": 1}, "sendgrid"),
        ({"type": "track", "event": "x"}, "segment"),
        ({"type": "page", "rudderId": "r"}, "rudderstack"),
        ({"type": "page", "context": {"library": {"name": "RudderLabs JavaScript SDK"}}},
         "rudderstack"),
        ({"type": "bounce", "email": "a@b.com"}, None),  # SendGrid-ish but not enough
        ({"hello": "world"}, None),
        ({"type": ["track"], "event": "x"}, None),  # not a string: no crash either
        ({"type": {"page": 1}}, None),
        ([{"type": "track"}], None),
        ("track", None),
        (None, None),
    ],
)  # fmt: skip
def test_detection_rules(item: object, expected: str | None) -> None:
    assert detect(item) == expected


def test_formats_list_every_accepted_value() -> None:
    assert FORMATS == (
        "auto", "segment", "rudderstack", "sendgrid", "mailgun", "postmark", "posthog",
        "amplitude", "mixpanel", "leadq",
    )  # fmt: skip


def test_an_unknown_format_is_rejected_with_a_hint() -> None:
    result = normalize({"hello": "world"})
    assert result.signals == []
    [reject] = result.rejects
    assert reject.index == 0
    assert reject.raw == {"hello": "world"}
    assert reject.reason.startswith("unknown event format (got an object with hello)")
    assert "RecordType" in reject.reason
    assert "sg_event_id" in reject.reason


def test_a_mixed_array_is_detected_item_by_item() -> None:
    document = [
        example("postmark_open.json"),
        example("mailgun_clicked.json"),
        {"what": "is this"},
        example("segment_identify.json"),
    ]
    result = normalize(document)
    assert [signal.source for signal in result.signals] == ["postmark", "mailgun", "segment"]
    assert [reject.index for reject in result.rejects] == [2]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "document is not JSON"),
        (b"{not json", "document is not JSON"),
        (b'{"a": "\xff\xfe"}', "document is not UTF-8 text"),
        (b"x" * (DEFAULT_MAX_BYTES + 1), f"over the limit of {DEFAULT_MAX_BYTES} bytes"),
        ("a str, not bytes", "expected raw bytes, got str"),
        (None, "expected raw bytes, got NoneType"),
    ],
)
def test_normalize_bytes_refuses_bad_documents_without_raising(raw: object, reason: str) -> None:
    result = normalize_bytes(raw)  # type: ignore[arg-type]  # wrong types on purpose
    assert result.signals == []
    [reject] = result.rejects
    assert reject == Reject(None, reject.reason, raw)
    assert reason in reject.reason


def test_normalize_bytes_size_limit_is_a_parameter() -> None:
    raw = json.dumps(example("postmark_open.json")).encode()
    assert normalize_bytes(raw, max_bytes=100).rejects[0].reason.startswith("document is ")
    assert len(normalize_bytes(raw, max_bytes=len(raw)).signals) == 1


@pytest.mark.parametrize("document", [42, "text", None, True, [1, "two"]])
def test_json_of_the_wrong_type_is_rejected_per_item(document: object) -> None:
    result = normalize_bytes(json.dumps(document).encode())
    assert result.signals == []
    assert result.rejects
    assert all(reject.reason.startswith("unknown event format") for reject in result.rejects)


@pytest.mark.parametrize("raw", [b'{"type": [], "messageId": "m"}', b'[{"type": {}}]'])
def test_an_unhashable_type_is_an_unknown_format_not_a_crash(raw: bytes) -> None:
    [reject] = normalize_bytes(raw, channel="web").rejects
    assert reject.reason.startswith("unknown event format (got an object with type")


def test_an_empty_array_is_nothing_to_do() -> None:
    result = normalize_bytes(b"[]")
    assert (result.signals, result.rejects) == ([], [])


def test_explicit_format_skips_detection_and_reports_its_own_problems() -> None:
    result = normalize({"hello": "world"}, fmt="sendgrid")
    assert result.rejects[0].reason == "event: required but missing or empty"


@pytest.mark.parametrize(("fmt", "channel"), [("avro", None), ("auto", "sms")])
def test_programming_errors_raise(fmt: str, channel: str | None) -> None:
    with pytest.raises(ValueError, match="unknown"):
        normalize({}, fmt=fmt, channel=channel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "channel", "reason"),
    [
        ("sendgrid_events.json", "web", "sendgrid events belong on the email channel"),
        ("mailgun_clicked.json", "product", "mailgun events belong on the email channel"),
        ("postmark_open.json", "crm", "postmark events belong on the email channel"),
        ("segment_track.json", "email", "segment messages belong on the web or product"),
        ("leadq_events.json", "crm", "the event says 'web' but it arrived on 'crm'"),
    ],
)
def test_items_that_cannot_belong_to_the_channel_are_rejected(
    name: str, channel: str, reason: str
) -> None:
    result = normalize(example(name), channel=channel)  # type: ignore[arg-type]
    assert result.rejects
    assert reason in result.rejects[0].reason


def test_validation_errors_become_reasons_with_field_paths() -> None:
    event = {
        "schema_version": 1,
        "channel": "email",
        "event_id": "e1",
        "name": "opened",
        "occurred_at": "2024-01-01T00:00:00",
        "identity": {"email": "a@b.com"},
    }
    [reject] = normalize(event).rejects
    assert "email.name: Input should be 'delivered'" in reject.reason
    assert "email.occurred_at: Input should have timezone info" in reject.reason


def test_an_adapter_bug_becomes_a_reject_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(item: object, channel: object, received_at: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(adapters._CONVERTERS, "postmark", broken)
    good = example("mailgun_clicked.json")
    result = normalize([example("postmark_open.json"), good])
    assert [signal.source for signal in result.signals] == ["mailgun"]
    assert result.rejects[0].reason == "could not convert the item: RuntimeError: boom"


def test_rejects_in_an_envelope_carry_the_message_as_sent() -> None:
    document = example("segment_batch.json")
    assert isinstance(document, dict)
    [reject] = normalize(document).rejects
    assert reject.raw == document["batch"][2]
