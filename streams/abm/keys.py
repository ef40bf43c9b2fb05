"""Redis keys of the ABM consumer. Every key of an account shares the hash tag
``{abm:<account id>}``, so each script call touches one slot (single Redis or Cluster)
and accounts spread over all shards.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AbmKeys:
    prefix: str = "lq"

    def tag(self, account_id: str) -> str:
        return f"{self.prefix}:{{abm:{account_id}}}"

    def day(self, account_id: str, day: int) -> str:
        """One event-time day: points per rule and per person, the (event, rule) seen."""
        return f"{self.tag(account_id)}:d:{day}"

    def days(self, account_id: str) -> str:
        """Points per day of the kept history, and the newest day (``newest``)."""
        return f"{self.tag(account_id)}:days"

    def cap(self, account_id: str, lead_id: str, rule_id: str, window: int) -> str:
        """Events of a lead counted under a capped rule in one cap window."""
        return f"{self.tag(account_id)}:cap:{rule_id}:{window}:{lead_id}"

    def marks(self, account_id: str) -> str:
        """Surge episodes, engaged personas, and the marks' version (``v``)."""
        return f"{self.tag(account_id)}:m"

    def handled(self, account_id: str, transition_id: str) -> str:
        """A routing-topic transition whose ABM signals were published."""
        return f"{self.tag(account_id)}:tx:{transition_id}"
