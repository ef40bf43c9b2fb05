"""The demo's scenario: event documents moved to the present, and what they should cause.

Contract:

- :func:`load_scenario` reads a file of documents (JSON lines, any accepted format, as
  ``leadq produce`` and ``leadq replay`` read them) and shifts every event time by one
  whole number of seconds so the newest event is ``now``: the worker's decay timer and
  read API use the wall clock, so events from the past would decay while you watch.
  Each document goes to the inbound topic of the channel its content names
  (Segment/RudderStack → web, email vendors → email, canonical events → their
  ``channel``); a document that yields no signal (malformed) goes to web.
- :func:`expect` runs the same documents through ``leadq replay``'s engine — the batch
  reference — and returns the transitions and dead letters the stream must produce.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Literal

import orjson

from cli.inputs import iter_documents
from cli.produce import Message, message_for
from leadq.adapters import normalize_bytes
from leadq.compiled import CompiledRules
from leadq.replay import replay
from schemas.signal import Channel, Signal
from schemas.transition import TransitionData

DEMO_EVENTS: Final = Path(__file__).resolve().parent / "events.jsonl"
#: Fields holding an event time in the accepted formats (Segment, SendGrid, canonical…).
TIME_FIELDS: Final = frozenset(
    {"timestamp", "originalTimestamp", "sentAt", "receivedAt", "occurred_at"}
)
Gate = Literal["applied", "normalized"]
#: The demo's waves, in order: (title, what to wait for before the next one).
WAVES: Final[tuple[tuple[str, Gate], ...]] = (
    ("anonymous visits", "applied"),
    ("identified activity", "normalized"),
    ("sales feedback", "normalized"),
)
#: A numeric time above this is epoch milliseconds, else seconds (as the adapters read it).
MS_THRESHOLD: Final = 1e11


@dataclass(frozen=True)
class Document:
    """One message of the scenario: its channel, its signals, and the message to send."""

    channel: Channel
    signals: tuple[Signal, ...]
    message: Message


@dataclass(frozen=True)
class Wave:
    """Documents produced together; unless it is the last wave, the demo waits for its
    ``gate`` before producing the next one."""

    title: str
    documents: tuple[Document, ...]
    #: ``applied``: the worker has applied every signal (the read API shows each lead's
    #: newest event); ``normalized``: every signal is on the signals topic, routed to its
    #: lead, so the lead's later signals queue behind it on the same partition.
    gate: Gate


@dataclass(frozen=True)
class Expected:
    """What the batch reference computed for the scenario."""

    transitions: tuple[TransitionData, ...]
    dead_letters: int
    #: The lead and account ids the scenario ends with.
    leads: frozenset[str]
    accounts: frozenset[str]

    @property
    def entities(self) -> frozenset[str]:
        return self.leads | self.accounts

    def counts(self) -> Counter[tuple[str, str]]:
        """(CloudEvent type, subject) → how many transitions of it are expected."""
        return Counter((f"io.leadq.{t.entity}.{t.stage_to}", t.entity_id) for t in self.transitions)


def load_scenario(path: Path, now_ms: int) -> list[Document]:
    """The documents of ``path``, their times shifted so the newest event is ``now_ms``."""
    raw = list(iter_documents(path.read_bytes()))
    times = [s.occurred_ms for _, doc in raw for s in normalize_bytes(doc).signals]
    shift_s = (now_ms - max(times, default=now_ms)) // 1000
    return [_document(label, shift_times(doc, shift_s)) for label, doc in raw]


def _document(label: str, payload: bytes) -> Document:
    detected = normalize_bytes(payload).signals
    channel: Channel = detected[0].channel if detected else "web"
    message = message_for(label, payload, "lead", channel=channel)
    return Document(channel, tuple(normalize_bytes(payload, channel=channel).signals), message)


def shift_times(payload: bytes, shift_s: int) -> bytes:
    """``payload`` with every time field moved by ``shift_s`` seconds (unchanged if it is
    not JSON, so malformed input stays malformed)."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    return orjson.dumps(_shift(document, shift_s))


def _shift(value: object, shift_s: int) -> object:
    if isinstance(value, list):
        return [_shift(item, shift_s) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: _shift_time(item, shift_s) if key in TIME_FIELDS else _shift(item, shift_s)
        for key, item in value.items()
    }


def _shift_time(value: object, shift_s: int) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    if isinstance(value, int | float):
        return value + shift_s * (1000 if value > MS_THRESHOLD else 1)
    if value.replace(".", "", 1).isdigit():  # numeric strings are epoch times too
        return str(_shift_time(float(value) if "." in value else int(value), shift_s))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return (moment + timedelta(seconds=shift_s)).isoformat().replace("+00:00", "Z")


def plan_waves(documents: list[Document]) -> list[Wave]:
    """Anonymous visits, then identified activity, then sales feedback (CRM).

    Produced all at once, the worker may see them in any order across partitions:
    an identify could merge an anonymous visitor before that visitor's page views are
    applied, and a CRM update could overtake the activity that preceded it. In
    production minutes separate these steps; the waves restore that order, each
    waiting only as long as needed.
    """
    groups: dict[str, list[Document]] = {title: [] for title, _ in WAVES}
    for document in documents:
        groups[_wave_of(document)].append(document)
    return [Wave(title, tuple(groups[title]), gate) for title, gate in WAVES if groups[title]]


def _wave_of(document: Document) -> str:
    if document.channel == "crm":
        return "sales feedback"
    identities = [s.identity for s in document.signals]
    if identities and not any(i.user_id or i.email for i in identities):
        return "anonymous visits"
    return "identified activity"


def expect(documents: list[Document], rules: CompiledRules) -> Expected:
    """Replay the scenario's signals (event-time order) with ``rules``."""
    result = asyncio.run(replay([s for d in documents for s in d.signals], rules))
    dead = sum(1 for d in documents if d.message.problem)
    leads = frozenset(lead.lead_id for lead in result.store.leads())
    accounts = frozenset(account.account_id for account in result.store.accounts())
    return Expected(tuple(result.transitions), dead, leads, accounts)
