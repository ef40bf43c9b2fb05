"""Kafka administration the project needs: wait for a broker, create topics up front.

Contract: :func:`ensure_topics` leaves every named topic present with exactly the wanted
partition count or raises :class:`TopicMismatchError`; it never deletes or alters an
existing topic (the dev broker cannot add partitions, so counts are fixed at creation).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.kafka.security import client_options
from streams.settings import KafkaSecurity

#: No authentication, no TLS: the dev broker's and the default.
PLAINTEXT = KafkaSecurity()

#: Kafka error code for "topic already exists"; anything else non-zero is a failure.
_TOPIC_ALREADY_EXISTS = 36


class TopicMismatchError(RuntimeError):
    """A topic exists with another partition count, or could not be created."""


def _admin(bootstrap: str, timeout_s: float, security: KafkaSecurity) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(timeout_s * 1000),
        **client_options(security),
    )


async def describe_partitions(
    bootstrap: str, topics: Iterable[str], security: KafkaSecurity = PLAINTEXT
) -> dict[str, int]:
    """Partition count of each existing topic among ``topics`` (missing ones are absent)."""
    names = set(topics)
    admin = _admin(bootstrap, 10.0, security)
    await admin.start()
    try:
        # All topics, not the named ones: a metadata request naming a missing topic
        # auto-creates it with the broker's default partition count.
        described: list[dict[str, Any]] = await admin.describe_topics(None)
    finally:
        await admin.close()
    return {
        t["topic"]: len(t["partitions"])
        for t in described
        if t["error_code"] == 0 and t["topic"] in names
    }


async def wait_for_kafka(
    bootstrap: str,
    deadline_s: float,
    alive: Callable[[], bool] = lambda: True,
    security: KafkaSecurity = PLAINTEXT,
) -> None:
    """Return once a metadata request to ``bootstrap`` succeeds; raise TimeoutError after
    ``deadline_s`` seconds, or as soon as ``alive()`` turns false, with the last error.

    aiokafka's own log lines are held back meanwhile (it logs every failed attempt as an
    error); the last one, which names the cause (a refused SASL mechanism, a TLS
    failure), is added to the TimeoutError's message instead."""
    give_up = time.monotonic() + deadline_s
    with _aiokafka_log_held() as held:
        while True:
            admin = _admin(bootstrap, 2.0, security)
            # Probe TCP first: aiokafka logs every refused connection as an error.
            try:
                await _probe_tcp(bootstrap)
                await admin.start()
                await admin.describe_cluster()
                return
            except Exception as exc:
                if time.monotonic() > give_up or not alive():
                    said = f"; aiokafka: {held[-1]}" if held else ""
                    raise TimeoutError(
                        f"Kafka at {bootstrap} did not answer: {exc!r}{said}"
                    ) from exc
                await asyncio.sleep(0.05)
            finally:
                await admin.close()


@contextmanager
def _aiokafka_log_held() -> Iterator[list[str]]:
    """aiokafka's log records of the block, as messages, instead of on stderr."""
    held: list[str] = []
    logger = logging.getLogger("aiokafka")

    class Hold(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            held.append(record.getMessage())

    handler, propagate = Hold(logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield held
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


async def _probe_tcp(bootstrap: str) -> None:
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2.0)
    writer.close()
    await writer.wait_closed()


async def ensure_topics(
    bootstrap: str, wanted: Mapping[str, int], security: KafkaSecurity = PLAINTEXT
) -> None:
    """Create the missing topics of ``wanted`` (name -> partitions), then verify all."""
    existing = await describe_partitions(bootstrap, wanted, security)
    missing = [name for name in wanted if name not in existing]
    if missing:
        await _create(bootstrap, {name: wanted[name] for name in missing}, security)
        existing = await describe_partitions(bootstrap, wanted, security)
    wrong = {n: existing.get(n) for n, count in wanted.items() if existing.get(n) != count}
    if wrong:
        raise TopicMismatchError(
            f"topics with unexpected partition counts: {wrong} (wanted {dict(wanted)})"
        )


async def _create(bootstrap: str, topics: Mapping[str, int], security: KafkaSecurity) -> None:
    admin = _admin(bootstrap, 10.0, security)
    await admin.start()
    try:
        new = [NewTopic(name, count, replication_factor=1) for name, count in topics.items()]
        response = await admin.create_topics(new)
    finally:
        await admin.close()
    for name, code, *_ in response.topic_errors:
        if code not in (0, _TOPIC_ALREADY_EXISTS):
            raise TopicMismatchError(f"could not create topic {name!r}: error code {code}")
