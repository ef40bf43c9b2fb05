"""The demo's producer side: send the scenario in waves, each after the previous one's gate.

See :func:`cli.demo.scenario.plan_waves` for why there are waves. Gates poll with a
deadline and stop as soon as the worker process exits; nothing here sleeps blindly.
"""

from __future__ import annotations

import asyncio
import functools
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar
from urllib.parse import quote

import orjson

from cli.demo.render import Console, stamp
from cli.demo.scenario import Document, Wave
from cli.demo.sdk import send_with_segment_sdk, sendable
from cli.produce import send_messages
from leadq.identity import identity_keys
from schemas.views import LeadView
from streams.kafka.topic_reader import Record, TopicReader
from streams.process import ServerProcess
from streams.settings import Settings

T = TypeVar("T")
#: How often a gate polls the read API.
POLL_S = 0.1


async def send_in_waves(
    settings: Settings,
    waves: Sequence[Wave],
    worker: ServerProcess,
    give_up: float,
    console: Console,
) -> None:
    """Produce each wave, then wait for its gate (see ``plan_waves``) before the next."""
    for number, wave in enumerate(waves, start=1):
        counts = await send_documents(settings, wave.documents)
        console.say(
            f"{stamp(console.elapsed())} wave {number}/{len(waves)}, {wave.title}: "
            f"sent {counts}, keyed by lead"
        )
        if number < len(waves):
            gate = until_applied if wave.gate == "applied" else until_normalized
            await gate(settings, wave, worker, give_up, console)
    console.mark("events produced")
    console.say()


async def send_documents(settings: Settings, documents: Sequence[Document]) -> str:
    """Send each document: web events through the ingest gateway with Segment's SDK
    (when ``settings.ingest`` names a web write key), the rest straight to its channel's
    topic, as a webhook relay would; ``"N … to …, …"``."""
    through_sdk, by_topic = _routes(settings, documents)
    sent = []
    if through_sdk:
        key = next(k for k, channel in settings.ingest.write_keys.items() if channel == "web")
        url = f"http://{settings.ingest.host}:{settings.ingest.port}"
        messages = [orjson.loads(d.message.value) for d in through_sdk]
        errors = await asyncio.to_thread(send_with_segment_sdk, url, key, messages)
        if errors:
            raise RuntimeError(f"the Segment SDK reported {errors[0]}")
        sent.append(f"{_count(through_sdk, 'web event')} through the ingest gateway (Segment SDK)")
    for topic, group in by_topic.items():
        await send_messages(
            settings.kafka_bootstrap, topic, [d.message for d in group], settings.kafka
        )
        sent.append(f"{_count(group, 'document')} to {topic}")
    return ", ".join(sent)


def _routes(
    settings: Settings, documents: Sequence[Document]
) -> tuple[list[Document], dict[str, list[Document]]]:
    """(documents for the SDK, the others by topic)."""
    gateway = "web" in settings.ingest.write_keys.values()
    through_sdk: list[Document] = []
    by_topic: dict[str, list[Document]] = {}
    for document in documents:
        if gateway and document.channel == "web" and _spec_message(document):
            through_sdk.append(document)
        else:
            topic = getattr(settings.topics, document.channel)
            by_topic.setdefault(topic, []).append(document)
    return through_sdk, by_topic


def _spec_message(document: Document) -> bool:
    try:
        return sendable(orjson.loads(document.message.value))
    except orjson.JSONDecodeError:
        return False  # malformed input goes to Kafka as it is, for the worker to refuse


def _count(documents: Sequence[Document], noun: str) -> str:
    return f"{len(documents)} {noun}{'s' if len(documents) > 1 else ''}"


async def until_applied(
    settings: Settings, wave: Wave, worker: ServerProcess, give_up: float, console: Console
) -> None:
    """Poll the read API until it shows each lead of ``wave`` at its newest event."""
    newest: dict[str, int] = {}
    for signal in (s for d in wave.documents for s in d.signals):
        key = identity_keys(signal)[0]
        newest[key] = max(newest.get(key, 0), signal.occurred_ms)
    for key, at_ms in newest.items():
        url = f"{api_base(settings)}/leads/{quote(key, safe=':@')}"
        check = functools.partial(_applied, url, at_ms, api_token(settings))
        view = await poll(check, worker, give_up)
        console.say(
            f"{stamp(console.elapsed())} the worker applied them: GET /leads/{key} → "
            f"stage {view.stage}, intent {view.intent_score:.1f}"
        )


async def _applied(url: str, at_ms: int, token: str | None) -> LeadView | None:
    try:
        view = LeadView.model_validate_json(await get_json(url, token))
    except OSError:  # not there yet (404), or the web server is not up yet
        return None
    seen = view.last_event_at
    return view if seen and seen.timestamp() * 1000 >= at_ms else None


async def poll(
    check: Callable[[], Awaitable[T | None]], worker: ServerProcess, give_up: float
) -> T:
    """``check()``'s first non-None result, polled every ``POLL_S``; TimeoutError after
    ``give_up`` (monotonic), RuntimeError as soon as the worker exits."""
    while (result := await check()) is None:
        if time.monotonic() > give_up:
            raise TimeoutError("the read API did not show the wave's leads applied in time")
        if not worker.running():
            raise RuntimeError("the worker exited")
        await asyncio.sleep(POLL_S)
    return result


async def until_normalized(
    settings: Settings, wave: Wave, worker: ServerProcess, give_up: float, console: Console
) -> None:
    """Wait until every signal of ``wave`` is on the signals topic."""
    wanted = {s.event_id for d in wave.documents for s in d.signals}

    def routed(records: Sequence[Record]) -> bool:
        return wanted <= {orjson.loads(r.value or b"{}")["signal"]["event_id"] for r in records}

    async with TopicReader(
        settings.kafka_bootstrap, [settings.topics.signals], settings.kafka
    ) as reader:
        await reader.read_until(routed, give_up - time.monotonic(), alive=worker.running)
    console.say(
        f"{stamp(console.elapsed())} the worker routed all {len(wanted)} signals "
        "to their leads (signals topic)"
    )


def api_base(settings: Settings) -> str:
    """The worker's read API root URL."""
    return f"http://{settings.web_host}:{settings.web_port}"


def api_token(settings: Settings) -> str | None:
    """The read API's bearer token (``LEADQ_API_TOKEN``), if one is set."""
    return settings.api_token.get_secret_value() if settings.api_token else None


async def get_json(url: str, token: str | None = None) -> bytes:
    """The body of a GET on ``url`` (``OSError`` — URLError/HTTPError — if it fails),
    with ``Authorization: Bearer <token>`` when a token is given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fetch() -> bytes:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=5.0) as response:
            body: bytes = response.read()
            return body

    return await asyncio.to_thread(fetch)
