"""``leadq produce`` without a broker: topic names, one message per document, keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.produce import Message, plan_messages, summary
from cli.topics import channel_of, resolve_topic
from streams.settings import TopicNames

EXAMPLES = Path(__file__).parent / "vendor_examples"
AT = "2026-11-24T08:00:00Z"
NAMES = TopicNames(web="acme.web", dead_letter="acme.dlq")


def lines(*documents: object) -> bytes:
    return b"".join(json.dumps(d).encode() + b"\n" for d in documents)


def track(**identity: str) -> dict[str, object]:
    return {"type": "track", "event": "Signed Up", "messageId": "m1", "timestamp": AT, **identity}


@pytest.mark.parametrize(
    ("name", "topic"),
    [
        ("web", "acme.web"),
        ("email", "leadq.events.email"),
        ("dead-letter", "acme.dlq"),
        ("routing", "leadq.routing"),
        ("my.own.topic", "my.own.topic"),
    ],
)
def test_short_names_map_through_the_settings(name: str, topic: str) -> None:
    assert resolve_topic(name, NAMES) == topic


def test_only_inbound_topics_have_a_channel() -> None:
    assert channel_of("acme.web", NAMES) == "web"
    assert channel_of("leadq.events.crm", NAMES) == "crm"
    assert channel_of("leadq.routing", NAMES) is None


@pytest.mark.parametrize(
    ("identity", "key"),
    [
        ({"userId": "42", "anonymousId": "anon-1"}, b"u:42"),
        (
            {"anonymousId": "anon-1", "context": {"traits": {"email": "ann@acme.io"}}},
            b"e:ann@acme.io",
        ),
        ({"anonymousId": "anon-1"}, b"a:anon-1"),
    ],
)
def test_the_key_is_the_most_preferred_identity(identity: dict[str, str], key: bytes) -> None:
    [message] = plan_messages(lines(track(**identity)), "lead")
    assert message.key == key


def test_each_json_line_is_one_message_with_its_exact_bytes() -> None:
    data = b'{"type": "page", "anonymousId": "a1", "messageId": "p1", "timestamp": 1}\n\n' + lines(
        track(userId="7")
    )
    messages = plan_messages(data, "lead", channel="web")
    assert [m.value for m in messages] == [line for line in data.splitlines() if line]
    assert [m.label for m in messages] == ["line 1", "line 3"]


def test_a_vendor_array_is_one_message_keyed_by_its_first_person() -> None:
    data = (EXAMPLES / "sendgrid_events.json").read_bytes()
    [message] = plan_messages(data, "lead", channel="email")
    first_email = json.loads(data)[0]["email"].lower()
    assert message.value == data
    assert message.key == f"e:{first_email}".encode()
    assert message.problem is None


def test_a_segment_batch_envelope_is_one_message() -> None:
    data = (EXAMPLES / "segment_batch.json").read_bytes()
    assert len(plan_messages(data, "lead")) == 1


def test_key_by_none_sends_no_keys() -> None:
    messages = plan_messages(lines(track(userId="1"), track(userId="2")), "none")
    assert [m.key for m in messages] == [None, None]


def test_documents_naming_nobody_are_sent_unkeyed() -> None:
    group = {"type": "group", "groupId": "acme", "messageId": "g1", "timestamp": AT}
    malformed = b'{"type": "track", "userId": \n'
    messages = plan_messages(lines(group) + malformed, "lead", channel="web")
    assert [m.key for m in messages] == [None, None]
    assert messages[0].problem is None
    assert messages[1].problem is not None
    assert "not JSON" in messages[1].problem


def test_problems_are_reported_for_inbound_topics_only() -> None:
    sendgrid = (EXAMPLES / "sendgrid_events.json").read_bytes()
    [on_web] = plan_messages(sendgrid, "lead", channel="web")
    [elsewhere] = plan_messages(sendgrid, "lead", channel=None)
    assert on_web.problem is not None
    assert "item 0: " in on_web.problem
    assert elsewhere.problem is None


def test_summary_counts_messages_partitions_keys_and_problems() -> None:
    messages = [
        Message("line 1", b"u:1", b"{}", None),
        Message("line 2", None, b"x", "document is not JSON"),
    ]
    assert summary("leadq.events.web", messages, [3, 1]) == (
        "produced 2 message(s) to leadq.events.web "
        "(partitions 1, 3; 1 keyed; 1 the worker will dead-letter)"
    )


def test_a_message_without_any_time_is_no_problem_the_record_time_is_its_time() -> None:
    data = b'{"type": "track", "event": "Signed Up", "userId": "u1"}\n'
    [message] = plan_messages(data, "lead", channel="web")
    assert (message.key, message.problem) == (b"u:u1", None)
