"""The router: stage transitions in, owners out (``io.leadq.lead.assigned``); its SLA
clocks are ``agents.sla_clock``.

Thin: parse → facts (the worker's read side) → ``leadq.routing`` decides → one atomic
write per decision (``streams.routing``) → publish. Guarantees:

- at least once in (the group consumer commits after a batch is handled);
- exactly one decision per transition id: the decision, the team's round-robin credit
  and counts, owner claims, the SLA clock and the processed marker are one script call,
  refused if the team changed since it was read (then decided again) or if the
  transition was already processed (a re-delivery, a restart, a second router);
- at least once out, with deterministic CloudEvent ids (``schemas.assignment``): the
  events wait in the team's outbox, written with the decision, until the broker has
  them; a router that died in between leaves them for the outbox sweep of any router.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from agents.batches import dead_letter_safely
from agents.runtime import Runtime
from leadq.routing.assign import first_assignment
from leadq.routing.availability import team_day
from leadq.routing.decide import decide
from leadq.routing.facts import LeadFacts, lead_facts
from leadq.routing.match import match_rule, routable
from leadq.routing.sla import ms, open_case
from schemas.assignment import AssignmentData, to_assignment_event
from schemas.routing import RoutingConfig, RoutingRule, Team
from schemas.transition import TransitionEvent
from streams.kafka.group_consumer import Record
from streams.kafka.outlet import Outlet
from streams.routing.store import RoutingStore, TeamWrite

log = logging.getLogger("leadq.router")

#: Decisions retried when other routers keep changing the team meanwhile (each retry
#: after a short random pause, so racing routers do not keep colliding).
MAX_TRIES = 50
RETRY_PAUSE_S = 0.005
#: (team id, event id, CloudEvent JSON): an event in a team's outbox.
Pending = tuple[str, str, str]
#: Sends outbox entries and acknowledges them (``agents.router_app.publish``).
Publish = Callable[[Sequence[Pending]], Awaitable[None]]


@dataclass
class RouterCounters:
    """Plain counters of one router, for metrics (monotonic: nothing resets them)."""

    assigned: int = 0
    reassigned: int = 0
    escalated: int = 0
    breached: int = 0
    touched_in_time: int = 0
    duplicates: int = 0
    unrouted: int = 0
    touches: int = 0


def now_utc() -> datetime:
    return datetime.now(UTC)


async def pause_before_retry(attempt: int) -> None:
    """A random pause before deciding again, growing with the attempts (at most ~0.1 s)."""
    await asyncio.sleep(random.uniform(0, RETRY_PAUSE_S * min(attempt + 1, 20)))


def encoded(data: AssignmentData) -> tuple[str, str]:
    event = to_assignment_event(data)
    return event.id, event.model_dump_json()


class Router:
    def __init__(
        self,
        runtime: Runtime,
        config: RoutingConfig,
        store: RoutingStore,
        clock: Callable[[], datetime] = now_utc,
        counters: RouterCounters | None = None,
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.store = store
        self.clock = clock
        #: What this router did; a metrics exporter reads ``app.leadq_router.counters``.
        self.counters = counters or RouterCounters()

    async def route_batch(
        self, records: Sequence[Record], dead_letter: Outlet, publish: Publish
    ) -> None:
        """Route every transition of a batch and ``publish`` the decisions; invalid records
        are dead-lettered. If one raises, what was decided before it is still published
        (its transition counts as processed, so a second pass would not publish it)."""
        pending: list[Pending] = []
        try:
            for record in records:
                try:
                    event = TransitionEvent.model_validate_json(record.value or b"")
                except ValueError as error:
                    await dead_letter_safely(
                        dead_letter, record, f"not a transition: {error}", "invalid_event"
                    )
                    continue
                pending += await self.route(event)
        finally:
            if pending:
                await publish(pending)

    async def _facts(self, lead_id: str) -> tuple[LeadFacts, str | None]:
        qualifier = self.runtime.qualifier
        found = await self.runtime.until_redis_answers(lambda: qualifier.lead(lead_id), "facts")
        account = found.lead.account_id if found is not None else None
        return lead_facts(lead_id, found), account

    async def route(self, event: TransitionEvent) -> list[Pending]:
        """Route one transition (no rule matching: nothing); its outbox entries."""
        data = event.data
        if not routable(data):
            return []
        facts, account_id = await self._facts(data.entity_id)
        rule = match_rule(self.config, data, facts)
        if rule is None:
            self.counters.unrouted += 1
            return []
        if data.account is not None:
            account_id = data.account.account_id
        team = self.config.team(rule.team)
        for attempt in range(MAX_TRIES):
            outcome = await self._try_route(event, facts, account_id, team, rule)
            if outcome is not None:
                return outcome
            await pause_before_retry(attempt)
        raise RuntimeError(f"team {team.id} kept changing while routing {event.id}")

    async def _try_route(
        self,
        event: TransitionEvent,
        facts: LeadFacts,
        account_id: str | None,
        team: Team,
        rule: RoutingRule,
    ) -> list[Pending] | None:
        now = self.clock()
        day = team_day(team, now)
        lead_id = event.data.entity_id
        store = self.store
        read = await self.runtime.until_redis_answers(
            lambda: store.read(team.id, day, lead_id, account_id, transition_id=event.id),
            "routing read",
        )
        if read.processed:
            self.counters.duplicates += 1
            return []
        pick = decide(team, read.snapshot, lead_id, account_id, now)
        assigned = first_assignment(event.id, event.data, facts, team, rule, pick, now)
        case = None
        if rule.sla is not None:
            sla = rule.sla
            case = open_case(
                assigned, team, ms(event.data.at), sla.first_touch, sla.max_reassignments
            )
        event_id, body = encoded(assigned)
        # The lead's newest routing sets its clock: an earlier one (its MQL's, now that
        # it is an SQL) stops, so one lead never runs two breach chains in one team.
        superseded = read.open_case if case is not None and read.open_case != event.id else None
        change = TeamWrite(
            version=read.version,
            day=day,
            now_ms=ms(now),
            transition_id=event.id,
            case_action="set" if case is not None else "keep",
            case=case,
            lead_id=lead_id,
            superseded=superseded or "",
            counted=pick.counted,
            credit=pick.credit,
            claims=pick.claims,
            events=[(event_id, body)],
        )
        result = await self.runtime.until_redis_answers(
            lambda: store.write(team.id, change), "routing write"
        )
        if result == "stale":
            return None
        if result == "done":
            self.counters.duplicates += 1
            return []
        self.counters.assigned += 1
        log.info("%s → %s/%s (%s): %s", lead_id, team.id, pick.owner.id, rule.name, pick.reason)
        return [(team.id, event_id, body)]
