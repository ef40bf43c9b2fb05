"""The router's state in Redis: team snapshots, atomic decisions, the outbox, touches.

Contract: :meth:`RoutingStore.read` returns one consistent snapshot of a team (by one
script); :meth:`RoutingStore.write` stores a decision computed from it all or nothing
(``route.lua``): ``"ok"``, ``"stale"`` (the team changed since the read: read and decide
again) or ``"done"`` (the transition was already processed: nothing to do). The
decision's CloudEvents wait in the team's outbox until :meth:`ack`; :meth:`unacked`
finds those a dead router left behind. Touches (CRM activity per lead) are a sorted set
of event ids by event time: recording one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from leadq.routing.decide import TeamSnapshot
from leadq.routing.sla import SlaCase
from streams.routing.keys import RoutingKeys, open_case_field, owner_field
from streams.state.scripts import Client, Script, raise_errors, run_all, run_commands

READ = Script("route_read")
WRITE = Script("route")
#: Day counts are kept two days past their day (time zones, late reads).
DAY_TTL_S = 3 * 86_400
#: A case is kept this long past its deadline (a router down for a while still finds it).
CASE_GRACE_S = 7 * 86_400

Outcome = Literal["ok", "stale", "done"]


@dataclass(frozen=True, slots=True)
class TeamRead:
    version: str
    snapshot: TeamSnapshot
    processed: bool
    case: SlaCase | None
    #: The id of the lead's open SLA case in this team, if any.
    open_case: str | None = None


@dataclass(frozen=True, slots=True)
class TeamWrite:
    """One decision's changes to a team (see ``route.lua`` for how each is stored)."""

    version: str
    day: str
    now_ms: int
    #: Mark this transition processed (refused if it already is); ``None``: no marker.
    transition_id: str | None = None
    case_action: Literal["set", "del", "keep"] = "keep"
    case: SlaCase | None = None
    case_id: str = ""
    #: The lead whose open-case pointer follows the case ("" none).
    lead_id: str = ""
    #: The lead's earlier open case, closed by this decision ("" none).
    superseded: str = ""
    counted: str | None = None
    credit: Mapping[str, int] = field(default_factory=dict)
    #: ``("lead" | "account", id) -> rep id``.
    claims: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: (event id, CloudEvent JSON) in publishing order.
    events: Sequence[tuple[str, str]] = ()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(flat: Sequence[Any]) -> dict[str, int]:
    return {_text(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}


class RoutingStore:
    def __init__(
        self, client: Client, keys: RoutingKeys | None = None, done_ttl_s: int = 30 * 86_400
    ) -> None:
        self.client = client
        self.keys = keys or RoutingKeys()
        self.done_ttl_s = done_ttl_s

    async def read(
        self,
        team: str,
        day: str,
        lead_id: str,
        account_id: str | None,
        transition_id: str = "",
        case_id: str = "",
    ) -> TeamRead:
        k = self.keys
        keys = [
            k.version(team), k.credit(team), k.day(team, day), k.owners(team),
            k.done(team, transition_id), k.case(team, case_id),
        ]  # fmt: skip
        args = [
            owner_field("lead", lead_id),
            owner_field("account", account_id) if account_id else "",
            open_case_field(lead_id),
        ]
        [reply] = await run_all(self.client, READ, [(keys, args)])
        version, credit, today, lead_owner, account_owner, processed, case, open_case = reply
        return TeamRead(
            version=_text(version),
            snapshot=TeamSnapshot(
                credit=_pairs(credit),
                today=_pairs(today),
                lead_owner=_text(lead_owner) if lead_owner else None,
                account_owner=_text(account_owner) if account_owner else None,
            ),
            processed=bool(processed) and bool(transition_id),
            case=SlaCase.model_validate_json(case) if case and case_id else None,
            open_case=_text(open_case) if open_case else None,
        )

    async def write(self, team: str, change: TeamWrite) -> Outcome:
        k = self.keys
        case_id = change.case_id or (change.case.case_id if change.case else "")
        keys = [
            k.version(team), k.credit(team), k.day(team, change.day), k.owners(team),
            k.done(team, change.transition_id or ""), k.deadlines(team), k.case(team, case_id),
            k.outbox(team), k.outbox_times(team), k.case(team, change.superseded),
        ]  # fmt: skip
        case = change.case
        case_ttl = max(1, (case.deadline_ms - change.now_ms) // 1000) + CASE_GRACE_S if case else 1
        args: list[Any] = [
            change.version,
            self.done_ttl_s if change.transition_id else 0,
            change.case_action,
            case_id,
            case.model_dump_json() if case else "",
            case.deadline_ms if case else 0,
            case_ttl,
            DAY_TTL_S,
            change.now_ms,
            change.counted or "",
            open_case_field(change.lead_id) if change.lead_id else "",
            change.superseded,
            len(change.credit),
            *[item for pair in change.credit.items() for item in pair],
            len(change.claims),
            *[
                x
                for (kind, id_), rep in change.claims.items()
                for x in (owner_field(kind, id_), rep)
            ],
            len(change.events),
            *[item for pair in change.events for item in pair],
        ]
        [reply] = await run_all(self.client, WRITE, [(keys, args)])
        return {1: "ok", 0: "stale", -1: "done"}[int(reply)]  # type: ignore[return-value]

    async def case(self, team: str, case_id: str) -> SlaCase | None:
        """An open SLA case as stored (``None`` once closed or expired)."""
        raw = await self.client.get(self.keys.case(team, case_id))
        return SlaCase.model_validate_json(raw) if raw else None

    async def forget_deadline(self, team: str, case_id: str) -> None:
        """Drop the deadline of a case that no longer exists (it expired)."""
        await self.client.zrem(self.keys.deadlines(team), case_id)

    async def due(self, team: str, now_ms: int, limit: int = 100) -> list[str]:
        """Ids of the team's cases whose deadline is at or before ``now_ms``."""
        found = await self.client.zrangebyscore(
            self.keys.deadlines(team), "-inf", now_ms, start=0, num=limit
        )
        return [_text(item) for item in found]

    async def ack(self, team: str, event_ids: Sequence[str]) -> None:
        """Forget published events (after the broker confirmed them)."""
        if event_ids:
            commands = [
                ("HDEL", self.keys.outbox(team), *event_ids),
                ("ZREM", self.keys.outbox_times(team), *event_ids),
            ]
            raise_errors(await run_commands(self.client, commands))

    async def unacked(self, team: str, older_than_ms: int) -> list[tuple[str, str]]:
        """(event id, JSON) of outbox entries written before ``older_than_ms``."""
        ids = [
            _text(i)
            for i in await self.client.zrangebyscore(
                self.keys.outbox_times(team), "-inf", older_than_ms
            )
        ]
        if not ids:
            return []
        values = await self.client.hmget(self.keys.outbox(team), ids)
        return [(i, _text(v)) for i, v in zip(ids, values, strict=True) if v is not None]

    async def record_touch(self, lead_id: str, event_id: str, at_ms: int, ttl_s: int) -> None:
        key = self.keys.touches(lead_id)
        commands = [("ZADD", key, at_ms, event_id), ("EXPIRE", key, ttl_s)]
        raise_errors(await run_commands(self.client, commands))

    async def touched(self, lead_id: str, since_ms: int, until_ms: int) -> bool:
        """Whether a touch of the lead is recorded with an event time in [since, until]."""
        found = await self.client.zrangebyscore(
            self.keys.touches(lead_id), since_ms, until_ms, start=0, num=1
        )
        return bool(found)
