"""leadq's canonical inbound event: what producers may write to the inbound topics as-is.

One model per channel, tagged by ``channel`` (``INBOUND_EVENT`` validates the union).
Contract, for every model:

- frozen, unknown fields rejected, ``schema_version`` is ``1``;
- ``event_id`` is the producer's de-duplication id (the same event always carries the
  same id); ``occurred_at`` is the event time, timezone-aware (stored in UTC);
- some identity (``user_id``, ``email`` or ``anonymous_id``) is set, except on a web or
  product ``group`` event that names an account id;
- ``to_signal(source)`` maps the event to exactly one ``Signal`` and never fails on a
  validated event.

Web and product events use the open Segment vocabulary (any event name, the six call
types). Email and CRM events use closed vocabularies: ``EMAIL_EVENT_NAMES`` and
``CRM_EVENT_NAMES``; vendor adapters map their own names onto these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final, Literal, Self, get_args

from pydantic import AwareDatetime, Field, JsonValue, TypeAdapter, field_validator, model_validator

from schemas.base import Contract
from schemas.signal import Account, Channel, Identity, Signal, SignalType

EmailEventName = Literal[
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "processed",
    "unsubscribe",
    "resubscribe",
    "spam_report",
]
#: The email channel's closed vocabulary, in lifecycle order.
EMAIL_EVENT_NAMES: tuple[str, ...] = get_args(EmailEventName)

CrmEventName = Literal[
    "sales_accepted",
    "sales_rejected",
    "opportunity_created",
    "opportunity_won",
    "opportunity_lost",
    "disqualified",
]
#: The crm channel's closed vocabulary: sales feedback on a lead.
CRM_EVENT_NAMES: tuple[str, ...] = get_args(CrmEventName)

INBOUND_SCHEMA_VERSION: Final = 1


class _InboundEvent(Contract):
    """Fields every channel shares; see the module docstring for the contract."""

    schema_version: Literal[1] = INBOUND_SCHEMA_VERSION
    event_id: str = Field(min_length=1, max_length=256)
    occurred_at: AwareDatetime
    identity: Identity = Identity()
    account: Account = Account()
    properties: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _needs_identity(self) -> Self:
        if self.identity.is_empty() and not self._identity_optional():
            raise ValueError("event has no identity: set user_id, email or anonymous_id")
        return self

    def _identity_optional(self) -> bool:
        return False


class _ActivityEvent(_InboundEvent):
    """Web and product activity, in the Segment spec's vocabulary (open event names)."""

    channel: Literal["web", "product"]
    type: SignalType = "track"
    #: Track: the event name; page/screen: the page or screen name or ``""``.
    name: str = ""
    traits: dict[str, JsonValue] = Field(default_factory=dict)
    is_bot: bool = False
    bot_reason: str | None = None

    def _identity_optional(self) -> bool:
        # An account-only group call ("this company's traits") is meaningful on its own.
        return self.type == "group" and self.account.id is not None

    def to_signal(self, source: str = "leadq") -> Signal:
        """The canonical ``Signal`` for this event, stamped with ``source``."""
        return Signal.from_validated(
            {
                "event_id": self.event_id,
                "channel": self.channel,
                "type": self.type,
                "name": self.name,
                "occurred_at": self.occurred_at,
                "identity": self.identity,
                "account": self.account,
                "properties": self.properties,
                "traits": self.traits,
                "is_bot": self.is_bot,
                "bot_reason": self.bot_reason,
                "source": source,
            }
        )


class WebEvent(_ActivityEvent):
    """Website activity: page views, form fills, pricing visits, identify calls."""

    channel: Literal["web"] = "web"


class ProductEvent(_ActivityEvent):
    """In-product usage (screens, feature use), the input of product-qualified stages."""

    channel: Literal["product"] = "product"


class EmailEvent(_InboundEvent):
    """One email lifecycle or engagement event for one recipient."""

    channel: Literal["email"] = "email"
    name: EmailEventName
    #: The sender's id of the email message; clicks on one message are grouped by it.
    message_id: str | None = None
    #: The clicked link (``click`` only).
    url: str | None = None
    #: Machine activity: privacy-proxy opens, link-scanner clicks.
    is_bot: bool = False
    bot_reason: str | None = None

    def to_signal(self, source: str = "leadq") -> Signal:
        """A ``track`` signal named after the event; message id and url join properties."""
        return Signal.from_validated(
            {
                "event_id": self.event_id,
                "channel": "email",
                "name": self.name,
                "occurred_at": self.occurred_at,
                "identity": self.identity,
                "account": self.account,
                "properties": _with_fields(
                    self.properties, message_id=self.message_id, url=self.url
                ),
                "is_bot": self.is_bot,
                "bot_reason": self.bot_reason,
                "source": source,
            }
        )


class CrmEvent(_InboundEvent):
    """Sales feedback from the CRM about one lead."""

    channel: Literal["crm"] = "crm"
    name: CrmEventName
    #: Who in sales owns the lead or opportunity.
    owner: str | None = None
    #: Why (rejections, disqualifications, lost opportunities).
    reason: str | None = None
    opportunity_id: str | None = None
    amount: float | None = Field(default=None, ge=0)
    currency: str | None = None

    def to_signal(self, source: str = "leadq") -> Signal:
        """A ``track`` signal named after the event; the CRM fields join properties."""
        return Signal.from_validated(
            {
                "event_id": self.event_id,
                "channel": "crm",
                "name": self.name,
                "occurred_at": self.occurred_at,
                "identity": self.identity,
                "account": self.account,
                "properties": _with_fields(
                    self.properties,
                    owner=self.owner,
                    reason=self.reason,
                    opportunity_id=self.opportunity_id,
                    amount=self.amount,
                    currency=self.currency,
                ),
                "source": source,
            }
        )


def _with_fields(properties: dict[str, JsonValue], **fields: JsonValue) -> dict[str, JsonValue]:
    """``properties`` plus the fields that are set; the typed fields win over properties."""
    merged = dict(properties)
    merged.update({key: value for key, value in fields.items() if value is not None})
    return merged


InboundEvent = Annotated[
    WebEvent | EmailEvent | ProductEvent | CrmEvent, Field(discriminator="channel")
]
#: Validates any canonical inbound event (a dict or JSON) into the right model. Built
#: once at import: constructing a TypeAdapter is far costlier than using one.
INBOUND_EVENT: TypeAdapter[WebEvent | EmailEvent | ProductEvent | CrmEvent] = TypeAdapter(
    InboundEvent
)

#: Which model carries web or product activity on each activity channel.
ACTIVITY_EVENT_MODELS: dict[Channel, type[WebEvent] | type[ProductEvent]] = {
    "web": WebEvent,
    "product": ProductEvent,
}
