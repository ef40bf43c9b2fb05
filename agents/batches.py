"""Running a batch so that no event is ever lost, whatever fails.

Faust's ``take_events`` acknowledges a batch in a ``finally``: an exception escaping
the agent's loop would commit events that were never processed. So nothing escapes:

- Redis unreachable: the store calls wait and retry inside (``Runtime.until_redis_answers``);
- Kafka errors (broker down, timeouts): the whole batch is retried with backoff; every
  step is idempotent, so a retry only produces duplicates consumers de-duplicate;
- anything else (a bug, or an input that trips one): the batch is re-run one event at a
  time and only the event that still fails goes to the dead-letter topic, with the error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka.errors import KafkaError
from faust.types import EventT, TopicT

from streams.dead_letter import send_dead_letter

log = logging.getLogger("leadq.worker")
Handler = Callable[[Sequence[EventT[bytes]]], Awaitable[object]]


async def run_safely(
    events: Sequence[EventT[bytes]], handle: Handler, dead_letter: TopicT, what: str
) -> None:
    """Run ``handle`` on ``events`` until every event is processed or dead-lettered."""
    try:
        await _until_kafka_answers(lambda: handle(events), what)
        return
    except Exception:
        log.exception("%s failed on a batch of %d; isolating the failing event", what, len(events))
    for event in events:
        await _one(event, handle, dead_letter, what)


async def _one(event: EventT[bytes], handle: Handler, dead_letter: TopicT, what: str) -> None:
    """Process one event; if it still fails, dead-letter it with the error."""
    message = event.message
    try:
        await _until_kafka_answers(lambda: handle([event]), what)
    except Exception as error:
        log.exception(
            "%s failed on %s/%d@%d; dead-lettering it",
            what,
            message.topic,
            message.partition,
            message.offset,
        )
        reason = f"internal error while {what}: {type(error).__name__}: {error}"
        await _until_kafka_answers(
            lambda: _dead_letter(dead_letter, event, reason), "dead-lettering"
        )


async def _dead_letter(dead_letter: TopicT, event: EventT[bytes], reason: str) -> None:
    await (await send_dead_letter(dead_letter, event, reason))


async def _until_kafka_answers(call: Callable[[], Awaitable[object]], what: str) -> None:
    delay = 0.1
    while True:
        try:
            await call()
            return
        except KafkaError as error:
            log.warning("Kafka error during %s (%s); retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
