"""The Redis state store: identity resolution, batched atomic apply, timers, outbox.

Guarantees:
- ``apply`` is idempotent per source partition offset and per event id: applying the
  same routed signals again (a crash before the Kafka commit) changes nothing.
- Every transition is appended to its bucket's outbox stream in the same atomic script
  call that changed the state; callers publish what ``apply`` returns and then ``ack``
  it, and ``unacked`` finds what a crashed caller left behind (at least once).
- One pipelined round trip reads the batch's state, one applies it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, WatchError

from leadq.compiled import CompiledRules
from leadq.identity import domain_candidate, identity_keys, new_account_domain, previous_keys
from leadq.membership import join_account, leave_account
from leadq.merge import merge_leads
from leadq.stages import account_due
from leadq.state import AccountState, LeadState
from schemas.routed import RoutedSignal
from schemas.signal import Signal
from schemas.transition import TransitionData
from streams.codec import (
    account_facts,
    decode_account,
    decode_lead,
    decode_record,
    encode_account,
    encode_lead,
    lead_facts,
    lead_offsets,
    unpack,
)
from streams.engine_config import packed_engine_config
from streams.keys import Keys, indexed_lead
from streams.prepare import ProfileCache, prepare_account_only, prepare_event
from streams.scripts import register


def _bytes(value: object) -> bytes | None:
    """A raw reply; the store's client must not decode responses."""
    if value is None or isinstance(value, bytes):
        return value
    raise TypeError(
        f"expected bytes from Redis, got {type(value).__name__}: use a client "
        "without decode_responses"
    )


def _restructures(routed: RoutedSignal) -> bool:
    """Whether applying ``routed`` first moves its lead between accounts or merges leads."""
    moves = routed.previous_account != routed.account_id and not routed.new_lead
    return routed.lead_id is not None and (moves or bool(routed.absorbed))


def _text(value: object) -> str | None:
    raw = _bytes(value)
    return raw.decode() if raw is not None else None


def _extra(raw: bytes) -> dict[str, Any]:
    """Blob fields the engine state does not model (offsets, merged-from list)."""
    blob = unpack(raw)
    return {key: blob[key] for key in ("of", "mf") if key in blob}


#: Merges followed from a signal's lead to the lead that now holds it (a → e → u is 2).
MAX_MERGE_HOPS = 8
#: Moves and merges of one phase run concurrently, this many at a time.
RESTRUCTURE_CONCURRENCY = 16
#: Signals per resolve.lua call (a call blocks Redis; ~10 µs per signal).
RESOLVE_CHUNK = 500
#: Events per apply.lua call, about (a call blocks Redis; ~40 µs per event): a bucket
#: with more in one batch gets several calls, in order.
APPLY_CHUNK = 256
#: A lead blob left behind by a merge points at the survivor for this long.
TOMBSTONE_TTL_S = 7 * 86_400


@dataclass(frozen=True, slots=True)
class Emitted:
    """A transition and where its outbox entry is, for ``ack``."""

    transition: TransitionData
    bucket: int
    entry_id: str


@dataclass
class ApplyResult:
    emitted: list[Emitted] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    #: Positions of batch items whose lead turned out to be merged meanwhile.
    merged: list[int] = field(default_factory=list)

    def add(self, other: ApplyResult) -> None:
        """Fold in another result (``merged`` positions are per call, so not carried)."""
        self.emitted += other.emitted
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count


@dataclass
class _Run:
    """Consecutive signals of one lead, applied in order by apply.lua."""

    lead_id: str | None
    account_id: str | None
    bucket: int
    domain: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    #: Fire decay-driven moves due up to this time first (timer runs).
    fire_until: int | None = None
    #: Positions in the applied batch of this run's events.
    items: list[int] = field(default_factory=list)
    #: The profile the run's latest event carries (apply.lua keeps it for the next).
    profile: object = None

    def add(self, event: dict[str, Any], position: int) -> None:
        """Append an event; its profile is left out when it is the previous one's."""
        profile = event.get("pf")
        if profile is not None and profile is self.profile:
            del event["pf"]
        elif profile is not None:
            self.profile = profile
        self.events.append(event)
        self.items.append(position)


@dataclass(eq=False)
class _Pending:
    """A batch item waiting for its phase of ``QualifierStore.apply``."""

    position: int
    item: tuple[RoutedSignal, str, int | None]
    #: Its move or merge was done; what is left is to apply it.
    restructured: bool = False

    def entities(self) -> set[str]:
        """The leads (``L:``) and accounts (``A:``) applying this item reads or writes."""
        routed = self.item[0]
        found = {f"L:{routed.lead_id}", f"A:{routed.account_id}"}
        if not self.restructured and _restructures(routed):
            found.add(f"A:{routed.previous_account}")
            for absorbed_id, absorbed_account in routed.absorbed:
                found |= {f"L:{absorbed_id}", f"A:{absorbed_account}"}
        found -= {"L:None", "A:None"}
        return found


def _schedule(
    pending: Sequence[_Pending],
) -> tuple[list[_Pending], list[_Pending], list[_Pending]]:
    """Split ``pending`` (in batch order) into (items to apply now, items whose move or
    merge runs after those, items for a later phase).

    A move or merge blocks the leads and accounts it involves for the rest of the phase;
    an item touching a blocked one waits and blocks its own too, so each lead and
    account keeps its batch order. The first move or merge is never blocked: every
    phase makes progress.
    """
    ready: list[_Pending] = []
    restructures: list[_Pending] = []
    later: list[_Pending] = []
    blocked: set[str] = set()
    for p in pending:
        entities = p.entities()
        if entities & blocked:
            later.append(p)
            blocked |= entities
        elif not p.restructured and _restructures(p.item[0]):
            restructures.append(p)
            later.append(p)
            blocked |= entities
        else:
            ready.append(p)
    return ready, restructures, later


def _fire_order(due: Sequence[tuple[int, int, str]], accounts: dict[str, str | None]) -> list[_Run]:
    """The runs of one timer round, from (due ms, bucket, ``L:``/``A:`` member) sorted.

    A fired lead is re-filed at its next due time (MQL can recycle after PQL lapsed),
    which may come before a later entry of this round. That only matters for its
    account: the lead's explanation shows the account's stage, so the account must not
    cool before the lead's next due time. So once a lead of an account has fired in a
    round, that account's entry and its other leads' later entries wait for the next
    round, where everything is sorted again (as ``World.advance``'s heap does).
    """
    runs: list[_Run] = []
    fired_leads_of: set[str] = set()
    deferred: set[str] = set()
    for due_ms, bucket, member in due:
        entity_id = member[2:]
        if member.startswith("L:"):
            account_id = accounts.get(entity_id)
            if account_id in deferred:
                continue
            if account_id is not None:
                fired_leads_of.add(account_id)
            runs.append(_Run(entity_id, account_id, bucket, None, fire_until=due_ms))
        elif entity_id in fired_leads_of:
            deferred.add(entity_id)
        else:
            runs.append(_Run(None, entity_id, bucket, None, fire_until=due_ms))
    return runs


class QualifierStore:
    """leadq's state in Redis. Share one instance per process; it is not thread-safe."""

    def __init__(self, client: Redis, rules: CompiledRules, keys: Keys | None = None) -> None:
        self.client = client
        self.keys = keys or Keys()
        self._restructuring = asyncio.Semaphore(RESTRUCTURE_CONCURRENCY)
        self._apply = register(client, "apply")
        self._resolve = register(client, "resolve")
        self._take = register(client, "take_for_merge")
        self.set_rules(rules)

    def set_rules(self, rules: CompiledRules) -> None:
        """Use new rules from the next call on (hot reload)."""
        self.rules = rules
        self._config = packed_engine_config(rules)

    # ------------------------------------------------------------- identity
    async def resolve(self, signals: Sequence[Signal]) -> list[RoutedSignal]:
        """Route each signal to its lead and account, in order, as if one by one: a
        signal sees the identities every earlier signal of the batch wrote. One script
        call per ``RESOLVE_CHUNK`` signals, pipelined: one round trip."""
        id_keys = [self.keys.identities(), self.keys.lead_accounts(), self.keys.lead_keys()]
        requests = [
            {
                "keys": identity_keys(signal),
                "prev": previous_keys(signal),
                "acct": signal.account.id or "",
                "dom": domain_candidate(signal, self.rules.free_mail) or "",
            }
            for signal in signals
        ]
        calls = [
            (id_keys, [msgpack.packb(requests[start : start + RESOLVE_CHUNK])])
            for start in range(0, len(requests), RESOLVE_CHUNK)
        ]
        replies = [
            reply for raw in await self._scripts(self._resolve, calls) for reply in unpack(raw)
        ]
        return [self._routed(s, r) for s, r in zip(signals, replies, strict=True)]

    async def _scripts(
        self, script: AsyncScript, calls: Sequence[tuple[list[str], list[Any]]]
    ) -> list[Any]:
        """Run ``script`` once per (keys, args) in one pipelined round trip; the replies in
        order. EVALSHA goes straight into the pipeline (redis-py's script objects would
        add a SCRIPT EXISTS round trip per pipeline); calls refused with NOSCRIPT (a
        restarted Redis) load the script and run again: a refused call did not run."""
        if not calls:
            return []
        if len(calls) == 1:
            keys, args = calls[0]
            return [await script(keys=keys, args=args)]
        async with self.client.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            script.sha = await self.client.script_load(script.script)
            retried = await self._scripts(script, [calls[i] for i in missing])
            for i, reply in zip(missing, retried, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    @staticmethod
    def _routed(signal: Signal, reply: list[Any]) -> RoutedSignal:
        lead, absorbed, account, previous, absorbed_accounts, new_lead = reply
        if lead is False and signal.account.id:
            account = signal.account.id
        # Built without validation: every value comes typed from resolve.lua or is the
        # already validated signal (validating ~1 model per signal showed in profiles).
        return RoutedSignal.model_construct(
            lead_id=lead or None,
            account_id=account or None,
            previous_account=previous or None,
            new_lead=bool(new_lead),
            absorbed=tuple(
                zip(absorbed or [], [a or None for a in absorbed_accounts or []], strict=True)
            ),
            signal=signal,
        )

    # ---------------------------------------------------------------- apply
    async def apply(
        self, batch: Sequence[tuple[RoutedSignal, str, int | None]], depth: int = 0
    ) -> ApplyResult:
        """Apply (routed signal, source partition, offset) items in order, atomically per lead.

        Items addressed to a lead that was merged into another (its events were in flight
        when an identify stitched it) are applied to the lead that absorbed it. An item that
        moves its lead to another account or merges leads into it is a barrier for the
        leads and accounts it involves: their earlier items are applied first (a lead's
        first events and the group call that moves it can share a batch), their later
        items after it. Items of other leads and accounts do not wait for it, so a batch
        runs in phases (one read and one apply round trip each, the phase's moves and
        merges concurrently), as many as its longest chain of dependent restructures.
        Each lead and account sees its items in batch order; only the order between
        unrelated leads changes.
        """
        result = ApplyResult()
        pending = [_Pending(position, item) for position, item in enumerate(batch)]
        while pending:
            ready, restructures, later = _schedule(pending)
            barrier = restructures[0].position if restructures else None
            requeued: list[_Pending] = []
            if ready:
                applied, requeued = await self._apply_segment(ready, depth, barrier)
                result.add(applied)
            outcomes = await asyncio.gather(
                *(self._restructure_bounded(p.item[0]) for p in restructures),
                return_exceptions=True,
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            for p in restructures:
                p.restructured = True
            pending = sorted(later + requeued, key=lambda p: p.position)
        return result

    async def _restructure_bounded(self, routed: RoutedSignal) -> None:
        """A move or merge, at most ``RESTRUCTURE_CONCURRENCY`` at a time: each holds a
        connection for its WATCH transaction, and a batch full of group calls must not
        exhaust the client's pool (redis-py's default is 100 connections)."""
        async with self._restructuring:
            await self._restructure(routed)

    async def _apply_segment(
        self, pending: Sequence[_Pending], depth: int, barrier: int | None = None
    ) -> tuple[ApplyResult, list[_Pending]]:
        """Apply items that need no move or merge: one read and one apply round trip.

        Returns the result and the items left for the next phase: an item at or after
        ``barrier`` (the position of the phase's first move or merge) addressed to a lead
        merged meanwhile may belong to a lead that move or merge involves, so it and the
        items after it wait for it instead of being redirected now.
        """
        batch = [p.item for p in pending]
        leads, accounts, merged = await self._read(batch)
        left: list[_Pending] = []
        if merged and barrier is not None:
            cut = next(
                (
                    i
                    for i, p in enumerate(pending)
                    if p.position >= barrier and p.item[0].lead_id in merged
                ),
                None,
            )
            if cut is not None:
                left, batch = list(pending[cut:]), batch[:cut]
                if not batch:
                    return ApplyResult(), left
                kept = {routed.lead_id for routed, _, _ in batch}
                merged = {lead: survivor for lead, survivor in merged.items() if lead in kept}
        for _ in range(MAX_MERGE_HOPS):  # a → e → u: an anonymous lead renamed twice
            if not merged:
                break
            batch = await self._redirect(batch, merged)
            leads, accounts, merged = await self._read(batch)
        if merged:
            raise RuntimeError(f"merge chain longer than {MAX_MERGE_HOPS} hops: {merged}")
        runs = self._prepare(batch, leads, accounts)
        result = await self._run_all(runs)
        if result.merged and depth < 3:
            # A lead merged between our read and the script (rare): re-route those items.
            result.add(await self.apply([batch[i] for i in result.merged], depth + 1))
        return result, left

    async def _read(
        self, batch: Sequence[tuple[RoutedSignal, str, int | None]]
    ) -> tuple[
        dict[str, tuple[LeadState, dict[str, int]]], dict[str, AccountState], dict[str, str]
    ]:
        """The facts of the batch's leads and accounts that preparing signals needs (see
        ``codec.lead_facts``), with offsets, and {merged lead id: survivor id}."""
        lead_ids = {r.lead_id: r.account_id for r, _, _ in batch if r.lead_id}
        account_ids = {r.account_id for r, _, _ in batch if r.account_id}
        # One MGET per bucket (one slot each, so it works on Redis Cluster too).
        by_bucket: dict[int, list[tuple[str, str]]] = {}
        for lead_id, account_id in lead_ids.items():
            bucket = self.keys.bucket(lead_id, account_id)
            by_bucket.setdefault(bucket, []).append(("L", lead_id))
        for account_id in account_ids:
            by_bucket.setdefault(self.keys.bucket("", account_id), []).append(("A", account_id))
        async with self.client.pipeline(transaction=False) as pipe:
            for bucket, wanted in by_bucket.items():
                pipe.mget(
                    [
                        self.keys.lead(bucket, entity_id)
                        if kind == "L"
                        else self.keys.account(bucket, entity_id)
                        for kind, entity_id in wanted
                    ]
                )
            replies = await pipe.execute()
        leads: dict[str, tuple[LeadState, dict[str, int]]] = {}
        accounts: dict[str, AccountState] = {}
        merged: dict[str, str] = {}
        for wanted, values in zip(by_bucket.values(), replies, strict=True):
            for (kind, entity_id), raw in zip(wanted, values, strict=True):
                blob = unpack(raw) if raw else None
                if kind == "A":
                    accounts[entity_id] = (
                        account_facts(entity_id, blob) if blob else AccountState(entity_id)
                    )
                elif blob is None:
                    leads[entity_id] = (LeadState(lead_id=entity_id), {})
                elif "mg" in blob:
                    merged[entity_id] = blob["mg"]
                else:
                    leads[entity_id] = (lead_facts(entity_id, blob), lead_offsets(blob))
        return leads, accounts, merged

    def _prepare(
        self,
        batch: Sequence[tuple[RoutedSignal, str, int | None]],
        leads: dict[str, tuple[LeadState, dict[str, int]]],
        accounts: dict[str, AccountState],
    ) -> list[_Run]:
        runs: list[_Run] = []
        profiles: ProfileCache = {}
        for position, (routed, source, offset) in enumerate(batch):
            account = accounts.get(routed.account_id) if routed.account_id else None
            if routed.lead_id is None:
                if account is None:
                    continue
                event = prepare_account_only(account, routed.signal)
            else:
                lead, offsets = leads[routed.lead_id]
                event = prepare_event(
                    lead, account, offsets, routed.signal, source, offset, self.rules, profiles
                )
            last = runs[-1] if runs else None
            if last is None or (last.lead_id, last.account_id) != (
                routed.lead_id,
                routed.account_id,
            ):
                domain = (
                    new_account_domain(routed.signal, routed.account_id)
                    if routed.account_id
                    else None
                )
                bucket = self.keys.bucket(routed.lead_id or "", routed.account_id)
                last = _Run(routed.lead_id, routed.account_id, bucket, domain)
                runs.append(last)
            last.add(event, position)
        return runs

    async def _run_all(self, runs: list[_Run]) -> ApplyResult:
        """Apply ``runs``: one apply.lua call per bucket (its runs in order; a bucket with
        more than ``APPLY_CHUNK`` events gets several calls, in order), pipelined."""
        groups: dict[int, list[list[_Run]]] = {}
        sizes: dict[int, int] = {}
        for run in runs:
            chunks = groups.setdefault(run.bucket, [[]])
            if sizes.get(run.bucket, 0) >= APPLY_CHUNK:
                chunks.append([])
                sizes[run.bucket] = 0
            chunks[-1].append(run)
            sizes[run.bucket] = sizes.get(run.bucket, 0) + max(1, len(run.events))
        calls = [chunk for chunks in groups.values() for chunk in chunks]
        replies = await self._scripts(
            self._apply, [self._apply_call(chunk[0].bucket, chunk) for chunk in calls]
        )
        result = ApplyResult()
        for chunk, reply in zip(calls, replies, strict=True):
            for run, run_reply in zip(chunk, unpack(reply), strict=True):
                self._collect(result, run, run_reply)
        return result

    @staticmethod
    def _collect(result: ApplyResult, run: _Run, reply: list[Any]) -> None:
        statuses, transitions, *merged_into = reply
        if merged_into:
            result.merged += run.items
            return
        for status in statuses or []:
            result.statuses[status] = result.statuses.get(status, 0) + 1
        result.emitted += [
            Emitted(decode_record(record), run.bucket, entry_id)
            for entry_id, record in transitions or []
        ]

    def _apply_call(self, bucket: int, runs: list[_Run]) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of one apply.lua call for ``runs`` of ``bucket``."""
        keys = self.keys
        script_keys = [keys.outbox(bucket), keys.due(bucket)]
        for run in runs:
            script_keys += [
                keys.lead(bucket, run.lead_id or ""),
                keys.account(bucket, run.account_id) if run.account_id else keys.no_account(bucket),
            ]
        packed = [
            [
                run.lead_id or "",
                run.account_id or "",
                run.domain or "",
                False if run.fire_until is None else run.fire_until,
                run.events,
            ]
            for run in runs
        ]
        return script_keys, [self._config, msgpack.packb(packed)]

    # ------------------------------------------------- moves and merges (rare)
    async def _restructure(self, routed: RoutedSignal) -> None:
        """Move a lead that changed account, and fold in leads an identify merged.

        Each step is an optimistic transaction on one slot and idempotent, so a crash
        between steps is repaired when the signal is re-delivered.
        """
        lead_id = routed.lead_id
        if lead_id is None:
            return
        domain = new_account_domain(routed.signal, routed.account_id) if routed.account_id else None
        if routed.previous_account != routed.account_id and not routed.new_lead:
            await self._move(lead_id, routed.previous_account, routed.account_id, domain)
        for absorbed_id, absorbed_account in routed.absorbed:
            await self._merge(lead_id, routed.account_id, domain, absorbed_id, absorbed_account)

    async def _transact(
        self,
        keys: list[str],
        change: Callable[[list[bytes | None]], dict[str, bytes | None]],
        rescheduled: list[AccountState] | None = None,
    ) -> None:
        """Read ``keys`` (all of one slot), let ``change`` compute new values (None
        deletes), write them atomically, with the decay due time of every account
        ``change`` left in ``rescheduled`` (accounts of that slot); retried while another
        client changes a watched key. Three round trips: WATCH, MGET, MULTI/EXEC."""
        while True:
            async with self.client.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(*keys)
                    values = [_bytes(value) for value in await pipe.mget(keys)]
                    writes = change(values)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    for key, value in writes.items():
                        if value is None:
                            pipe.delete(key)
                        else:
                            pipe.set(key, value)
                    for account in rescheduled or []:
                        self._reschedule(pipe, account)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    def _account_of(self, account_id: str, raw: bytes | None, domain: str | None) -> AccountState:
        return decode_account(account_id, raw) if raw else AccountState(account_id, domain=domain)

    async def _move(
        self, lead_id: str, old_account: str | None, new_account: str | None, domain: str | None
    ) -> None:
        keys = self.keys
        old_bucket, new_bucket = (
            keys.bucket(lead_id, old_account),
            keys.bucket(lead_id, new_account),
        )
        old_key, new_key = keys.lead(old_bucket, lead_id), keys.lead(new_bucket, lead_id)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.get(old_key)
            pipe.get(new_key)
            raw_old, raw_new = (_bytes(value) for value in await pipe.execute())
        if raw_old is None and raw_new is None:
            return  # no state anywhere yet (a renamed lead's is in the leads it absorbs)
        moved: list[LeadState] = []
        joined: list[AccountState] = []

        def join(values: list[bytes | None]) -> dict[str, bytes | None]:
            raw = values[0] or raw_old
            if raw is None or "mg" in unpack(raw):
                return {}
            lead = decode_lead(lead_id, raw)
            moved.append(lead.clone())
            writes: dict[str, bytes | None] = {}
            if new_account is not None:
                account = self._account_of(new_account, values[1], domain)
                join_account(lead, account, self.rules)
                joined[:] = [account]
                writes[keys.account(new_bucket, new_account)] = encode_account(account)
            lead.account_id = new_account
            writes[new_key] = encode_lead(lead, _extra(raw))
            return writes

        watched = [new_key] + ([keys.account(new_bucket, new_account)] if new_account else [])
        await self._transact(watched, join, joined)
        if not moved:
            return
        if old_account is not None:
            await self._leave(moved[0], old_account, old_bucket)
        if old_bucket != new_bucket:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.delete(old_key)
                pipe.zrem(keys.due(old_bucket), f"L:{lead_id}")
                await pipe.execute()

    async def _leave(self, lead: LeadState, account_id: str, bucket: int) -> None:
        """Take ``lead`` (as it was when it left) out of an account; idempotent."""
        account_key = self.keys.account(bucket, account_id)
        left: list[AccountState] = []

        def leave(values: list[bytes | None]) -> dict[str, bytes | None]:
            if values[0] is None:
                return {}
            account = decode_account(account_id, values[0])
            leave_account(lead, account)
            left[:] = [account]
            return {account_key: encode_account(account)}

        await self._transact([account_key], leave, left)

    def _reschedule(self, pipe: Pipeline, account: AccountState) -> None:
        """Queue the re-filing of an account's decay due time after Python changed its
        score (a member joined, left or merged); the scripts keep it current otherwise."""
        due_key = self.keys.due(self.keys.bucket("", account.account_id))
        due = account_due(account, self.rules)
        if due is None:
            pipe.zrem(due_key, f"A:{account.account_id}")
        else:
            pipe.zadd(due_key, {f"A:{account.account_id}": due})

    async def _merge(
        self,
        lead_id: str,
        account_id: str | None,
        domain: str | None,
        absorbed_id: str,
        absorbed_account: str | None,
    ) -> None:
        """Fold an absorbed lead into ``lead_id``. Its blob is first swapped for a tombstone
        holding its state (atomically, so a concurrent apply is refused and redirected, and
        a crash loses nothing); every later step is idempotent."""
        keys = self.keys
        old_bucket = keys.bucket(absorbed_id, absorbed_account)
        old_key = keys.lead(old_bucket, absorbed_id)
        raw = _bytes(
            await self._take(
                keys=[old_key, f"{old_key}:merged", keys.due(old_bucket)],
                args=[lead_id, TOMBSTONE_TTL_S, f"L:{absorbed_id}"],
            )
        )
        if raw is None:  # no state yet (its events may be in flight): the tombstone waits
            return
        absorbed = decode_lead(absorbed_id, raw)
        if absorbed_account is not None:
            await self._leave(absorbed, absorbed_account, old_bucket)
        await self._fold(lead_id, account_id, domain, absorbed)
        # Folded (the survivor remembers it: a re-run folds nothing), so the kept state
        # is not needed any more; a re-run of this merge finds none and stops above.
        await self.client.delete(f"{old_key}:merged")

    async def _fold(
        self, lead_id: str, account_id: str | None, domain: str | None, absorbed: LeadState
    ) -> None:
        """Merge ``absorbed`` into the lead with the engine's merge (once: the lead's blob
        remembers which leads it absorbed)."""
        bucket = self.keys.bucket(lead_id, account_id)
        lead_key = self.keys.lead(bucket, lead_id)
        account_key = self.keys.account(bucket, account_id) if account_id else None

        def fold(values: list[bytes | None]) -> dict[str, bytes | None]:
            extra = _extra(values[0]) if values[0] else {}
            merged_from = list(extra.get("mf", []))
            if absorbed.lead_id in merged_from:
                return {}
            lead = decode_lead(lead_id, values[0]) if values[0] else LeadState(lead_id)
            account = (
                self._account_of(account_id, values[1], domain)
                if account_id and account_key
                else None
            )
            if account is not None:
                join_account(lead, account, self.rules)
            merged = merge_leads(lead, absorbed, account, self.rules)
            merged.account_id = account_id
            extra["mf"] = [*merged_from, absorbed.lead_id][-16:]
            writes: dict[str, bytes | None] = {lead_key: encode_lead(merged, extra)}
            if account is not None and account_key is not None:
                writes[account_key] = encode_account(account)
                folded[:] = [account]
            return writes

        folded: list[AccountState] = []
        await self._transact([lead_key] + ([account_key] if account_key else []), fold, folded)

    async def _redirect(
        self, batch: Sequence[tuple[RoutedSignal, str, int | None]], merged: dict[str, str]
    ) -> list[tuple[RoutedSignal, str, int | None]]:
        """Signals still addressed to a merged lead (in flight when it merged) go to the
        lead that holds it now. Rare: only right after an identify.

        A lead id is also an identity key, and the identity index always names the
        current lead, even after a chain of merges (a → e → u); the tombstone's survivor
        is the fallback.
        """
        redirected = []
        for routed, source, offset in batch:
            survivor = merged.get(routed.lead_id or "")
            if survivor and routed.lead_id:
                current = indexed_lead(
                    routed.lead_id,
                    _text(await self.client.hget(self.keys.identities(), routed.lead_id)),
                )
                survivor = current or survivor
                account_id = _text(await self.client.hget(self.keys.lead_accounts(), survivor))
                routed = routed.model_copy(
                    update={
                        "lead_id": survivor,
                        "account_id": account_id,
                        "previous_account": account_id,
                        "absorbed": (),
                    }
                )
            redirected.append((routed, source, offset))
        return redirected

    # ----------------------------------------------------------------- timers
    async def fire_due(self, now_ms: int, limit: int = 500, rounds: int = 32) -> ApplyResult:
        """Fire every decay-driven transition due by ``now_ms`` (the timer's tick).

        Due entries of every bucket are fired in due-time order, each only up to its
        own due time, so a lead's explanation never sees its account's later cooling. A
        fired entity is rescheduled at its next due time (a lead can leave MQL and later
        PQL), so rounds repeat until nothing due by ``now_ms`` remains (at most
        ``rounds``; the next tick continues). Two round trips per round.
        """
        total = ApplyResult()
        for _ in range(rounds):
            result, found = await self._fire_round(now_ms, limit)
            total.add(result)
            if not found:
                break
        return total

    async def _fire_round(self, now_ms: int, limit: int) -> tuple[ApplyResult, bool]:
        async with self.client.pipeline(transaction=False) as pipe:
            for bucket in self.keys.all_buckets():
                pipe.zrangebyscore(
                    self.keys.due(bucket), "-inf", now_ms, start=0, num=limit, withscores=True
                )
            replies = await pipe.execute()
        due = sorted(
            (int(score), bucket, member.decode())
            for bucket, found in enumerate(replies)
            for member, score in found
        )
        if not due:
            return ApplyResult(), False
        lead_ids = [member[2:] for _, _, member in due if member.startswith("L:")]
        owners = await self.client.hmget(self.keys.lead_accounts(), lead_ids) if lead_ids else []
        accounts = {lead_id: _text(owner) for lead_id, owner in zip(lead_ids, owners, strict=True)}
        return await self._run_all(_fire_order(due, accounts)), True

    # ----------------------------------------------------------------- outbox
    async def ack(self, emitted: Sequence[Emitted]) -> None:
        """Forget outbox entries that were published."""
        if not emitted:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for item in emitted:
                pipe.xdel(self.keys.outbox(item.bucket), item.entry_id)
            await pipe.execute()

    async def unacked(self, older_than_ms: int, limit: int = 1000) -> list[Emitted]:
        """Outbox entries written before ``older_than_ms`` (Redis time) and never acked."""
        async with self.client.pipeline(transaction=False) as pipe:
            for bucket in self.keys.all_buckets():
                pipe.xrange(self.keys.outbox(bucket), "-", f"{older_than_ms}", count=limit)
            replies = await pipe.execute()
        return [
            Emitted(decode_record(unpack(fields[b"r"])), bucket, entry_id.decode())
            for bucket, entries in enumerate(replies)
            for entry_id, fields in entries
        ]

    # ------------------------------------------------------------------ reads
    async def lead_location(self, lead_or_key: str) -> tuple[str, str | None] | None:
        """(lead id, account id) for a lead id or an identity key; ``None`` if unknown."""
        lead_id = indexed_lead(
            lead_or_key, _text(await self.client.hget(self.keys.identities(), lead_or_key))
        )
        resolved = lead_id or lead_or_key
        account = _text(await self.client.hget(self.keys.lead_accounts(), resolved))
        if lead_id is None and account is None:
            exists = await self.client.exists(
                self.keys.lead(self.keys.bucket(resolved, None), resolved)
            )
            if not exists:
                return None
        return resolved, account

    async def read_lead(self, lead_id: str, account_id: str | None) -> LeadState | None:
        raw = _bytes(
            await self.client.get(self.keys.lead(self.keys.bucket(lead_id, account_id), lead_id))
        )
        if raw is None or "mg" in unpack(raw):
            return None
        return decode_lead(lead_id, raw)

    async def read_account(self, account_id: str) -> AccountState | None:
        bucket = self.keys.bucket("", account_id)
        raw = _bytes(await self.client.get(self.keys.account(bucket, account_id)))
        return decode_account(account_id, raw) if raw else None
