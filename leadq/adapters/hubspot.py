"""HubSpot webhook events (contact property changes) → leadq canonical documents. Pure.

HubSpot posts a JSON array of events to a webhook (``contact.propertyChange``, or the
generic ``object.propertyChange`` with ``objectTypeId`` ``0-1``, a contact; the type in
``subscriptionType`` or, as HubSpot's docs example has it, ``eventType``)::

    {"eventId": 1, "subscriptionId": 25, "portalId": 33, "occurredAt": 1462216307945,
     "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 123,
     "changeSource": "CRM", "propertyName": "lifecyclestage", "propertyValue": "customer"}

Contract of ``to_documents`` (one event):

- a change of a property the table maps (``HubSpotEventTable``: property → value →
  crm event and reason; values compared case-insensitively) becomes one canonical crm
  event: ``event_id`` ``hubspot-<eventId>`` (HubSpot keeps the id across its retries),
  ``occurred_at`` = ``occurredAt`` (epoch ms), the person ``hubspot:<objectId>`` as an
  ``anonymous_id`` (the least preferred key, so a lead keeps its own id once linked),
  the HubSpot property, value, ``changeSource`` and ``portalId`` in ``properties``;
- a change of ``email`` becomes a canonical web ``identify`` linking ``hubspot:<objectId>``
  to that email, so the contact's outcomes reach the lead its web and product activity
  built (subscribe the app to ``email`` changes for this);
- anything else HubSpot sends (other properties, unmapped values, creations, deletions,
  other objects) is not an outcome: ``None``, acknowledged and not produced;
- an event that is not a well-formed property change raises ``AdapterError`` (from
  ``leadq.adapters._common``), naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, JsonValue

from leadq.adapters._common import (
    JsonObject,
    as_object,
    event_time,
    optional_str,
    required_str,
)
from schemas.events import CrmEventName

CONTACT_PREFIX: Final = "hubspot:"
_CONTACT_OBJECT_TYPE: Final = "0-1"
_CHANGE_TYPES: Final = frozenset({"contact.propertyChange", "object.propertyChange"})


def _outcome_shorthand(value: object) -> object:
    return {"event": value} if isinstance(value, str) else value


class CrmOutcome(BaseModel):
    """What one HubSpot property value means for the lead: a crm event, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: CrmEventName
    reason: str | None = None


#: ``{"lifecyclestage": {"customer": "opportunity_won", ...}, ...}``; an outcome is a crm
#: event name or ``{"event": ..., "reason": ...}``.
HubSpotEventTable = dict[str, dict[str, Annotated[CrmOutcome, BeforeValidator(_outcome_shorthand)]]]

#: The default table. Lifecycle stages are HubSpot's internal names; lead statuses its
#: default options. A lead sales works (connected, in progress, attempted) is accepted.
DEFAULT_HUBSPOT_EVENTS: Final[HubSpotEventTable] = {
    "lifecyclestage": {
        "salesqualifiedlead": CrmOutcome(event="sales_accepted"),
        "opportunity": CrmOutcome(event="opportunity_created"),
        "customer": CrmOutcome(event="opportunity_won"),
    },
    "hs_lead_status": {
        "attempted_to_contact": CrmOutcome(event="sales_accepted"),
        "connected": CrmOutcome(event="sales_accepted"),
        "in_progress": CrmOutcome(event="sales_accepted"),
        "open_deal": CrmOutcome(event="opportunity_created"),
        "unqualified": CrmOutcome(event="sales_rejected", reason="unqualified"),
        "bad_timing": CrmOutcome(event="sales_rejected", reason="bad_timing"),
    },
}


def folded(table: HubSpotEventTable) -> HubSpotEventTable:
    """``table`` with lower-cased values, as ``to_document`` looks them up."""
    return {name: {v.lower(): o for v, o in values.items()} for name, values in table.items()}


def to_document(event: object, table: HubSpotEventTable) -> JsonObject | None:
    """The canonical document of one webhook event, or None (see the module contract).

    ``table`` must be ``folded``; the document's ``channel`` says which topic it is for.
    """
    item = as_object(event, "event")
    if not _is_contact_change(item):
        return None
    name = required_str(item, "propertyName")
    value = optional_str(item, "propertyValue") or ""
    common = _common_fields(item)
    if name == "email":
        return _identify(common, value) if value else None
    outcome = table.get(name, {}).get(value.lower())
    if outcome is None:
        return None
    properties: dict[str, JsonValue] = {
        "hubspot_property": name,
        "hubspot_value": value,
        **_sources(item),
    }
    document: JsonObject = {**common, "channel": "crm", "name": outcome.event}
    document["properties"] = properties
    if outcome.reason is not None:
        document["reason"] = outcome.reason
    return document


def _is_contact_change(item: JsonObject) -> bool:
    # HubSpot's own docs example names the field ``eventType``; deliveries send
    # ``subscriptionType`` (often both): either is read.
    kind = item.get("subscriptionType") or item.get("eventType")
    if kind not in _CHANGE_TYPES:
        return False
    return kind == "contact.propertyChange" or item.get("objectTypeId") == _CONTACT_OBJECT_TYPE


def _common_fields(item: JsonObject) -> JsonObject:
    occurred_at: datetime = event_time(item.get("occurredAt"), "occurredAt")
    return {
        "schema_version": 1,
        "event_id": f"hubspot-{required_str(item, 'eventId')}",
        "occurred_at": occurred_at.isoformat(),
        "identity": {"anonymous_id": CONTACT_PREFIX + required_str(item, "objectId")},
    }


def _identify(common: JsonObject, email: str) -> JsonObject:
    identity = {**as_object(common["identity"], "identity"), "email": email}
    return {**common, "channel": "web", "type": "identify", "identity": identity}


def _sources(item: JsonObject) -> dict[str, JsonValue]:
    found = {
        "change_source": optional_str(item, "changeSource"),
        "portal_id": optional_str(item, "portalId"),
    }
    return {key: value for key, value in found.items() if value is not None}
