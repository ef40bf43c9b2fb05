"""SendGrid Event Webhook events → ``Signal``.

SendGrid POSTs a JSON array of events. Contract of ``to_signal`` (one event):

- ``event_id`` = ``sg_event_id``; the time is ``timestamp`` (epoch seconds; milliseconds
  and ISO strings are tolerated); the identity is ``email``;
- names: processed, deferred, delivered, open, click, bounce, dropped, unsubscribe
  as-is; ``blocked`` → bounce; ``spamreport`` → spam_report; ``group_unsubscribe`` →
  unsubscribe and ``group_resubscribe`` → resubscribe (both with ``asm_group_id``);
- ``sg_machine_open: true`` marks the open as a bot (``sendgrid_machine_open``);
- properties: ``message_id`` (``sg_message_id``), ``url`` (clicks), ``tags``
  (``category``), ``metadata`` (custom args: the top-level fields SendGrid does not
  define), plus the bounce type and reasons where SendGrid gives them.
"""

from __future__ import annotations

from typing import Final, cast

from pydantic import JsonValue

from leadq.adapters._common import (
    AdapterError,
    JsonObject,
    as_object,
    email_address,
    email_signal,
    event_time,
    optional_str,
    put_tags_and_metadata,
    renamed_fields,
    require_email_channel,
    required_str,
    tag_list,
)
from schemas.events import EmailEventName
from schemas.signal import Channel, Signal

_NAMES: Final[dict[str, EmailEventName]] = {
    "processed": "processed",
    "deferred": "deferred",
    "delivered": "delivered",
    "open": "open",
    "click": "click",
    "bounce": "bounce",
    "blocked": "bounce",
    "dropped": "dropped",
    "spamreport": "spam_report",
    "unsubscribe": "unsubscribe",
    "group_unsubscribe": "unsubscribe",
    "group_resubscribe": "resubscribe",
}

#: Fields SendGrid itself defines; every other top-level field is a custom arg.
_SENDGRID_FIELDS: Final = frozenset(
    {
        "email", "timestamp", "event", "smtp-id", "sg_event_id", "sg_message_id",
        "category", "url", "url_offset", "useragent", "ip", "reason", "status",
        "response", "attempt", "type", "bounce_classification", "asm_group_id", "tls",
        "cert_err", "sg_machine_open", "sg_content_type", "sg_template_id",
        "sg_template_name", "template_id", "template_version_id", "template_hash",
        "marketing_campaign_id", "marketing_campaign_name", "marketing_campaign_version",
        "marketing_campaign_split_id", "singlesend_id", "singlesend_name", "phase_id",
        "send_at", "post_type", "pool", "mc_stats", "unique_args", "custom_args",
    }
)  # fmt: skip

#: Optional SendGrid fields copied into properties, under leadq's name.
_COPIED: Final = {
    "asm_group_id": "asm_group_id",
    "reason": "reason",
    "status": "status",
    "bounce_classification": "bounce_classification",
    "useragent": "user_agent",
    "ip": "ip",
    "marketing_campaign_name": "campaign",
    "singlesend_name": "campaign",
}


def to_signal(item: object, channel: Channel | None) -> Signal:
    """One SendGrid event as a ``Signal`` with ``source="sendgrid"``."""
    require_email_channel("sendgrid", channel)
    event = as_object(item, "event")
    vendor_name = required_str(event, "event")
    name = _NAMES.get(vendor_name)
    if name is None:
        raise AdapterError(f"event: {vendor_name!r} is not a SendGrid event leadq knows")
    machine_open = event.get("sg_machine_open") is True
    # Read in the order the inbound email model's fields were, so that the first
    # problem found stays the reason given.
    event_id = required_str(event, "sg_event_id")
    occurred_at = event_time(event.get("timestamp"), "timestamp")
    email = email_address(required_str(event, "email"), "email")
    message_id = optional_str(event, "sg_message_id")
    url = optional_str(event, "url") if name == "click" else None
    fields: JsonObject = {
        "event_id": event_id,
        "name": name,
        "occurred_at": occurred_at,
        "identity": {"email": email},
        "is_bot": machine_open,
        "bot_reason": "sendgrid_machine_open" if machine_open else None,
    }
    return email_signal("sendgrid", fields, _properties(event, vendor_name), message_id, url)


def _properties(event: JsonObject, vendor_name: str) -> dict[str, JsonValue]:
    properties = renamed_fields(event, _COPIED)
    if vendor_name in ("bounce", "blocked"):
        properties["bounce_type"] = optional_str(event, "type") or vendor_name
    put_tags_and_metadata(
        properties, tag_list(event.get("category"), "category"), _custom_args(event)
    )
    return properties


def _custom_args(event: JsonObject) -> dict[str, JsonValue]:
    """Custom (unique) args: top-level non-SendGrid fields, plus legacy nested objects."""
    args: dict[str, JsonValue] = {}
    for nested in ("unique_args", "custom_args"):
        value = event.get(nested)
        if isinstance(value, dict):
            args.update(value)
    custom = {key: value for key, value in event.items() if key not in _SENDGRID_FIELDS}
    args.update(cast(dict[str, JsonValue], custom))
    return args
