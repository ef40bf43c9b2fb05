"""Which SDR alerts were delivered: claims with a lease and outcomes, in Redis.

Contract: before each request to a webhook, the sender claims the alert
(:meth:`AlertLedger.claim`, which also renews its own claim); after a 2xx it records
the delivery (:meth:`settle` ``"d"``), after a dead letter the failure (``"x"``). Both
outcomes are remembered for ``remember_s``: a re-delivered or replayed assignment
event finds them and sends nothing. A claim whose worker died expires after its lease
and may be taken over, so an alert whose request was in flight at a crash without a
recorded acknowledgement is sent at most once more (Slack's webhooks take no
idempotency key: this is the only duplicate possible). Each call touches one key
(hash-tagged by alert id): a single Redis or a Redis Cluster alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from streams.state.scripts import Client, Script, run_all

CLAIM = Script("alert_claim")
SETTLE = Script("alert_settle")
Outcome = Literal["d", "x"]


@dataclass(frozen=True, slots=True)
class Claim:
    """The answer to a claim: held by the caller, or what holds the alert instead."""

    held: bool
    #: ``"d"`` delivered, ``"x"`` dead-lettered, ``"c:<token>"`` claimed by another.
    state: str = ""
    #: Milliseconds until another's claim expires (-1 when settled).
    lease_left_ms: int = -1

    @property
    def settled(self) -> bool:
        return not self.held and not self.state.startswith("c:")


class AlertLedger:
    def __init__(self, client: Client, prefix: str, lease_s: float, remember_s: float) -> None:
        self.client = client
        self.prefix = prefix
        self.lease_ms = max(1, round(lease_s * 1000))
        self.remember_ms = max(1, round(remember_s * 1000))

    def key(self, alert_id: str) -> str:
        return f"{self.prefix}:alert:{{{alert_id}}}"

    async def claim(self, alert_id: str, token: str) -> Claim:
        """Claim (or renew the caller's claim on) ``alert_id`` for one lease."""
        (reply,) = await run_all(
            self.client, CLAIM, [([self.key(alert_id)], [token, self.lease_ms])]
        )
        if int(reply[0]) == 1:
            return Claim(held=True)
        state = reply[1].decode() if isinstance(reply[1], bytes) else str(reply[1])
        return Claim(held=False, state=state, lease_left_ms=int(reply[2]))

    async def settle(self, alert_id: str, token: str, outcome: Outcome) -> bool:
        """Record how the alert ended (see ``alert_settle.lua``); whether it was written."""
        call = ([self.key(alert_id)], [token, outcome, self.remember_ms])
        (reply,) = await run_all(self.client, SETTLE, [call])
        return int(reply) == 1

    async def state(self, alert_id: str) -> str | None:
        """The alert's state as stored (``None``: unknown), for checks and tests."""
        raw = await self.client.get(self.key(alert_id))
        return raw.decode() if isinstance(raw, bytes) else raw
