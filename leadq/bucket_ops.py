"""The engine over one bucket: apply routed items, hand leads over, fire decay timers.

Every function changes a :class:`~leadq.bucket.Bucket` in place; pure (no I/O).

How a lead keeps its order when it changes bucket (a new account, a merge): the router
sends, for every former place of the lead (``sources``), a *hand-over request* to that
place's bucket, after everything it routed there before; the item that changed the
place, and every later one, go to the new place. There:

- An item whose sources have all been handed over (to this place) folds in what they
  brought, each once (by transfer id), then applies.
- An item whose sources are not all handed over yet is *parked* (stored with the
  bucket, in order), and so is every later item of that lead, until the last
  hand-over arrives; then they are applied in order (:func:`release`). So the lead's
  items apply in the order its router saw them, across buckets and partitions.
- A hand-over (:func:`hand_over`) leaves a tombstone: items still addressed to the old
  place follow it (``Redirect``), unless routed under a newer generation (the lead
  came back there). It carries the state and any items parked there.

Contract of :func:`apply_item`: an item at or below the bucket's watermark for its
source partition changes nothing (``replayed``); a repeated event id changes nothing
(``duplicate``, see the engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from leadq.bucket import Bucket, Item, Kept, Redirect
from leadq.compiled import CompiledRules
from leadq.engine import apply_in_place
from leadq.membership import join_account, leave_account
from leadq.merge import merge_leads
from leadq.state import LeadState, Tombstone, event_digest
from schemas.routed import RoutedSignal, Source

#: Transfer ids a lead remembers (a transfer is re-applied only after a crash, soon).
FOLDED_KEPT = 32


@dataclass(frozen=True, slots=True)
class HandedOver:
    """A former place of a lead whose hand-over is done: a tombstone names where it
    went, and ``kept`` is what it carried (``None``: nothing, or already folded)."""

    tombstone: Tombstone
    kept: Kept | None
    #: The bucket it left.
    bucket: int


#: What a former place is now, as read: handed over, or not yet (``None``).
SourceStates = Mapping[Source, HandedOver | None]


def apply_item(
    bucket: Bucket, item: Item, sources: SourceStates, rules: CompiledRules
) -> Redirect | None:
    """Apply one item to this bucket (see the module docstring); in place."""
    if bucket.is_replayed(item):
        bucket.count("replayed")
        return None
    routed = item.routed
    bucket.applied(item)
    if routed.lead_id is None:
        _apply_account_only(bucket, routed, rules)
        return None
    if routed.hand_over_to is not None:
        hand_over(bucket, routed.lead_id, routed.hand_over_to, routed.gen, rules)
        return None
    found = bucket.leads.get(routed.lead_id)
    if isinstance(found, Tombstone) and (
        found.lead_id != routed.lead_id or found.gen >= routed.gen
    ):
        return _redirect(bucket, item, found)
    waiting = bucket.parked.get(routed.lead_id, [])
    _run(bucket, routed.lead_id, [*waiting, item], sources, rules)
    if any(waiting is item for waiting in bucket.parked.get(routed.lead_id, ())):
        bucket.count("parked")
    return None


def release(bucket: Bucket, lead_id: str, sources: SourceStates, rules: CompiledRules) -> None:
    """Apply the lead's parked items whose former places have all arrived, in order."""
    waiting = bucket.parked.get(lead_id, [])
    if waiting:
        _run(bucket, lead_id, waiting, sources, rules)


def _run(
    bucket: Bucket, lead_id: str, items: list[Item], sources: SourceStates, rules: CompiledRules
) -> None:
    """Apply ``items`` of one lead in order, folding in what they wait for; from the first
    one whose former places have not all arrived, they stay parked, in order."""
    queue = list(items)
    while queue and _arrived(queue[0], sources, bucket):
        queue[:1] = _apply_lead_item(bucket, queue[0], sources, rules)
    if queue != bucket.parked.get(lead_id, []):
        bucket.park(lead_id, queue)


def _arrived(item: Item, sources: SourceStates, bucket: Bucket) -> bool:
    """Whether every former place the item lists (in other buckets) is handed over."""
    return all(
        sources.get(source) is not None
        for source in item.routed.sources
        if source.bucket != bucket.number
    )


def _apply_lead_item(
    bucket: Bucket, item: Item, sources: SourceStates, rules: CompiledRules
) -> list[Item]:
    """Fold in the item's former places, apply it; returns items a hand-over brought
    along (parked at the former place), to apply before anything later."""
    routed = item.routed
    lead = _settle_home(bucket, bucket.live_lead(routed.lead_id or ""), routed, rules)
    brought: list[Item] = []
    for source in routed.sources:
        lead, carried = _fold_source(bucket, lead, source, item, sources, rules)
        brought += carried
    if brought:  # they came first: apply them, then this item
        return [*brought, replace(item, routed=routed.model_copy(update={"sources": ()}))]
    account = bucket.account(lead.account_id)
    outcome = apply_in_place(lead, account, routed.signal, rules)
    bucket.count(outcome.status)
    bucket.outbox += outcome.transitions
    bucket.touch_lead(lead, rules)
    bucket.touch_account(account, rules)
    if lead.stage != "known" or lead.product_stage != "none":
        bucket.staged[lead.lead_id] = lead.email
    return []


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
    bucket.hold(item)
    moved = item.routed.model_copy(
        update={
            "lead_id": tombstone.lead_id,
            "account_id": tombstone.account_id,
            "bucket": tombstone.bucket,
            "gen": tombstone.gen,
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
    sources: SourceStates,
    rules: CompiledRules,
) -> tuple[LeadState, list[Item]]:
    destination = item.destination
    bucket.settled.setdefault(lead.lead_id, set()).add((source.lead_id, source.bucket))
    if source.bucket == bucket.number:
        if source.lead_id == lead.lead_id:
            return lead, []  # its own former home in this same bucket: nothing moved
        target = Source(lead_id=destination[0], bucket=destination[1], account_id=lead.account_id)
        local = hand_over(bucket, source.lead_id, target, item.routed.gen, rules)
        return fold(bucket, lead, local, destination, rules)
    return fold(bucket, lead, sources.get(source), destination, rules)


def fold(
    bucket: Bucket,
    lead: LeadState,
    handed: HandedOver | None,
    destination: tuple[str, int],
    rules: CompiledRules,
) -> tuple[LeadState, list[Item]]:
    """Fold what a hand-over to ``destination`` brought into ``lead`` (once per transfer
    id): its state (the lead's account gains what it brings), and the items that waited
    for it (returned, to apply next). A hand-over to another place reaches this lead
    through that place, which is one of its former places too."""
    if handed is None or handed.kept is None:
        return lead, []
    tombstone = handed.tombstone
    if (tombstone.lead_id, tombstone.bucket) != destination:
        return lead, []
    transfer = event_digest(tombstone.fold_id)
    if transfer in lead.folded:
        return lead, []
    state = handed.kept.state
    if state is not None:
        account = bucket.account(lead.account_id)
        lead = merge_leads(lead, state, account, rules)
        bucket.touch_account(account, rules)
        bucket.count("folded")
    lead.folded = [*lead.folded, transfer][-FOLDED_KEPT:]
    bucket.touch_lead(lead, rules)
    if handed.bucket != bucket.number:
        bucket.consumed.append((handed.bucket, tombstone.fold_id))
    return lead, list(handed.kept.parked)


def hand_over(
    bucket: Bucket, lead_id: str, target: Source, gen: int, rules: CompiledRules
) -> HandedOver:
    """Hand the lead ``lead_id`` over to ``target`` (routed under generation ``gen``), in
    place: it leaves its account here, a tombstone takes its place, and its state and
    parked items are kept for the target (unless the target is in this bucket: folded in
    this same write). Idempotent: a lead already handed over gives what it left with
    while that is kept."""
    found = bucket.leads.get(lead_id)
    if isinstance(found, Tombstone):
        kept = bucket.kept.get(found.fold_id) if found.kept else None
        return HandedOver(found, kept, bucket.number)
    state = found if isinstance(found, LeadState) else None
    parked = tuple(bucket.parked.get(lead_id, []))
    fold_id = bucket.next_fold_id()
    local = target.bucket == bucket.number
    keep = (state is not None or bool(parked)) and not local
    tombstone = Tombstone(target.lead_id, target.bucket, target.account_id, gen, fold_id, keep)
    bucket.leads[lead_id] = tombstone
    bucket.changed_leads.add(lead_id)
    bucket.due[f"L:{lead_id}"] = None
    if parked:
        bucket.park(lead_id, [])
    if state is not None:
        account = bucket.account(state.account_id)
        if account is not None:
            leave_account(state, account)
            bucket.touch_account(account, rules)
    kept = Kept(state, parked) if state is not None or parked else None
    if keep:
        bucket.keep(fold_id, kept)
    bucket.handed_over.append((lead_id, target.lead_id, target.bucket))
    bucket.count("handed_over")
    return HandedOver(tombstone, kept, bucket.number)
