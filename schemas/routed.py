"""Messages on the signals topic: a canonical signal routed to its lead.

Contract: Kafka key = ``lead_id`` (the account id for account-only ``group`` calls), so
one lead's signals are consumed in order by one worker. Produced at least once by the
normalizer; the qualifier's per-partition offsets and event-id de-duplication make
re-delivery harmless.
"""

from __future__ import annotations

from typing import Literal

from schemas.base import Contract
from schemas.signal import Signal


class RoutedSignal(Contract):
    schema_version: Literal[1] = 1
    #: The lead to apply to; ``None`` for a ``group`` call naming only an account.
    lead_id: str | None
    #: The account the lead belongs to after this signal.
    account_id: str | None = None
    #: The account it belonged to before, when this signal moves it.
    previous_account: str | None = None
    #: (lead id, its account) of leads this signal revealed to be the same person.
    absorbed: tuple[tuple[str, str | None], ...] = ()
    #: No identity of this signal named a lead before: the lead has no state to move.
    new_lead: bool = False
    signal: Signal

    @property
    def partition_key(self) -> str:
        return self.lead_id or self.account_id or self.signal.event_id
