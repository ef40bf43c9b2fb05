"""Judging a request's items with the worker's own adapters, and the records they become.

Contract of :class:`Batch`: every item added is either *accepted* — an ``Outgoing``
record on the channel's inbound topic whose key is the most preferred identity of the
item's signal (``u:``, then ``e:``, then ``a:``; none for an account-only group call),
the key ``leadq produce`` would give it — or *rejected*: an ``Outgoing`` record on the
dead-letter topic with the item's bytes and the reason the worker would have given,
plus headers saying where it came from. The gateway validates with exactly the
function the worker runs (``leadq.adapters.normalize``), so what it accepts the worker
accepts, and what it refuses is explained to the sender in the response.

Dead-letter headers: ``leadq.reason``, ``leadq.source.topic`` (the inbound topic the
item was meant for), ``leadq.source.endpoint`` (e.g. ``/v1/batch``),
``leadq.source.index`` (the item's position in the request) and
``leadq.received_at`` (ISO-8601, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from gateway.kafka import Outgoing
from gateway.responses import Accepted, RejectedItem
from leadq.adapters import detect, normalize
from leadq.identity import identity_keys
from schemas.signal import Channel

#: The worker's dead-letter reason header and reason length (streams/kafka/dead_letter.py,
#: which imports Faust: the gateway does not need Faust; a unit test keeps them equal).
REASON_HEADER = "leadq.reason"
MAX_REASON_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Verdict:
    """One item judged: its key when accepted, or the reason it is not."""

    key: bytes | None
    reason: str | None


def judge(item: object, fmt: str, channel: Channel, explain_as: str | None = None) -> Verdict:
    """What the worker will make of ``item`` on ``channel``'s topic (one signal or not).

    The worker detects formats (``fmt="auto"``); when it refuses an item that detection
    does not take for ``explain_as``'s format (the one the sender speaks: none matched, or
    another vendor's did), the reason given is ``explain_as``'s, which names the field.
    """
    result = normalize(item, fmt, channel)
    if result.rejects and explain_as and _speaks_other(item, explain_as):
        result = normalize(item, explain_as, channel)
    if result.rejects:
        return Verdict(None, "; ".join(reject.reason for reject in result.rejects))
    if not result.signals:
        return Verdict(None, "the item yields no signal")
    keys = identity_keys(result.signals[0])
    return Verdict(keys[0].encode() if keys else None, None)


def _speaks_other(item: object, fmt: str) -> bool:
    """Whether detection takes ``item`` (an object) for another format than ``fmt``."""
    return isinstance(item, dict) and _family(detect(item)) != _family(fmt)


def _family(fmt: str | None) -> str | None:
    """RudderStack speaks Segment's spec: one family for the reasons above."""
    return "segment" if fmt == "rudderstack" else fmt


def now_iso() -> str:
    """The current UTC time as ISO-8601 with milliseconds and a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Batch:
    """The records of one request, built item by item (see the module contract)."""

    topic: str
    dead_letter_topic: str
    endpoint: str
    received_at: str = field(default_factory=now_iso)
    records: list[Outgoing] = field(default_factory=list)
    accepted: int = 0
    rejected: list[RejectedItem] = field(default_factory=list)

    def accept(self, key: bytes | None, value: bytes, items: int = 1) -> None:
        """Produce ``value`` (``items`` accepted items) to the inbound topic."""
        self.records.append(Outgoing(self.topic, key, value))
        self.accepted += items

    def reject(self, index: int, reason: str, value: bytes) -> None:
        """Dead-letter ``value`` (the item at ``index``) with ``reason``."""
        reason = reason[:MAX_REASON_CHARS]
        headers = self._headers(index, reason)
        self.records.append(Outgoing(self.dead_letter_topic, None, value, headers))
        self.rejected.append(RejectedItem(index=index, reason=reason))

    def add(
        self,
        index: int,
        item: object,
        fmt: str,
        channel: Channel,
        value: bytes | None = None,
        explain_as: str | None = None,
    ) -> Verdict:
        """Judge ``item`` (see :func:`judge`) and accept or reject it as one record of its
        own, whose value is ``value`` (``item`` serialized, unless the caller did it)."""
        value = orjson.dumps(item) if value is None else value
        verdict = judge(item, fmt, channel, explain_as)
        if verdict.reason is None:
            self.accept(verdict.key, value)
        else:
            self.reject(index, verdict.reason, value)
        return verdict

    def answer(self) -> Accepted:
        """The 200 body, once ``records`` are acknowledged."""
        return Accepted(accepted=self.accepted, rejected=self.rejected)

    def _headers(self, index: int, reason: str) -> tuple[tuple[str, bytes], ...]:
        return (
            (REASON_HEADER, reason.encode()),
            ("leadq.source.topic", self.topic.encode()),
            ("leadq.source.endpoint", self.endpoint.encode()),
            ("leadq.source.index", str(index).encode()),
            ("leadq.received_at", self.received_at.encode()),
        )
