"""Envelopes: documents that wrap a vendor's items, recognised before items are split.

- Segment/RudderStack ``{"batch": [...], "context", "integrations", "sentAt"}`` (``spec``);
- PostHog ``{"api_key", "batch": [...], "sent_at"}`` (``posthog``): a ``batch`` body
  with ``api_key`` or ``sent_at``, or any ``batch`` body when the format is ``posthog``;
- Amplitude ``{"api_key", "events": [...]}`` (``amplitude``).

A ``batch`` document with a ``type`` is a message, not an envelope.
"""

from __future__ import annotations

from typing import Final, Literal

from leadq.adapters import amplitude, posthog, segment
from leadq.adapters.detect import is_batch_envelope

#: What kind of envelope a document is (None: an array or a single item).
Envelope = Literal["spec", "posthog", "amplitude"]
_SPEC_FORMATS: Final = frozenset({"auto", "segment", "rudderstack"})


def envelope_of(document: object, fmt: str) -> Envelope | None:
    """Which envelope ``document`` is, as ``fmt`` allows (see ``detect``'s docstring)."""
    if not isinstance(document, dict):
        return None
    if fmt in ("auto", "amplitude") and amplitude.is_envelope(document):
        return "amplitude"
    if not is_batch_envelope(document):
        return None
    if fmt == "posthog" or (fmt == "auto" and posthog.is_envelope(document)):
        return "posthog"
    return "spec" if fmt in _SPEC_FORMATS else None


def split(document: object, envelope: Envelope | None) -> tuple[list[object], list[object]]:
    """The items to convert, and the items as they arrived (for rejects).

    They differ only inside a batch envelope, whose shared fields are merged in.
    """
    if envelope == "spec":
        return segment.unbatch(document), segment.batch_of(document)
    if envelope == "posthog":
        items = posthog.unbatch(document)
        return items, segment.batch_of(document)
    if envelope == "amplitude":
        events = amplitude.events_of(document)
        return events, events
    items = list(document) if isinstance(document, list) else [document]
    return items, items
