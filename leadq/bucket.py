"""The engine over one bucket: apply routed signals, hand leads over, fire decay timers.

A bucket holds the leads of some accounts (and of leads without one), those accounts,
their decay due times and an outbox. One worker owns it; the orchestration
(``leadq.pipeline``) reads what a batch needs into a :class:`Bucket`, the functions
here change it in memory, and the store writes the changes back in one atomic,
fenced write. Pure: no I/O, no clock.

Contract of :func:`apply_item`:

- An item at or below the bucket's watermark for its source partition changes nothing
  (``replayed``); a repeated event id changes nothing (``duplicate``, see the engine).
- A lead whose state left this bucket (a tombstone) sends the item on to where it went
  (``Redirect``), unless the item was routed under a newer generation (the lead came
  back here).
- Before the signal applies, the lead takes the account its routing names (unless the
  routing is older than the lead's), and every state the routing lists as a source is
  folded in, each at most once (by its transfer id).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from leadq.compiled import CompiledRules
from leadq.engine import apply_in_place, fire_account, fire_lead
from leadq.membership import join_account, leave_account
from leadq.merge import merge_leads
from leadq.profile import build_profile
from leadq.stages import account_due, lead_due
from leadq.state import AccountState, LeadState, Tombstone, event_digest
from schemas.routed import RoutedSignal, Source
from schemas.transition import TransitionData

#: Transfer ids a lead remembers (a transfer is re-applied only after a crash, soon).
FOLDED_KEPT = 16


@dataclass(frozen=True, slots=True)
class Item:
    """A routed signal and where it was read from (``source`` = topic/partition), for the
    bucket's watermark; ``None`` for an item that did not come from a partition."""

    routed: RoutedSignal
    source: str | None = None
    offset: int | None = None
    #: Where it was routed to, (lead id, bucket), when it has been sent on since.
    origin: tuple[str, int] | None = None

    @property
    def destination(self) -> tuple[str, int]:
        """The place its routing named: hand-overs made for it are folded where it lands."""
        return self.origin or (self.routed.lead_id or "", self.routed.bucket)


@dataclass(frozen=True, slots=True)
class Taken:
    """A lead's state handed over (``None`` when it had none) to ``target`` (lead id,
    bucket): only the item routed there folds it in, so a state reaches a lead once, by
    exactly one path, even when several routings still list its old place."""

    state: LeadState | None
    fold_id: str
    target: tuple[str, int]


@dataclass(frozen=True, slots=True)
class Redirect:
    """An item whose lead lives elsewhere now: apply it there."""

    item: Item
    bucket: int


def lead_member(lead_id: str) -> str:
    return f"L:{lead_id}"


def account_member(account_id: str) -> str:
    return f"A:{account_id}"


@dataclass
class Bucket:
    """One bucket's entities as read, changed in place; the store writes the changes.

    ``leads``/``accounts`` hold every entity that was read (``None``: it does not exist);
    ``kept`` the states handed over from here and not yet confirmed folded (by transfer
    id). ``version`` fences the write: the store refuses it if the bucket changed since.
    """

    number: int
    version: int
    leads: dict[str, LeadState | Tombstone | None] = field(default_factory=dict)
    accounts: dict[str, AccountState | None] = field(default_factory=dict)
    kept: dict[str, LeadState | None] = field(default_factory=dict)
    watermark: dict[str, int] = field(default_factory=dict)
    #: What changed: written back by the store.
    changed_leads: set[str] = field(default_factory=set)
    changed_accounts: set[str] = field(default_factory=set)
    changed_kept: set[str] = field(default_factory=set)
    due: dict[str, int | None] = field(default_factory=dict)
    outbox: list[TransitionData] = field(default_factory=list)
    watermark_changed: bool = False
    #: Lowest offset per source partition sent on elsewhere: the watermark stays below it
    #: until the item is applied where it went (a crash in between re-delivers it).
    held: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    _transfers: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.changed_leads
            or self.changed_accounts
            or self.changed_kept
            or self.due
            or self.outbox
            or self.watermark_changed
        )

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def live_lead(self, lead_id: str) -> LeadState | None:
        found = self.leads.get(lead_id)
        return found if isinstance(found, LeadState) else None

    def account(self, account_id: str | None) -> AccountState | None:
        return self.accounts.get(account_id) if account_id else None

    def account_or_new(self, account_id: str, domain: str | None) -> AccountState:
        found = self.accounts.get(account_id)
        if found is None:
            found = self.accounts[account_id] = AccountState(account_id, domain=domain)
            self.changed_accounts.add(account_id)
        return found

    def touch_lead(self, lead: LeadState, rules: CompiledRules) -> None:
        """Record a changed lead and refile its decay due time."""
        self.leads[lead.lead_id] = lead
        self.changed_leads.add(lead.lead_id)
        profile = lead.profile or build_profile(lead, self.account(lead.account_id), rules)
        self.due[lead_member(lead.lead_id)] = lead_due(lead, profile, rules)

    def touch_account(self, account: AccountState | None, rules: CompiledRules) -> None:
        if account is None:
            return
        self.changed_accounts.add(account.account_id)
        self.due[account_member(account.account_id)] = account_due(account, rules)

    def applied(self, item: Item) -> None:
        """Move the watermark past an item handled here."""
        source, offset = item.source, item.offset
        if source is not None and offset is not None and offset > self.watermark.get(source, -1):
            self.watermark[source] = offset
            self.watermark_changed = True

    def watermark_to_write(self) -> dict[str, int]:
        """The watermark, kept below every item sent on elsewhere from this batch."""
        return {
            source: min(offset, self.held[source] - 1) if source in self.held else offset
            for source, offset in self.watermark.items()
        }

    def next_fold_id(self, lead_id: str) -> str:
        """A transfer id unique to this bucket, version and hand-over: ``b:v:n:<lead id>``."""
        self._transfers += 1
        return f"{self.number}:{self.version}:{self._transfers}:{lead_id}"


def is_replayed(bucket: Bucket, item: Item) -> bool:
    if item.source is None or item.offset is None:
        return False
    return item.offset <= bucket.watermark.get(item.source, -1)


def apply_item(
    bucket: Bucket,
    item: Item,
    takens: Mapping[Source, Taken | None],
    rules: CompiledRules,
) -> Redirect | None:
    """Apply one item to this bucket (see the module docstring); in place."""
    if is_replayed(bucket, item):
        bucket.count("replayed")
        return None
    routed = item.routed
    if routed.lead_id is None:
        _apply_account_only(bucket, routed, rules)
        bucket.applied(item)
        return None
    found = bucket.leads.get(routed.lead_id)
    if isinstance(found, Tombstone) and (
        found.lead_id != routed.lead_id or found.gen >= routed.gen
    ):
        return _redirect(bucket, item, found)
    lead = _settle_home(bucket, found if isinstance(found, LeadState) else None, routed, rules)
    for source in routed.sources:
        lead = _fold_source(bucket, lead, source, item, takens, rules)
    account = bucket.account(lead.account_id)
    outcome = apply_in_place(lead, account, routed.signal, rules)
    bucket.count(outcome.status)
    bucket.outbox += outcome.transitions
    bucket.touch_lead(lead, rules)
    bucket.touch_account(account, rules)
    bucket.applied(item)
    return None


def _apply_account_only(bucket: Bucket, routed: RoutedSignal, rules: CompiledRules) -> None:
    account_id = routed.account_id
    if account_id is None:
        bucket.count("account_only")
        return
    account = bucket.account_or_new(account_id, routed.signal.account.domain)
    outcome = apply_in_place(None, account, routed.signal, rules)
    bucket.count(outcome.status)
    bucket.touch_account(account, rules)


def _redirect(bucket: Bucket, item: Item, tombstone: Tombstone) -> Redirect:
    bucket.count("redirected")
    if item.source is not None and item.offset is not None:
        held = bucket.held.get(item.source)
        bucket.held[item.source] = item.offset if held is None else min(held, item.offset)
        bucket.applied(item)  # the mark it reaches once released (see watermark_to_write)
    routed = item.routed
    moved = routed.model_copy(
        update={
            "lead_id": tombstone.lead_id,
            "account_id": tombstone.account_id,
            "bucket": tombstone.bucket,
            "gen": tombstone.gen if tombstone.lead_id != routed.lead_id else routed.gen,
            "domain_account": False,
        }
    )
    # The item keeps its sources: what was handed over for it is folded where it lands.
    sent = replace(item, routed=moved, source=None, offset=None, origin=item.destination)
    return Redirect(sent, tombstone.bucket)


def _settle_home(
    bucket: Bucket, lead: LeadState | None, routed: RoutedSignal, rules: CompiledRules
) -> LeadState:
    """The lead (new if none), in the account its routing names unless that routing is
    older than the lead's last home change."""
    lead_id = routed.lead_id or ""
    if lead is None:
        lead = LeadState(lead_id=lead_id, gen=routed.gen)
    if routed.gen < lead.gen or lead.account_id == routed.account_id:
        if lead.account_id is not None:
            _ensure_member(bucket, lead, rules)
        return lead
    old = bucket.account(lead.account_id)
    if old is not None:
        leave_account(lead, old)
        bucket.touch_account(old, rules)
    lead.account_id, lead.gen = None, routed.gen
    if routed.account_id is not None:
        domain = routed.account_id if routed.domain_account else None
        account = bucket.account_or_new(routed.account_id, domain)
        join_account(lead, account, rules)
        bucket.touch_account(account, rules)
    return lead


def _ensure_member(bucket: Bucket, lead: LeadState, rules: CompiledRules) -> None:
    """A lead whose account is missing here (expired, or never written) rejoins it."""
    account = bucket.account(lead.account_id)
    if account is None and lead.account_id is not None:
        account = bucket.account_or_new(lead.account_id, None)
    if account is not None and lead.lead_id not in account.members:
        join_account(lead, account, rules)
        bucket.touch_account(account, rules)


def _fold_source(
    bucket: Bucket,
    lead: LeadState,
    source: Source,
    item: Item,
    takens: Mapping[Source, Taken | None],
    rules: CompiledRules,
) -> LeadState:
    destination = item.destination
    if source.bucket != bucket.number:
        return fold(bucket, lead, takens.get(source), destination, rules)
    if source.lead_id == lead.lead_id:
        return lead  # its own former home in this same bucket: nothing moved
    target = Source(lead_id=destination[0], bucket=destination[1], account_id=lead.account_id)
    taken = take(bucket, source, target, item.routed.gen, rules, local=True)
    return fold(bucket, lead, taken, destination, rules)


def fold(
    bucket: Bucket,
    lead: LeadState,
    taken: Taken | None,
    destination: tuple[str, int],
    rules: CompiledRules,
) -> LeadState:
    """Fold a state handed over to ``destination`` into ``lead`` (once per transfer id);
    the lead's account gains what it brings. A state handed over elsewhere reaches this
    lead through that place, which is one of its sources too."""
    if taken is None or taken.state is None:
        return lead
    transfer = event_digest(taken.fold_id)
    if transfer in lead.folded:
        return lead
    if taken.target != destination:
        return lead
    account = bucket.account(lead.account_id)
    merged = merge_leads(lead, taken.state, account, rules)
    merged.folded = [*merged.folded, transfer][-FOLDED_KEPT:]
    bucket.count("folded")
    bucket.touch_lead(merged, rules)
    bucket.touch_account(account, rules)
    return merged


def take(
    bucket: Bucket,
    source: Source,
    target: Source,
    gen: int,
    rules: CompiledRules,
    *,
    local: bool = False,
) -> Taken | None:
    """Hand the lead at ``source`` over to ``target`` (in place): it leaves its account
    here and a tombstone takes its place. Idempotent: a lead already handed over gives
    the state it left with while that is kept (not yet confirmed folded), else nothing.
    ``local``: the target is in this bucket and folds it in this same write, so nothing
    needs keeping."""
    found = bucket.leads.get(source.lead_id)
    if isinstance(found, Tombstone):
        kept = bucket.kept.get(found.fold_id) if found.kept else None
        place = (found.lead_id, found.bucket)
        return Taken(kept, found.fold_id, place) if kept is not None else None
    fold_id = bucket.next_fold_id(source.lead_id)
    keep = found is not None and not local
    bucket.leads[source.lead_id] = Tombstone(
        target.lead_id, target.bucket, target.account_id, gen, fold_id, keep
    )
    bucket.changed_leads.add(source.lead_id)
    bucket.due[lead_member(source.lead_id)] = None
    if found is None:
        return None
    account = bucket.account(found.account_id)
    if account is not None:
        leave_account(found, account)
        bucket.touch_account(account, rules)
    if keep:
        bucket.kept[fold_id] = found
        bucket.changed_kept.add(fold_id)
    bucket.count("handed_over")
    return Taken(found, fold_id, (target.lead_id, target.bucket))


def fire_due(
    bucket: Bucket, due: list[tuple[int, str]], until_ms: int, rules: CompiledRules
) -> None:
    """Fire, in place and in time order, every decay-driven transition due by
    ``until_ms`` among ``due`` (``(due ms, member)`` of this bucket), as
    ``leadq.replay`` does across all buckets; fired entities are refiled."""
    heap = list(due)
    heapq.heapify(heap)
    while heap and heap[0][0] <= until_ms:
        due_ms, member = heapq.heappop(heap)
        kind, entity_id = member[:1], member[2:]
        if kind == "L":
            lead = bucket.live_lead(entity_id)
            if lead is None:
                bucket.due[member] = None
                continue
            account = bucket.account(lead.account_id)
            bucket.outbox += fire_lead(lead, account, due_ms, rules)
            bucket.touch_lead(lead, rules)
        else:
            account = bucket.account(entity_id)
            if account is None:
                bucket.due[member] = None
                continue
            bucket.outbox += fire_account(account, due_ms, rules)
            bucket.touch_account(account, rules)
        refiled = bucket.due.get(member)
        if refiled is not None and refiled <= until_ms:
            heapq.heappush(heap, (refiled, member))
