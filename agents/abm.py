"""The ABM signals step: routing-topic transitions and scored signals in, ABM CloudEvents
out on ``leadq.abm``, keyed by account.

A batch is handled in four steps: decode (what fails goes to the dead-letter topic with
the reason); count the intent points of the signals into their accounts' event-time days
(``streams.abm``: once per event and rule, atomically with the de-duplication mark); read
each account touched (its marks and days, and its state through the engine's read side)
and decide (``leadq.abm.decide``); publish the signals, wait for the broker, and only
then write the marks.

Guarantees: at least once in (the caller commits offsets after ``handle`` returned);
idempotent state (a re-delivered signal is not counted twice, a handled transition is
remembered); at least once out with deterministic ids (a crash between publishing and
marking re-publishes the same ids, which consumers drop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from leadq.abm.context import context_from_state, context_from_transition
from leadq.abm.decide import Reading, decide, surge_signal
from leadq.abm.points import AccountPoints, account_points
from leadq.abm.surge import window_days
from leadq.compiled import CompiledRules
from leadq.state import AccountState
from leadq.transitions import engaged_window_ms
from schemas.abm import AbmData, AbmEvent, to_abm_event
from schemas.routed import decode_routed
from schemas.transition import TransitionData, TransitionEvent
from streams.abm.store import AbmStore

log = logging.getLogger("leadq.abm")
_transition = TypeAdapter(TransitionEvent)
#: Accounts evaluated at once.
CONCURRENCY = 16
#: Attempts at writing an account's marks when another consumer wrote them meanwhile.
MARK_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class InRecord:
    """A consumed record, as much of it as this step needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(slots=True)
class _Batch:
    points: list[AccountPoints] = field(default_factory=list)
    #: account → new account-track transitions (CloudEvent id, data), in order.
    transitions: dict[str, list[tuple[str, TransitionData]]] = field(default_factory=dict)
    #: account → the newest transition carrying its context (for accounts the engine's
    #: state does not show yet).
    snapshots: dict[str, TransitionData] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    rejected: list[tuple[InRecord, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outcome:
    published: int
    #: Accounts with points but neither engine state nor a transition yet.
    unknown: frozenset[str]


#: What the step needs from its host: the rules, an account's engine state, publishing.
ReadAccount = Callable[[str], Awaitable[AccountState | None]]
Publish = Callable[[Sequence[AbmEvent]], Awaitable[None]]
DeadLetter = Callable[[Sequence[tuple[InRecord, str]]], Awaitable[None]]


class AbmStep:
    def __init__(
        self,
        *,
        routing_topic: str,
        signals_topic: str,
        store: AbmStore,
        rules: Callable[[], CompiledRules],
        read_account: ReadAccount,
        publish: Publish,
        dead_letter: DeadLetter,
    ) -> None:
        self.routing_topic = routing_topic
        self.signals_topic = signals_topic
        self.store = store
        self.rules = rules
        self.read_account = read_account
        self.publish = publish
        self.dead_letter = dead_letter

    async def handle(self, records: Sequence[InRecord]) -> Outcome:
        """Handle a batch: what was published, and the accounts not known yet."""
        batch = self._decode(records)
        if batch.rejected:
            await self.dead_letter(batch.rejected)
        if batch.points:
            await self.store.record(batch.points)
        return await self._evaluate_all(batch)

    async def revisit(self, accounts: Collection[str]) -> Outcome:
        """Evaluate accounts again (those the engine's state did not show yet)."""
        return await self._evaluate_all(_Batch(touched=set(accounts)))

    async def _evaluate_all(self, batch: _Batch) -> Outcome:
        limit = asyncio.Semaphore(CONCURRENCY)

        async def evaluate(account_id: str) -> int | None:
            async with limit:
                return await self._evaluate(account_id, batch)

        accounts = sorted(batch.touched)
        counts = await asyncio.gather(*(evaluate(a) for a in accounts))
        unknown = frozenset(a for a, n in zip(accounts, counts, strict=True) if n is None)
        return Outcome(sum(n or 0 for n in counts), unknown)

    def _decode(self, records: Sequence[InRecord]) -> _Batch:
        batch = _Batch()
        rules = self.rules()
        for record in records:
            try:
                if record.topic == self.routing_topic:
                    self._take_transition(batch, _transition.validate_json(record.value))
                elif record.topic == self.signals_topic:
                    found = account_points(decode_routed(record.value), rules)
                    batch.points += found
                    batch.touched.update(p.account_id for p in found)
            except ValidationError as error:
                reason = f"abm: invalid {record.topic} record: {error}"
                batch.rejected.append((record, reason))
        return batch

    def _take_transition(self, batch: _Batch, event: TransitionEvent) -> None:
        data = event.data
        account_id = data.account.account_id if data.account else None
        if account_id is None:
            return
        batch.touched.add(account_id)
        batch.snapshots[account_id] = data
        if data.entity == "account" and data.track == "account":
            batch.transitions.setdefault(account_id, []).append((event.id, data))

    async def _evaluate(self, account_id: str, batch: _Batch) -> int | None:
        """Decide, publish and mark one account; returns the number of events published,
        ``None`` when nothing is known about the account yet (no state, no transition)."""
        transitions = batch.transitions.get(account_id, [])
        published = 0
        for _ in range(MARK_ATTEMPTS):
            rules = self.rules()
            stored = await self.store.read(account_id, [t for t, _ in transitions])
            state = await self.read_account(account_id)
            snapshot = batch.snapshots.get(account_id)
            if state is not None:
                context = context_from_state(state, rules)
            elif snapshot is not None and (found := context_from_transition(snapshot, rules)):
                context = found
            else:
                return None  # nothing known yet: revisited, or decided at its next touch
            fresh = [(t, d) for t, d in transitions if t not in stored.handled]
            reading = Reading(
                context, state is not None, fresh, stored.day_totals, stored.newest_day,
                engaged_window_ms(rules),
            )  # fmt: skip
            thresholds = self.store.thresholds
            decision = decide(stored.marks, reading, thresholds)
            signals: list[AbmData] = list(decision.signals)
            if decision.surge is not None:
                days = window_days(decision.surge.measure.end_day, thresholds)
                by_rule, by_person = await self.store.window_points(account_id, days)
                signals.append(
                    surge_signal(decision.surge, context, thresholds, by_rule, by_person)
                )
            if signals:
                await self.publish([to_abm_event(s) for s in signals])
                published += len(signals)
            if decision.marks == stored.marks and not fresh:
                return published
            handled = [t for t, _ in fresh]
            if await self.store.mark(account_id, stored.version, decision.marks, handled):
                return published
        log.warning("abm: marks of %s kept changing; decided again at its next touch", account_id)
        return published
