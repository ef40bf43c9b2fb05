"""The canonical ``Signal``: what every inbound adapter produces and the engine consumes.

A signal is one thing a person (or their account) did or told us, in one vocabulary
whatever vendor format it arrived in. Contract:

- ``event_id`` is the sender's de-duplication id (Segment ``messageId``, SendGrid
  ``sg_event_id``, Mailgun ``event-data.id``, ...); the same vendor event always gives
  the same ``event_id``, so replays and retries are recognisable.
- ``occurred_at`` is the event time (timezone-aware, UTC once normalised); scoring and
  decay run in event time, never arrival time.
- At least one identity (``user_id``, ``email`` or ``anonymous_id``) is set, except on
  ``group`` signals, which may name only an account.
- ``is_bot`` marks machine activity (privacy-proxy opens, link-scanner clicks) so rules
  can ignore it without losing the event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from schemas.base import Contract
from schemas.identifiers import clean_domain, clean_email, clean_identifier

Channel = Literal["web", "email", "product", "crm"]

#: What kind of call produced the signal, in Segment's vocabulary (email and crm
#: activity are ``track``): ``identify`` carries person traits, ``group`` account
#: traits, ``alias`` links ``previous_id`` to the current identity.
SignalType = Literal["track", "page", "screen", "identify", "group", "alias"]

SIGNAL_SCHEMA_VERSION = 1


# The cleaners sit on the ``str`` branch, not on the whole optional field, so a null
# (most identities and accounts) costs no Python call: it is the hot path of every
# inbound and routed signal. Errors keep the field's own location (``email``).
_Email = Annotated[str, AfterValidator(clean_email)]
_Domain = Annotated[str, AfterValidator(clean_domain)]
_Id = Annotated[str, AfterValidator(clean_identifier)]


class Identity(Contract):
    """Who did it, cleaned by ``schemas.identifiers``: NFKC; email stripped and
    lower-cased; control and format (bidi, zero-width) characters refused."""

    user_id: _Id | None = None
    email: _Email | None = None
    anonymous_id: _Id | None = None
    #: ``alias`` only: the identity being linked to this one.
    previous_id: _Id | None = None

    def is_empty(self) -> bool:
        return not (self.user_id or self.email or self.anonymous_id)


class Account(Contract):
    """The company the person belongs to: an explicit id (Segment ``groupId``) or a domain."""

    id: _Id | None = None
    domain: _Domain | None = None


class Signal(Contract):
    """One canonical inbound event. See the module docstring for the contract."""

    schema_version: Literal[1] = 1
    event_id: str = Field(min_length=1, max_length=256)
    channel: Channel
    type: SignalType = "track"
    #: Event name in the channel's vocabulary: ``"Demo Requested"`` (track), the page
    #: name or ``""`` (page), ``"open"``/``"click"``/``"unsubscribe"``... (email),
    #: ``"sales_accepted"``/``"sales_rejected"``/``"opportunity_created"`` (crm).
    name: str = ""
    occurred_at: AwareDatetime
    identity: Identity = Identity()
    account: Account = Account()
    properties: dict[str, JsonValue] = Field(default_factory=dict)
    traits: dict[str, JsonValue] = Field(default_factory=dict)
    is_bot: bool = False
    #: Why ``is_bot`` is set, e.g. ``"sendgrid_machine_open"``, ``"scanner_click_burst"``.
    bot_reason: str | None = None
    #: Which format it arrived in: ``leadq``, ``segment``, ``rudderstack``, ``sendgrid``,
    #: ``mailgun``, ``postmark``.
    source: str = "leadq"

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _needs_identity(self) -> Signal:
        if self.type != "group" and self.identity.is_empty():
            raise ValueError("signal has no identity: set user_id, email or anonymous_id")
        if self.type == "group" and self.identity.is_empty() and self.account.id is None:
            raise ValueError("group signal names neither a person nor an account id")
        return self

    @property
    def occurred_ms(self) -> int:
        """Event time as integer epoch milliseconds (the engine's time unit)."""
        return int(self.occurred_at.timestamp() * 1000)
