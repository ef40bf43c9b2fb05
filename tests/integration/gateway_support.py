"""Helpers for the gateway's integration tests: a gateway on the test's own topics,
HTTP calls, and reading back exactly what a request produced.

``produced(settings)`` is how the tests prove what was (and was not) produced: it
writes a marker record to every partition of the inbound and dead-letter topics, reads
until every marker is back, and returns the records before them. A request answered
before the markers were sent cannot have records after them (the gateway answers only
once the broker acknowledged its records), so "nothing produced" is an exact check.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from streams.kafka.admin import describe_partitions
from streams.kafka.topic_reader import Record
from streams.process import free_port
from streams.settings import IngestSettings, Settings
from tests.helpers import produce, read_until

WEB_KEY = "wk_web_test"
PRODUCT_KEY = "phc_product_test"
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
POSTMARK_AUTH = "postmark:s3cret-p4ss"


def gateway_settings(base: Settings, **ingest: object) -> Settings:
    """``base`` with a gateway on a free loopback port, two write keys, short timeouts."""
    changes: dict[str, object] = {
        "port": free_port(),
        "write_keys": {WEB_KEY: "web", PRODUCT_KEY: "product"},
        "produce_timeout_s": 3.0,
        "retry_after_s": 1,
        **ingest,
    }
    return base.with_changes(ingest=IngestSettings(**changes))


def url(settings: Settings, path: str) -> str:
    return f"http://{settings.ingest.host}:{settings.ingest.port}{path}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


async def post(
    settings: Settings,
    path: str,
    body: bytes | object,
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> Answer:
    """POST ``body`` (bytes as they are, anything else as JSON) and parse the answer."""
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if auth:
        sent["Authorization"] = basic(*auth)
    async with (
        aiohttp.ClientSession() as session,
        session.post(url(settings, path), data=data, headers=sent) as response,
    ):
        return Answer(response.status, orjson.loads(await response.read()), response.headers)


async def get(settings: Settings, path: str) -> Answer:
    async with aiohttp.ClientSession() as session, session.get(url(settings, path)) as response:
        return Answer(response.status, orjson.loads(await response.read()), response.headers)


async def produced(settings: Settings, topics: Sequence[str] | None = None) -> list[Record]:
    """Every record on ``topics`` (default: inbound + dead letter), read to a marker on
    each partition (see the module docstring); markers excluded."""
    names = settings.topics
    wanted = list(topics or (names.web, names.email, names.product, names.dead_letter))
    counts = await describe_partitions(settings.kafka_bootstrap, wanted)
    marker = orjson.dumps({"marker": uuid.uuid4().hex})
    for topic in wanted:
        for partition in range(counts[topic]):
            await produce(settings.kafka_bootstrap, topic, [marker], partition=partition)
    expected = sum(counts.values())
    records = await read_until(
        settings.kafka_bootstrap, wanted, lambda rs: sum(r.value == marker for r in rs) >= expected
    )
    return [r for r in records if r.value is None or not r.value.startswith(b'{"marker"')]


def on(records: Sequence[Record], topic: str) -> list[Record]:
    return [record for record in records if record.topic == topic]


def values(records: Sequence[Record]) -> list[object]:
    return [orjson.loads(record.value or b"null") for record in records]


def gzipped(body: object) -> bytes:
    return gzip.compress(orjson.dumps(body))


def mailgun_signed(
    body: Mapping[str, object], key: str = MAILGUN_KEY, at: float | None = None, token: str = ""
) -> dict[str, object]:
    """``body`` with a ``signature`` block made as Mailgun makes it (HMAC-SHA256 of
    timestamp + token, hex), for ``at`` (default now) and a fresh 50-char token."""
    timestamp = str(int(time.time() if at is None else at))
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]
    digest = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {**body, "signature": {"timestamp": timestamp, "token": token, "signature": digest}}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
