"""The dead-letter record format: original bytes untouched, the reason in headers.

Contract: a dead-letter record has the *original* key and value bytes exactly as they
arrived, so it can be inspected or replayed as is, plus these UTF-8 headers:
``leadq.reason`` (why it was rejected), ``leadq.source.topic``, ``leadq.source.partition``
and ``leadq.source.offset`` (where it came from). Delivery: at least once.
"""

from __future__ import annotations

from collections.abc import Awaitable

from faust.types import EventT, TopicT
from faust.types.tuples import RecordMetadata

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
    dead_letter: TopicT, event: EventT[bytes], reason: str
) -> Awaitable[RecordMetadata]:
    """Send ``event``'s original bytes with ``reason``; returns the delivery future."""
    message = event.message
    headers = dead_letter_headers(reason, message.topic, message.partition, message.offset)
    return await dead_letter.send(key=message.key, value=message.value, headers=headers, force=True)
