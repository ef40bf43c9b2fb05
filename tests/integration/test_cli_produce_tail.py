"""``leadq produce`` and ``leadq tail`` against the real broker."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from cli.produce import produce
from cli.tail import tail
from streams.process import free_port
from streams.settings import Settings

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[1] / "unit" / "vendor_examples"
AT = "2026-11-24T08:00:00Z"


def segment(message_id: str, **identity: str) -> bytes:
    event = {"type": "track", "event": "Signed Up", "messageId": message_id, "timestamp": AT}
    return json.dumps({**event, **identity}).encode()


async def run_produce(settings: Settings, topic: str, data: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    # The command runs its own event loop: give it a thread of its own.
    code = await asyncio.to_thread(produce, settings, topic, data, "lead", "auto", out, err)
    return code, out.getvalue(), err.getvalue()


async def run_tail(
    settings: Settings, topic: str, max_messages: int | None = None, timeout: float | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """``leadq tail TOPIC --from-beginning`` with these stop conditions."""
    out = io.StringIO()
    code = await asyncio.to_thread(tail, settings, topic, True, max_messages, timeout, out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


async def test_documents_go_out_one_message_each_and_tail_reads_them(
    leadq_settings: Settings,
) -> None:
    settings = leadq_settings
    lines = [segment("m1", userId="ada"), segment("m2", anonymousId="v1"), b'{"type": ']
    code, out, err = await run_produce(settings, "web", b"\n".join(lines) + b"\n")
    assert code == 0
    assert out.startswith(f"produced 3 message(s) to {settings.topics.web} (partitions ")
    assert "2 keyed; 1 the worker will dead-letter" in out
    assert "line 3: document is not JSON" in err

    code, records = await run_tail(settings, "web", max_messages=3)
    assert code == 0
    by_id = {r["value"]["messageId"]: r for r in records if r["value_encoding"] == "json"}
    assert by_id["m1"]["key"] == "u:ada"
    assert by_id["m2"]["key"] == "a:v1"
    [bad] = [r for r in records if r["value_encoding"] == "utf-8"]
    assert (bad["key"], bad["value"]) == (None, '{"type": ')
    assert {r["topic"] for r in records} == {settings.topics.web}


async def test_a_vendor_array_is_one_message(leadq_settings: Settings) -> None:
    data = (EXAMPLES / "sendgrid_events.json").read_bytes()
    code, out, _ = await run_produce(leadq_settings, "email", data)
    assert (code, out.split(" (")[0]) == (
        0,
        f"produced 1 message(s) to {leadq_settings.topics.email}",
    )
    _, records = await run_tail(leadq_settings, "email", timeout=1.0)
    assert [r["value"] for r in records] == [json.loads(data)]


async def test_tail_stops_after_a_silence(leadq_settings: Settings) -> None:
    code, records = await run_tail(leadq_settings, "routing", timeout=0.5)
    assert (code, records) == (0, [])


async def test_an_unreachable_broker_or_missing_topic_is_exit_code_1(
    leadq_settings: Settings,
) -> None:
    nowhere = leadq_settings.with_changes(kafka_bootstrap=f"127.0.0.1:{free_port()}")
    code, out, err = await run_produce(nowhere, "web", segment("m1", userId="ada"))
    assert (code, out) == (1, "")
    assert "cannot reach Kafka at 127.0.0.1:" in err

    code, _, err = await run_produce(leadq_settings, "no.such.topic", segment("m1", userId="a"))
    assert code == 1
    assert "topic 'no.such.topic' does not exist" in err
