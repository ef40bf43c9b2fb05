"""Inbound adapters: any accepted document (leadq canonical or a vendor's) → ``Signal``s.

``normalize(document, fmt, channel)`` turns one parsed JSON document into signals and
rejects; ``normalize_bytes(raw, fmt, channel)`` does the same from raw bytes. Contract:

- pure and total: bad input never raises, it becomes a ``Reject`` with a human reason
  naming the field (an unknown ``fmt`` or ``channel`` is a programming error and does);
- one bad item in a batch rejects that item only; signals keep the input order;
- a document is one delivery: an array, an envelope (Segment's or PostHog's
  ``{"batch": [...]}``, Amplitude's ``{"api_key", "events": [...]}``) or one object.
  Batch-level rules (link-scanner click bursts) look within one document only;
- ``channel`` is what the caller knows of the item's channel (the topic it came from):
  it picks web or product for Segment/RudderStack messages, and an item that cannot
  belong to it (a SendGrid event on the web topic) is rejected;
- ``received_at`` is when the document arrived (the Kafka record's timestamp in the
  stream): the event time of an item whose format allows it to carry none.

Adapters, detectors and pydantic validators are built once at import, so the
per-message path only does the work of the message itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, get_args

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from leadq.adapters import (
    amplitude,
    leadq,
    mailgun,
    mixpanel,
    posthog,
    postmark,
    rudderstack,
    segment,
    sendgrid,
)
from leadq.adapters._common import AdapterError
from leadq.adapters.bots import mark_scanner_bursts
from leadq.adapters.detect import FORMATS, Format, detect, unknown_format_reason
from leadq.adapters.envelopes import Envelope, envelope_of, split
from schemas.signal import Channel, Signal

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "AdapterError",
    "Format",
    "NormalizeResult",
    "Reject",
    "detect",
    "normalize",
    "normalize_bytes",
]

#: Largest raw document ``normalize_bytes`` parses by default (1 MiB).
DEFAULT_MAX_BYTES: Final = 1024 * 1024

#: ``(item, channel, received_at) -> Signal``; raises on an item it cannot convert.
Converter = Callable[[object, Channel | None, datetime | None], Signal]
_Untimed = Callable[[object, Channel | None], Signal]


def _untimed(convert: _Untimed) -> Converter:
    """A converter for a format whose items always carry their own time."""

    def converter(item: object, channel: Channel | None, received_at: datetime | None) -> Signal:
        return convert(item, channel)

    return converter


_CONVERTERS: Final[dict[str, Converter]] = {
    "leadq": _untimed(leadq.to_signal),
    "segment": segment.to_signal,
    "rudderstack": rudderstack.to_signal,
    "sendgrid": _untimed(sendgrid.to_signal),
    "mailgun": _untimed(mailgun.to_signal),
    "postmark": _untimed(postmark.to_signal),
    "posthog": posthog.to_signal,
    "amplitude": amplitude.to_signal,
    "mixpanel": mixpanel.to_signal,
}
_CHANNELS: Final = frozenset(get_args(Channel))
_ENVELOPE_CONVERTERS: Final[dict[str, Converter]] = {
    "spec": rudderstack.spec_to_signal,
    "posthog": posthog.to_signal,
    "amplitude": amplitude.to_signal,
}


@dataclass(frozen=True, slots=True)
class Reject:
    """Input that became no signal, and why.

    ``index`` is the item's position in the document (0 for a single-object document),
    or None when the whole document was refused (not JSON, too large, bad envelope).
    ``raw`` is the offending item as parsed, or the raw bytes for a refused document.
    """

    index: int | None
    reason: str
    raw: object


@dataclass(frozen=True, slots=True)
class NormalizeResult:
    """The signals of one document, in input order, and its rejects."""

    signals: list[Signal] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def normalize(
    document: object,
    fmt: str = "auto",
    channel: Channel | None = None,
    *,
    received_at: datetime | None = None,
) -> NormalizeResult:
    """Convert one parsed JSON document; see the module docstring for the contract.

    Raises ``ValueError`` only for an ``fmt`` not in ``FORMATS`` or an unknown ``channel``.
    """
    _check_arguments(fmt, channel)
    return _normalize(document, fmt, channel, received_at)


def normalize_bytes(
    raw: bytes,
    fmt: str = "auto",
    channel: Channel | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    received_at: datetime | None = None,
) -> NormalizeResult:
    """Parse ``raw`` as one JSON document and ``normalize`` it; never raises on bad input.

    Input that is not bytes, larger than ``max_bytes``, not UTF-8 or not JSON gives one
    document-level ``Reject`` (``index`` None) carrying the raw input.
    """
    _check_arguments(fmt, channel)
    try:
        document = _load(raw, max_bytes)
    except AdapterError as error:
        return NormalizeResult(rejects=[Reject(None, str(error), raw)])
    return _normalize(document, fmt, channel, received_at)


def _normalize(
    document: object, fmt: str, channel: Channel | None, received_at: datetime | None
) -> NormalizeResult:
    """``normalize`` once its arguments are checked."""
    envelope = envelope_of(document, fmt)
    if envelope is None and not isinstance(document, list):
        # One object, the usual Kafka message: no batch to split or scan for bursts.
        return _normalize_item(document, fmt, channel, received_at)
    try:
        items, originals = split(document, envelope)
    except AdapterError as error:
        return NormalizeResult(rejects=[Reject(None, str(error), document)])
    signals: list[Signal] = []
    rejects: list[Reject] = []
    for index, item in enumerate(items):
        converter = _converter(fmt, item, envelope)
        if converter is None:
            rejects.append(Reject(index, unknown_format_reason(item), originals[index]))
            continue
        outcome = _convert(converter, item, channel, received_at)
        if isinstance(outcome, Signal):
            signals.append(outcome)
        else:
            rejects.append(Reject(index, outcome, originals[index]))
    return NormalizeResult(mark_scanner_bursts(signals), rejects)


def _normalize_item(
    item: object, fmt: str, channel: Channel | None, received_at: datetime | None
) -> NormalizeResult:
    """A single-object document: what ``_normalize`` gives for it, on a shorter path."""
    converter = _converter(fmt, item, None)
    if converter is None:
        return NormalizeResult([], [Reject(0, unknown_format_reason(item), item)])
    outcome = _convert(converter, item, channel, received_at)
    if isinstance(outcome, Signal):
        return NormalizeResult([outcome], [])
    return NormalizeResult([], [Reject(0, outcome, item)])


def _check_arguments(fmt: str, channel: Channel | None) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if channel is not None and channel not in _CHANNELS:
        raise ValueError(f"unknown channel {channel!r}: expected one of {sorted(_CHANNELS)}")


def _converter(fmt: str, item: object, envelope: Envelope | None) -> Converter | None:
    if fmt != "auto":
        return _CONVERTERS[fmt]
    if envelope is not None:
        # Inside an envelope every item is in the envelope's format: report its own
        # problems (a missing type...) rather than "unknown format".
        return _ENVELOPE_CONVERTERS[envelope]
    detected: Format | None = detect(item)
    return _CONVERTERS[detected] if detected is not None else None


def _convert(
    converter: Converter, item: object, channel: Channel | None, received_at: datetime | None
) -> Signal | str:
    """The item's signal, or the reason it has none."""
    try:
        return converter(item, channel, received_at)
    except AdapterError as error:
        return str(error)
    except ValidationError as error:
        return _validation_reason(error)
    except Exception as error:
        # A worker must survive any input: an adapter bug on an odd item sends that
        # item to the dead-letter topic with this reason instead of killing the stream.
        return f"could not convert the item: {type(error).__name__}: {error}"


def _validation_reason(error: ValidationError) -> str:
    """Pydantic's errors as ``field.path: message`` parts, at most three of them."""
    problems = [_problem(detail) for detail in error.errors(include_url=False)[:3]]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def _problem(detail: ErrorDetails) -> str:
    message = detail["msg"].removeprefix("Value error, ")
    path = ".".join(map(str, detail["loc"]))
    return f"{path}: {message}" if path else message


def _load(raw: object, max_bytes: int) -> object:
    """``raw`` parsed as JSON, or an ``AdapterError`` saying why it cannot be."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise AdapterError(f"expected raw bytes, got {type(raw).__name__}")
    size = len(raw) if not isinstance(raw, memoryview) else raw.nbytes
    if size > max_bytes:
        raise AdapterError(f"document is {size} bytes, over the limit of {max_bytes} bytes")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if not _is_utf8(raw):
            raise AdapterError("document is not UTF-8 text") from None
        raise AdapterError(f"document is not JSON: {error}") from None


def _is_utf8(raw: bytes | bytearray | memoryview) -> bool:
    try:
        bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
