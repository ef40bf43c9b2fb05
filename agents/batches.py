"""Running a batch so that no event is ever lost, whatever fails.

Faust's ``take_events`` acknowledges a batch in a ``finally``: an exception escaping
the agent's loop would commit events that were never processed. So nothing escapes:

- Redis unreachable: the store calls wait and retry inside (``Runtime.until_redis_answers``);
- Kafka errors (broker down, timeouts): the whole batch is retried with backoff; every
  step is idempotent, so a retry only produces duplicates consumers de-duplicate;
- anything else (a bug, or an input that trips one): the batch is re-run one event at a
  time and only the event that still fails goes to the dead-letter topic, with the error;
  a dead letter the broker refuses whole (too large) goes again with its value truncated
  (headers ``leadq.truncated``, ``leadq.original_size``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError
from faust.types import EventT, TopicT

from streams.dead_letter import send_dead_letter

log = logging.getLogger("leadq.worker")
#: A dead letter the broker refuses whole is sent again with its value cut to this size.
TRUNCATED_VALUE_BYTES = 64 * 1024
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
    """Process one event; if it still fails, dead-letter it with the error. Never raises."""
    message = event.message
    try:
        await _until_kafka_answers(lambda: handle([event]), what)
        return
    except Exception as error:
        log.exception(
            "%s failed on %s/%d@%d; dead-lettering it",
            what,
            message.topic,
            message.partition,
            message.offset,
        )
        reason = f"internal error while {what}: {type(error).__name__}: {error}"
    await dead_letter_safely(dead_letter, event, reason)


async def dead_letter_safely(dead_letter: TopicT, event: EventT[bytes], reason: str) -> None:
    """Dead-letter ``event`` and wait until the broker has it; never raises.

    Retriable Kafka errors are retried; a record the broker refuses whole (too large)
    goes again with its value truncated (headers ``leadq.truncated``,
    ``leadq.original_size``); if even that is refused, it is logged as critical.
    """
    for limit in (None, TRUNCATED_VALUE_BYTES):
        try:
            await _until_kafka_answers(
                partial(_dead_letter, dead_letter, event, reason, limit), "dead-lettering"
            )
            return
        except Exception:
            log.exception("dead letter refused (value limit %s)", limit)
    message = event.message
    log.critical(
        "could not dead-letter %s/%d@%d: %s",
        message.topic,
        message.partition,
        message.offset,
        reason,
    )


async def _dead_letter(
    dead_letter: TopicT, event: EventT[bytes], reason: str, max_value_bytes: int | None
) -> None:
    await (await send_dead_letter(dead_letter, event, reason, max_value_bytes))


def _retriable(error: BaseException) -> bool:
    """A Kafka error worth retrying, also when Faust wraps it in ProducerSendError."""
    if isinstance(error, ProducerSendError) and error.__cause__ is not None:
        error = error.__cause__
    return (
        isinstance(error, KafkaError)
        and bool(getattr(error, "retriable", True))
        and not isinstance(error, MessageSizeTooLargeError)
    )


async def _until_kafka_answers(call: Callable[[], Awaitable[object]], what: str) -> None:
    delay = 0.1
    while True:
        try:
            await call()
            return
        except (KafkaError, ProducerSendError) as error:
            if not _retriable(error):
                raise
            log.warning("Kafka error during %s (%s); retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
