"""Running a batch so that no event is ever lost, whatever fails.

A batch lane (``streams.kafka.lanes``) acks a batch once its handler returns, and crashes the
worker if the handler raises. Neither may happen for a batch that was only partly
processed, and a bad input must not stop the worker, so nothing escapes:

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
from faust.types import Message

from agents.runtime import WorkerStopping
from streams.kafka.dead_letter import send_dead_letter
from streams.kafka.outlet import Outlet
from streams.logs import redact
from streams.metrics import DEAD_LETTERS

log = logging.getLogger("leadq.worker")
#: A dead letter the broker refuses whole is sent again with its value cut to this size.
TRUNCATED_VALUE_BYTES = 64 * 1024
Handler = Callable[[Sequence[Message]], Awaitable[object]]
#: Whether the worker is stopping (``app.should_stop``): retries give up then.
Stopping = Callable[[], bool]


async def run_safely(
    messages: Sequence[Message],
    handle: Handler,
    dead_letter: Outlet,
    what: str,
    stopping: Stopping = lambda: False,
) -> None:
    """Run ``handle`` on ``messages`` until every one is processed or dead-lettered.

    ``WorkerStopping`` (the worker stops while a server is down) passes through: the
    batch is then neither processed nor dead-lettered, and is read again later."""
    try:
        await _until_kafka_answers(lambda: handle(messages), what, stopping)
        return
    except Exception:
        log.exception(
            "%s failed on a batch of %d; isolating the failing message", what, len(messages)
        )
    for message in messages:
        await _one(message, handle, dead_letter, what)


async def _one(message: Message, handle: Handler, dead_letter: Outlet, what: str) -> None:
    """Process one message; if it still fails, dead-letter it with the error. Never raises."""
    try:
        await _until_kafka_answers(lambda: handle([message]), what)
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
    await dead_letter_safely(dead_letter, message, reason, "internal_error")


async def dead_letter_safely(
    dead_letter: Outlet, message: Message, reason: str, category: str
) -> None:
    """Dead-letter ``message`` and wait until the broker has it; never raises.

    Counted under ``category`` (one of ``streams.metrics.DEAD_LETTER_REASONS``) and
    logged at info with its source coordinates and the reason, email addresses
    replaced by their hash (``streams.logs.redact``): no payload, no personal data.

    Retriable Kafka errors are retried; a record the broker refuses whole (too large)
    goes again with its value truncated (headers ``leadq.truncated``,
    ``leadq.original_size``); if even that is refused, it is logged as critical.
    """
    for limit in (None, TRUNCATED_VALUE_BYTES):
        try:
            await _until_kafka_answers(
                partial(send_dead_letter, dead_letter, message, reason, limit), "dead-lettering"
            )
            _log_dead_letter(message, reason, category)
            return
        except Exception:
            log.exception("dead letter refused (value limit %s)", limit)
    log.critical(
        "could not dead-letter %s/%d@%d: %s",
        message.topic,
        message.partition,
        message.offset,
        redact(reason),
    )


def _log_dead_letter(message: Message, reason: str, category: str) -> None:
    DEAD_LETTERS.labels(category).inc()
    safe_reason = redact(reason)
    log.info(
        "dead letter %s/%d@%d (%s): %s",
        message.topic,
        message.partition,
        message.offset,
        category,
        safe_reason,
        extra={
            "event": "dead_letter",
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "category": category,
            "reason": safe_reason,
        },
    )


def _retriable(error: BaseException) -> bool:
    """A Kafka error worth retrying, also when Faust wraps it in ProducerSendError."""
    if isinstance(error, ProducerSendError) and error.__cause__ is not None:
        error = error.__cause__
    return (
        isinstance(error, KafkaError)
        and bool(getattr(error, "retriable", True))
        and not isinstance(error, MessageSizeTooLargeError)
    )


async def _until_kafka_answers(
    call: Callable[[], Awaitable[object]], what: str, stopping: Stopping = lambda: False
) -> None:
    delay = 0.1
    while True:
        try:
            await call()
            return
        except (KafkaError, ProducerSendError) as error:
            if not _retriable(error):
                raise
            if stopping():
                raise WorkerStopping(f"{what}: the broker failed while stopping") from error
            log.warning("Kafka error during %s (%s); retrying in %.1fs", what, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
