"""``leadq tail`` output without a broker: one JSON object per record."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from cli.tail import decode_value, record_json


@pytest.mark.parametrize(
    ("raw", "value", "encoding"),
    [
        (b'{"a": [1, 2]}', {"a": [1, 2]}, "json"),
        (b"42", 42, "json"),
        (b'{"type": "track", "userId": ', '{"type": "track", "userId": ', "utf-8"),
        (b"\xff\xfe\x00", base64.b64encode(b"\xff\xfe\x00").decode(), "base64"),
        (None, None, "none"),
    ],
)
def test_values_are_json_text_or_base64(raw: bytes | None, value: object, encoding: str) -> None:
    assert decode_value(raw) == (value, encoding)


def test_a_record_becomes_one_json_object() -> None:
    record = SimpleNamespace(
        topic="leadq.dead-letter",
        partition=2,
        offset=17,
        key=b"u:ada",
        value=b"{not json",
        headers=[("leadq.reason", b"document is not JSON"), ("raw", b"\xff")],
    )
    assert record_json(record) == {
        "topic": "leadq.dead-letter",
        "partition": 2,
        "offset": 17,
        "key": "u:ada",
        "headers": {"leadq.reason": "document is not JSON", "raw": "\\xff"},
        "value": "{not json",
        "value_encoding": "utf-8",
    }


def test_a_record_without_key_or_headers() -> None:
    record = SimpleNamespace(topic="t", partition=0, offset=0, key=None, value=b"{}", headers=())
    shown = record_json(record)
    assert shown["key"] is None
    assert shown["headers"] == {}
    assert shown["value"] == {}
