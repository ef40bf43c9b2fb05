"""``leadq tail TOPIC``: print a topic's messages as JSON lines.

One line per message: ``{"topic", "partition", "offset", "key", "headers", "value",
"value_encoding"}``. ``value`` is the parsed JSON when the bytes are JSON
(``value_encoding: "json"``), else the UTF-8 text (``"utf-8"``), else base64
(``"base64"``); a null value is ``null`` with ``"none"``. Keys and header values are
shown as UTF-8 text (undecodable bytes as ``\\x..`` escapes).

Reads every partition outside any consumer group (commits nothing, disturbs no worker),
from the end (new messages only) or with ``--from-beginning`` from the start. Stops
after ``--max`` messages, after ``--timeout`` seconds without a message, or on Ctrl-C
(exit 0); exits 1 with a message if the broker is unreachable or the topic missing.
Messages of one partition appear in order; partitions interleave.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import time
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Protocol

import orjson

from cli.topics import BrokerError, resolve_topic, topic_partitions

if TYPE_CHECKING:
    from streams.settings import KafkaSecurity, Settings

#: How long one poll waits for data; bounds how late ``--timeout`` is noticed.
POLL_MS = 200


class Consumed(Protocol):
    """What tail needs of a consumed record (aiokafka's ``ConsumerRecord`` has it)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


def register(subparsers: Any) -> None:
    """Add the ``tail`` sub-command to the ``leadq`` parser."""
    parser = subparsers.add_parser("tail", help="print a topic's messages as JSON lines")
    parser.add_argument("topic", help="topic name, or web/email/product/crm/signals/routing/…")
    parser.add_argument("--from-beginning", action="store_true", help="start at the oldest message")
    parser.add_argument("--max", type=int, metavar="N", help="stop after N messages")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="stop after S seconds without a message"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Tail until a stop condition or Ctrl-C; the exit code says whether it could start."""
    from streams.settings import get_settings

    try:
        return tail(get_settings(), args.topic, args.from_beginning, args.max, args.timeout)
    except BrokenPipeError:
        # The reader went away (``leadq tail … | head``): stop quietly, like other tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def tail(
    settings: Settings,
    topic_name: str,
    from_beginning: bool = False,
    max_messages: int | None = None,
    idle_timeout_s: float | None = None,
    out: IO[str] = sys.stdout,
    err: IO[str] = sys.stderr,
) -> int:
    """The command's work on explicit settings and streams (what ``run`` wires up)."""
    topic = resolve_topic(topic_name, settings.topics)
    follow = follow_topic(
        settings.kafka_bootstrap,
        topic,
        from_beginning,
        max_messages,
        idle_timeout_s,
        out,
        settings.kafka,
    )
    try:
        asyncio.run(follow)
    except BrokerError as error:
        err.write(f"leadq tail: {error}\n")
        return 1
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop an open-ended tail
    return 0


async def follow_topic(
    bootstrap: str,
    topic: str,
    from_beginning: bool,
    max_messages: int | None,
    idle_timeout_s: float | None,
    out: IO[str],
    security: KafkaSecurity | None = None,
) -> int:
    """Print ``topic``'s messages to ``out`` until a stop condition; returns the count."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    from streams.kafka.security import client_options

    count = await topic_partitions(bootstrap, topic, security)
    partitions = [TopicPartition(topic, p) for p in range(count)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        **(client_options(security) if security else {}),
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        seek = consumer.seek_to_beginning if from_beginning else consumer.seek_to_end
        await seek(*partitions)
        return await _print_until_done(consumer, max_messages, idle_timeout_s, out)
    finally:
        await consumer.stop()


async def _print_until_done(
    consumer: Any, max_messages: int | None, idle_timeout_s: float | None, out: IO[str]
) -> int:
    printed, last_seen = 0, time.monotonic()
    while max_messages is None or printed < max_messages:
        limit = None if max_messages is None else max_messages - printed
        batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=limit)
        records = [record for batch in batches.values() for record in batch]
        for record in records:
            out.write(orjson.dumps(record_json(record)).decode() + "\n")
        out.flush()
        printed += len(records)
        if records:
            last_seen = time.monotonic()
        elif idle_timeout_s is not None and time.monotonic() - last_seen >= idle_timeout_s:
            break
    return printed


def record_json(record: Consumed) -> dict[str, object]:
    """The JSON object printed for ``record`` (see the module docstring)."""
    value, encoding = decode_value(record.value)
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": _text(record.key),
        "headers": {name: _text(raw) for name, raw in record.headers or ()},
        "value": value,
        "value_encoding": encoding,
    }


def decode_value(value: bytes | None) -> tuple[object, str]:
    """(value, encoding): parsed JSON, else UTF-8 text, else base64; ``none`` for null."""
    if value is None:
        return None, "none"
    try:
        return orjson.loads(value), "json"
    except orjson.JSONDecodeError:
        pass
    try:
        return value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(value).decode("ascii"), "base64"


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else bytes(raw).decode("utf-8", "backslashreplace")
