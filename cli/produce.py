"""``leadq produce TOPIC FILE``: send event documents to a Kafka topic, one message each.

FILE (``-`` for stdin) is one JSON document (an object, a vendor array such as a
SendGrid webhook body, a Segment ``{"batch": [...]}`` envelope; possibly pretty-printed)
or JSON lines; each document becomes one message with its bytes unchanged, exactly as a
webhook relay would send it. Lines that are not JSON are sent too (the worker
dead-letters them), with a warning.

Key (``--key-by lead``, the default): the most preferred identity of the first signal
that names a person, after normalizing (user id ``u:…``, then email ``e:…``, then
anonymous id ``a:…``), so one person's events share a partition; no key when the
document names nobody (an account-only ``group`` call, a malformed line).
``--key-by none`` sends every message without a key.

Prints one summary line (count, topic, partitions hit) and exits 0; exits 1 with a
message if the broker is unreachable or the topic does not exist. The broker is
``LEADQ_KAFKA_BOOTSTRAP``; TOPIC is a name or one of the short names web, email,
product, crm, signals, routing, dead-letter (mapped through ``LEADQ_TOPICS__*``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cli.inputs import iter_documents
from cli.topics import BrokerError, channel_of, resolve_topic, topic_partitions
from leadq.adapters import FORMATS, Reject, normalize_bytes
from leadq.identity import identity_keys

if TYPE_CHECKING:
    from schemas.signal import Channel
    from streams.settings import KafkaSecurity, Settings

KEY_POLICIES = ("lead", "none")


@dataclass(frozen=True)
class Message:
    """One document to send: where it came from, its key and exact bytes, and the reason
    the worker will reject it (None if it normalizes to at least one signal cleanly)."""

    label: str
    key: bytes | None
    value: bytes
    problem: str | None


def register(subparsers: Any) -> None:
    """Add the ``produce`` sub-command to the ``leadq`` parser."""
    parser = subparsers.add_parser(
        "produce", help="send event documents (JSON or JSON lines) to a topic, one message each"
    )
    parser.add_argument("topic", help="topic name, or web/email/product/crm/signals/routing/…")
    parser.add_argument("file", help="JSON document or JSON lines; - for stdin")
    parser.add_argument(
        "--key-by",
        choices=KEY_POLICIES,
        default="lead",
        help="lead: the document's preferred identity (u:, e:, a:); none: no key",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        default="auto",
        help="input format, to find identities (default: auto-detect)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read FILE, send it, print the summary; the exit code says whether it worked."""
    from streams.settings import get_settings

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as error:
        print(f"leadq produce: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 1
    return produce(get_settings(), args.topic, data, args.key_by, args.fmt, sys.stdout, sys.stderr)


def produce(
    settings: Settings,
    topic_name: str,
    data: bytes,
    key_by: str,
    fmt: str,
    out: IO[str],
    err: IO[str],
) -> int:
    """The command's work on explicit settings and streams (what ``run`` wires up)."""
    topic = resolve_topic(topic_name, settings.topics)
    messages = plan_messages(data, key_by, fmt, channel_of(topic, settings.topics))
    try:
        landed = asyncio.run(
            send_messages(settings.kafka_bootstrap, topic, messages, settings.kafka)
        )
    except BrokerError as error:
        err.write(f"leadq produce: {error}\n")
        return 1
    for message in messages:
        if message.problem:
            err.write(f"leadq produce: {message.label}: {message.problem} (sent anyway)\n")
    out.write(summary(topic, messages, [partition for partition, _ in landed]) + "\n")
    return 0


def plan_messages(
    data: bytes, key_by: str, fmt: str = "auto", channel: Channel | None = None
) -> list[Message]:
    """Every document of ``data`` as a :class:`Message`, keyed by ``key_by``."""
    return [message_for(label, doc, key_by, fmt, channel) for label, doc in iter_documents(data)]


def message_for(
    label: str, document: bytes, key_by: str, fmt: str = "auto", channel: Channel | None = None
) -> Message:
    """``document`` as a :class:`Message`. Problems are reported only for an inbound
    ``channel``: other topics are not read by the normalizer."""
    # The record is stamped when it is sent, about now: the event time the worker gives
    # an item that carries none (a Segment message without any timestamp).
    result = normalize_bytes(document, fmt, channel, received_at=datetime.now(UTC))
    keys = [k for signal in result.signals for k in identity_keys(signal)]
    key = keys[0].encode() if keys and key_by == "lead" else None
    problem = "; ".join(_reject_text(r) for r in result.rejects) if channel else ""
    return Message(label, key, document, problem or None)


async def send_messages(
    bootstrap: str,
    topic: str,
    messages: Sequence[Message],
    security: KafkaSecurity | None = None,
) -> list[tuple[int, int]]:
    """Send ``messages`` in order and wait until the broker has them all; returns the
    (partition, offset) each landed at. :class:`BrokerError` if the broker or topic is
    unusable."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    from streams.kafka.security import client_options

    await topic_partitions(bootstrap, topic, security)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, **(client_options(security) if security else {})
    )
    try:
        await producer.start()
        pending = [await producer.send(topic, m.value, key=m.key) for m in messages]
        return [(meta.partition, meta.offset) for meta in await asyncio.gather(*pending)]
    except KafkaError as error:
        raise BrokerError(f"producing to {topic!r} on {bootstrap} failed: {error!r}") from error
    finally:
        await producer.stop()


def _reject_text(reject: Reject) -> str:
    return reject.reason if reject.index is None else f"item {reject.index}: {reject.reason}"


def summary(topic: str, messages: Sequence[Message], partitions: Sequence[int]) -> str:
    """``produced N message(s) to TOPIC (partitions …; K keyed; R the worker will
    dead-letter)``."""
    hit = ", ".join(map(str, sorted(set(partitions)))) or "none"
    keyed = sum(1 for m in messages if m.key is not None)
    rejected = sum(1 for m in messages if m.problem)
    return (
        f"produced {len(messages)} message(s) to {topic} (partitions {hit}; {keyed} keyed"
        + (f"; {rejected} the worker will dead-letter" if rejected else "")
        + ")"
    )
