"""The router's SLA clocks: CRM touches in, due deadlines out (breach, reassignment,
escalation), for every team of the routing file.

- Touches: every CRM event on the crm topic is recorded as a touch of its lead (the
  lead its identities resolve to through the worker's identity index, and each identity
  key itself); recording one twice changes nothing.
- Deadlines: every router checks every team's due deadlines; each is handled once (the
  team's version check in ``route.lua``), its events written to the team's outbox with
  the new state and then published, like the router's decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from agents.router import MAX_TRIES, Pending, Router, encoded, pause_before_retry
from leadq.adapters import normalize_bytes
from leadq.identity import identity_keys
from leadq.routing.availability import team_day
from leadq.routing.sla import SlaCase, SlaOutcome, ms, on_deadline
from schemas.routing import Team
from schemas.signal import Signal
from streams.kafka.group_consumer import Record
from streams.metrics import SLA_BREACHES
from streams.routing.store import TeamWrite


class SlaClock:
    """The SLA side of one router: shares its routing file, store, clock and counters."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def record_touches(self, records: Sequence[Record]) -> int:
        """Record every CRM event of the batch as a touch of its lead; returns how many.

        Documents the normalizer rejects are its to dead-letter; here they are skipped."""
        count = 0
        for record in records:
            for signal in normalize_bytes(record.value or b"", channel="crm").signals:
                if signal.channel == "crm":
                    await self._touch(signal)
                    count += 1
        self.router.counters.touches += count
        return count

    async def _touch(self, signal: Signal) -> None:
        keys = identity_keys(signal)
        qualifier, store = self.router.runtime.qualifier, self.router.store
        lead_ids = set(keys)  # a lead's id is one of its identity keys
        for key in keys:
            found = await self.router.runtime.until_redis_answers(
                partial(qualifier.lead, key), "touch"
            )
            if found is not None:
                lead_ids.add(found.lead.lead_id)
        ttl = round(self.router.runtime.settings.routing.touch_ttl_days * 86_400)
        at = ms(signal.occurred_at)
        for lead_id in sorted(lead_ids):
            record = partial(store.record_touch, lead_id, signal.event_id, at, ttl)
            await self.router.runtime.until_redis_answers(record, "touch")

    async def fire_deadlines(self) -> list[Pending]:
        """Handle every SLA deadline that is due, in every team; their outbox entries."""
        pending: list[Pending] = []
        now_ms = ms(self.router.clock())
        for team in self.router.config.teams:
            due = await self.router.runtime.until_redis_answers(
                partial(self.router.store.due, team.id, now_ms), "SLA deadlines"
            )
            for case_id in due:
                pending += await self._deadline(team, case_id)
        return pending

    async def _deadline(self, team: Team, case_id: str) -> list[Pending]:
        for attempt in range(MAX_TRIES):
            outcome = await self._try_deadline(team, case_id)
            if outcome is not None:
                return outcome
            await pause_before_retry(attempt)
        raise RuntimeError(f"team {team.id} kept changing while handling SLA {case_id}")

    async def _try_deadline(self, team: Team, case_id: str) -> list[Pending] | None:
        store, until = self.router.store, self.router.runtime.until_redis_answers
        stored = await until(lambda: store.case(team.id, case_id), "SLA case")
        now = self.router.clock()
        if stored is None:  # handled meanwhile, or expired: drop the deadline
            await until(lambda: store.forget_deadline(team.id, case_id), "SLA case")
            return []
        day = team_day(team, now)
        account = stored.assignment.account.account_id if stored.assignment.account else None
        read = await until(
            lambda: store.read(team.id, day, stored.lead_id, account, case_id=case_id), "SLA read"
        )
        case = read.case
        if case is None or case.deadline_ms > ms(now):
            return []  # another router handled it
        touched = await until(
            lambda: store.touched(case.lead_id, case.since_ms, case.deadline_ms), "touches"
        )
        outcome = on_deadline(self.router.config, case, read.snapshot, now, touched)
        change = self._deadline_write(read.version, day, now, case, outcome)
        if await until(lambda: store.write(team.id, change), "SLA write") == "stale":
            return None
        self._count(outcome, touched)
        return [(team.id, event_id, body) for event_id, body in change.events]

    def _deadline_write(
        self, version: str, day: str, now: datetime, case: SlaCase, outcome: SlaOutcome
    ) -> TeamWrite:
        pick = outcome.pick
        return TeamWrite(
            version=version,
            day=day,
            now_ms=ms(now),
            case_action="set" if outcome.case is not None else "del",
            case=outcome.case,
            case_id=case.case_id,
            lead_id=case.lead_id,
            counted=pick.counted if pick else None,
            credit=pick.credit if pick else {},
            claims=pick.claims if pick else {},
            events=[encoded(data) for data in outcome.events],
        )

    def _count(self, outcome: SlaOutcome, touched: bool) -> None:
        counters = self.router.counters
        if touched:
            counters.touched_in_time += 1
        for data in outcome.events:
            if data.kind == "sla_breached":
                counters.breached += 1
                SLA_BREACHES.labels(data.team.id).inc()
            elif data.escalated:
                counters.escalated += 1
            else:
                counters.reassigned += 1
