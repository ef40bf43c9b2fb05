"""Which inbound format an item is in, for ``--format auto``.

Rules, first match wins (an item is one JSON object of a document):

1. leadq canonical: has ``schema_version``, ``channel`` and ``event_id``;
2. Mailgun: has ``event-data``, or is a bare event-data object (``event``, ``id``,
   ``timestamp``, ``recipient`` and one of Mailgun's own keys such as ``log-level``);
3. Postmark: has ``RecordType``;
4. SendGrid: has ``sg_event_id``, or all of ``event``, ``email`` and ``timestamp`` and
   no spec call ``type``;
5. Amplitude: has ``event_type``;
6. Segment/RudderStack: ``type`` is a spec call type (RudderStack when the message
   carries RudderStack's marks, see ``rudderstack.looks_like_rudderstack``);
7. Mixpanel: only ``event`` and ``properties``, with Mixpanel's own properties
   (``time``, ``$insert_id``, ``mp_lib``, ``token``...) and no ``$lib``;
8. PostHog: has ``event`` and no ``type`` (and, to be valid, a ``distinct_id``).

The canonical check comes first because a canonical web event also has a spec ``type``.
Envelopes are recognised on the document, before items are split: ``{"batch": [...]}``
is PostHog's when it carries ``api_key`` or ``sent_at`` (``posthog.is_envelope``), else
Segment's; ``{"api_key", "events": [...]}`` is Amplitude's.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from leadq.adapters._common import kind_of
from leadq.adapters.mailgun import looks_like_bare_event
from leadq.adapters.mixpanel import looks_like_mixpanel
from leadq.adapters.rudderstack import looks_like_rudderstack
from leadq.adapters.segment import SPEC_TYPES

Format = Literal[
    "auto",
    "segment",
    "rudderstack",
    "sendgrid",
    "mailgun",
    "postmark",
    "posthog",
    "amplitude",
    "mixpanel",
    "leadq",
]
#: Every ``fmt`` value ``normalize`` accepts; ``auto`` detects per item.
FORMATS: Final[tuple[str, ...]] = get_args(Format)

_CANONICAL_KEYS: Final = frozenset({"schema_version", "channel", "event_id"})
_SENDGRID_KEYS: Final = frozenset({"event", "email", "timestamp"})

UNKNOWN_FORMAT_HINT: Final = (
    "expected a leadq event (schema_version, channel, event_id), a Segment or RudderStack"
    " message (type: track, page, screen, identify, group or alias) or batch envelope,"
    " a SendGrid event (sg_event_id), a Mailgun event (event-data, or event, id,"
    " timestamp, recipient), a Postmark record (RecordType), an Amplitude event"
    " (event_type), a Mixpanel or PostHog event (event); name the format explicitly if"
    " it is one of these"
)


def detect(item: object) -> Format | None:
    """The format of one item by the rules above, or None when none matches."""
    if not isinstance(item, dict):
        return None
    keys = item.keys()
    if keys >= _CANONICAL_KEYS:
        return "leadq"
    if "event-data" in keys or looks_like_bare_event(item):
        return "mailgun"
    if "RecordType" in keys:
        return "postmark"
    kind = item.get("type")
    # Only a string can name a call type (and a list or object is not hashable).
    spec_call = isinstance(kind, str) and kind in SPEC_TYPES
    # A spec track may carry email, event and timestamp at the top (Segment's HTTP API
    # example does): SendGrid's own "type" is a bounce type, never a call type.
    if "sg_event_id" in keys or (keys >= _SENDGRID_KEYS and not spec_call):
        return "sendgrid"
    if "event_type" in keys:
        return "amplitude"
    if spec_call:
        return "rudderstack" if looks_like_rudderstack(item) else "segment"
    if looks_like_mixpanel(item):
        return "mixpanel"
    if "event" in keys and "type" not in keys:
        return "posthog"
    return None


def is_batch_envelope(document: object) -> bool:
    """A ``batch`` envelope, Segment's or PostHog's (not a message with a batch field)."""
    return isinstance(document, dict) and "batch" in document and "type" not in document


def unknown_format_reason(item: object) -> str:
    """The reject reason for an item no rule matches, with what was seen and a hint."""
    if isinstance(item, dict):
        keys = ", ".join(list(map(str, item))[:8]) or "no keys"
        seen = f"an object with {keys}"
    else:
        seen = kind_of(item)
    return f"unknown event format (got {seen}): {UNKNOWN_FORMAT_HINT}"
