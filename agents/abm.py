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

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from leadq.abm.context import context_from_state, context_from_transition
from leadq.abm.decide import Reading, SurgeStart, decide, surge_signal
from leadq.abm.points import AccountPoints, account_points
from leadq.abm.surge import window_days
from leadq.compiled import CompiledRules
from leadq.state import AccountState
from leadq.transitions import engaged_window_ms
from schemas.abm import AbmAccount, AbmData, AbmEvent, to_abm_event
from schemas.routed import decode_routed
from schemas.transition import TransitionData, TransitionEvent
from streams.abm.store import AbmStore, Marking

log = logging.getLogger("leadq.abm")
_transition = TypeAdapter(TransitionEvent)
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
    #: account → the newest signal with its points: (source ``topic/partition``,
    #: offset); its engine state is current once the bucket's watermark reached it.
    needs: dict[str, Need] = field(default_factory=dict)
    rejected: list[tuple[InRecord, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Plan:
    """One account's decision: the signals to publish, then the marks to write."""

    signals: list[AbmData]
    surge: SurgeStart | None
    context: AbmAccount
    marking: Marking
    #: Whether there is anything to write (new marks or handled transitions).
    changed: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    published: int
    #: Accounts to look at again, with what their state must have applied: those whose
    #: points the worker had not applied when they were read (its state unknown, or
    #: its bucket's watermark short of the signal), so a persona may still appear.
    later: Mapping[str, Need]


@dataclass(frozen=True, slots=True)
class AccountRead:
    """An account's engine state and its bucket's watermark (``topic/partition`` → the
    last offset applied)."""

    state: AccountState | None
    applied: Mapping[str, int]


#: (source ``topic/partition``, offset) of a signal on the signals topic.
Need = tuple[str, int]
#: What the step needs from its host: the rules, an account's engine state, publishing.
ReadAccounts = Callable[[Sequence[str]], Awaitable[Mapping[str, AccountRead]]]
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
        read_accounts: ReadAccounts,
        publish: Publish,
        dead_letter: DeadLetter,
    ) -> None:
        self.routing_topic = routing_topic
        self.signals_topic = signals_topic
        self.store = store
        self.rules = rules
        self.read_accounts = read_accounts
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

    async def revisit(self, needs: Mapping[str, Need]) -> Outcome:
        """Evaluate accounts again (those the engine's state did not show yet)."""
        return await self._evaluate_all(_Batch(touched=set(needs), needs=dict(needs)))

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
                    need = (f"{record.topic}/{record.partition}", record.offset)
                    for account_id in {p.account_id for p in found}:
                        batch.touched.add(account_id)
                        batch.needs[account_id] = max(batch.needs.get(account_id, need), need)
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

    async def _evaluate_all(self, batch: _Batch) -> Outcome:
        """Decide, publish and mark every touched account: one round trip per step for
        all of them. Accounts whose marks another writer changed meanwhile are decided
        again (at most ``MARK_ATTEMPTS`` times, then at their next touch)."""
        pending = sorted(batch.touched)
        published, later = 0, dict[str, Need]()
        for _ in range(MARK_ATTEMPTS):
            if not pending:
                break
            plans, behind = await self._plan(pending, batch)
            later |= {account_id: batch.needs[account_id] for account_id in behind}
            events = [to_abm_event(s) for plan in plans.values() for s in plan.signals]
            if events:
                await self.publish(events)
                published += len(events)
            changed = [plan.marking for plan in plans.values() if plan.changed]
            written = await self.store.mark(changed) if changed else []
            pending = [m.account_id for m, ok in zip(changed, written, strict=True) if not ok]
        if pending:
            log.warning("abm: marks of %s kept changing; decided at their next touch", pending)
        return Outcome(published, later)

    async def _plan(
        self, accounts: Sequence[str], batch: _Batch
    ) -> tuple[dict[str, _Plan], set[str]]:
        """What to publish and remember for each account that is known (by its state or a
        transition), and the accounts whose points the state had not applied yet."""
        rules, thresholds = self.rules(), self.store.thresholds
        transitions = {a: batch.transitions.get(a, []) for a in accounts}
        stored = await self.store.read_many(
            {a: [t for t, _ in ts] for a, ts in transitions.items()}
        )
        reads = await self.read_accounts(accounts)
        plans: dict[str, _Plan] = {}
        behind: set[str] = set()
        for account_id in accounts:
            read, snapshot = reads[account_id], batch.snapshots.get(account_id)
            state, need = read.state, batch.needs.get(account_id)
            if need is not None and (state is None or read.applied.get(need[0], -1) < need[1]):
                behind.add(account_id)
            if state is not None:
                context: AbmAccount | None = context_from_state(state, rules)
            else:
                context = context_from_transition(snapshot, rules) if snapshot else None
            if context is None:
                continue  # nothing known yet: revisited, or decided at its next touch
            held = stored[account_id]
            fresh = [(t, d) for t, d in transitions[account_id] if t not in held.handled]
            reading = Reading(
                context, state is not None, fresh, held.day_totals, held.newest_day,
                engaged_window_ms(rules),
            )  # fmt: skip
            decision = decide(held.marks, reading, thresholds)
            marking = Marking(account_id, held.version, decision.marks, [t for t, _ in fresh])
            changed = decision.marks != held.marks or bool(fresh)
            plans[account_id] = _Plan(
                list(decision.signals), decision.surge, context, marking, changed
            )
        await self._add_surges(plans)
        return plans, behind

    async def _add_surges(self, plans: dict[str, _Plan]) -> None:
        """Complete the surges with the rules and people behind them (one round trip)."""
        thresholds = self.store.thresholds
        starting = {a: p.surge for a, p in plans.items() if p.surge is not None}
        if not starting:
            return
        behind = await self.store.window_points(
            {a: window_days(start.measure.end_day, thresholds) for a, start in starting.items()}
        )
        for account_id, start in starting.items():
            by_rule, by_person = behind[account_id]
            plan = plans[account_id]
            plan.signals.append(surge_signal(start, plan.context, thresholds, by_rule, by_person))
