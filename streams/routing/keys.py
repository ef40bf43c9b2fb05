"""Redis keys of the router. A team's keys share the hash tag ``{rt:<team>}``, so each
decision is one single-slot script call (single Redis or Redis Cluster); a lead's CRM
touches live under a tag of their own hash (``{rl:NNN}``), spread over every shard."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

#: Shards of the touch records (hash tags).
TOUCH_SHARDS = 256


@dataclass(frozen=True, slots=True)
class RoutingKeys:
    prefix: str = "lq"

    def tag(self, team: str) -> str:
        return f"{self.prefix}:{{rt:{team}}}"

    def version(self, team: str) -> str:
        return f"{self.tag(team)}:v"

    def credit(self, team: str) -> str:
        return f"{self.tag(team)}:credit"

    def day(self, team: str, day: str) -> str:
        return f"{self.tag(team)}:day:{day}"

    def owners(self, team: str) -> str:
        return f"{self.tag(team)}:owner"

    def done(self, team: str, transition_id: str) -> str:
        return f"{self.tag(team)}:done:{transition_id}"

    def deadlines(self, team: str) -> str:
        return f"{self.tag(team)}:sla"

    def case(self, team: str, case_id: str) -> str:
        return f"{self.tag(team)}:case:{case_id}"

    def outbox(self, team: str) -> str:
        return f"{self.tag(team)}:outbox"

    def outbox_times(self, team: str) -> str:
        return f"{self.tag(team)}:outbox:at"

    def touches(self, lead_id: str) -> str:
        shard = zlib.crc32(lead_id.encode()) % TOUCH_SHARDS
        return f"{self.prefix}:{{rl:{shard:03d}}}:touch:{lead_id}"


def owner_field(kind: str, entity_id: str) -> str:
    """The owners-hash field of a lead (``L:``) or an account (``A:``)."""
    return f"{'L' if kind == 'lead' else 'A'}:{entity_id}"


def open_case_field(lead_id: str) -> str:
    """The owners-hash field naming a lead's open SLA case (``C:``)."""
    return f"C:{lead_id}"
