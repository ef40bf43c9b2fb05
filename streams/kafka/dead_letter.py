"""The dead-letter record format: original bytes untouched, the reason in headers.

Contract: a dead-letter record has the *original* key and value bytes exactly as they
arrived, so it can be inspected or replayed as is, plus these UTF-8 headers:
``leadq.reason`` (why it was rejected), ``leadq.source.topic``, ``leadq.source.partition``
and ``leadq.source.offset`` (where it came from). Delivery: at least once.
"""

from __future__ import annotations

from faust.types import Message

from streams.kafka.outlet import Outlet

REASON_HEADER = "leadq.reason"
#: Reasons longer than this are cut: headers are not the place for whole tracebacks.
MAX_REASON_CHARS = 1000


def dead_letter_headers(reason: str, topic: str, partition: int, offset: int) -> dict[str, bytes]:
    """The headers of a dead-letter record (see the module docstring)."""
    return {
        REASON_HEADER: reason[:MAX_REASON_CHARS].encode(),
        "leadq.source.topic": topic.encode(),
        "leadq.source.partition": str(partition).encode(),
        "leadq.source.offset": str(offset).encode(),
    }


async def send_dead_letter(
    dead_letter: Outlet, message: Message, reason: str, max_value_bytes: int | None = None
) -> None:
    """Send ``message``'s original bytes with ``reason``; returns once the broker has it.

    With ``max_value_bytes`` (the fallback when the broker refused the whole record), a
    longer value is cut to that size and headers ``leadq.truncated`` and
    ``leadq.original_size`` say so.
    """
    headers = dead_letter_headers(reason, message.topic, message.partition, message.offset)
    value = message.value or b""
    if max_value_bytes is not None and len(value) > max_value_bytes:
        headers |= {"leadq.truncated": b"true", "leadq.original_size": str(len(value)).encode()}
        value = value[:max_value_bytes]
    await dead_letter.send(message.key, value, list(headers.items()))
