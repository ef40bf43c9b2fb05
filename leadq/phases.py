"""How the qualifier splits a batch into phases and what each phase must read.

Pure helpers of ``leadq.qualifier``: which items apply now and which wait for a later
phase (``schedule``), which leads and accounts a bucket's items need (``wants_of``), what
a snapshot refers to but did not read (``missing``), and which former places parked items
wait for (``waited_for``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leadq.bucket import Bucket, Item
from leadq.state import LeadState, Tombstone
from leadq.store import Wants
from schemas.routed import Source


@dataclass(eq=False)
class Pending:
    """An item of the batch, the bucket it goes to now, and its place in the batch."""

    item: Item
    bucket: int
    position: int


def copy_wants(wants: Wants) -> Wants:
    return Wants(set(wants.leads), set(wants.accounts), set(wants.kept))


def wants_of(items: list[Pending]) -> Wants:
    wants = Wants()
    for pending in items:
        routed = pending.item.routed
        if routed.lead_id is not None:
            wants.leads.add(routed.lead_id)
        if routed.account_id is not None:
            wants.accounts.add(routed.account_id)
        for source in routed.sources:
            if source.bucket == pending.bucket:
                wants.leads.add(source.lead_id)
                if source.account_id is not None:
                    wants.accounts.add(source.account_id)
    return wants


def missing(bucket: Bucket) -> Wants:
    """What ``bucket`` refers to but was not read: a live lead's account, a tombstone's
    kept hand-over, the leads and accounts parked items name."""
    extra = Wants()
    for state in bucket.leads.values():
        if isinstance(state, LeadState):
            if state.account_id and state.account_id not in bucket.accounts:
                extra.accounts.add(state.account_id)
        elif isinstance(state, Tombstone) and state.kept and state.fold_id not in bucket.kept:
            extra.kept.add(state.fold_id)
    for items in bucket.parked.values():
        for item in items:
            extra.add(wants_of([Pending(item, bucket.number, 0)]))
    extra.leads -= set(bucket.leads)
    extra.accounts -= set(bucket.accounts)
    return extra


def waited_for(bucket: Bucket) -> Iterable[Source]:
    """Former places in other buckets that the bucket's parked items name."""
    for items in bucket.parked.values():
        for item in items:
            yield from (s for s in item.routed.sources if s.bucket != bucket.number)


def schedule(pending: list[Pending]) -> tuple[list[Pending], list[Pending]]:
    """Split ``pending`` (in batch order) into (items to apply now, items for a later
    phase): an item that names a former place whose hand-over request comes earlier in
    this phase waits for the next phase (so it finds the hand-over done instead of
    parking), and so does every later item of its bucket. The first item never waits."""
    now: list[Pending] = []
    later: list[Pending] = []
    requested: set[tuple[str, int]] = set()
    blocked: set[int] = set()
    for entry in pending:
        routed = entry.item.routed
        waits = any((s.lead_id, s.bucket) in requested for s in routed.sources)
        if now and (entry.bucket in blocked or waits):
            later.append(entry)
            blocked.add(entry.bucket)
            continue
        if routed.hand_over_to is not None and routed.lead_id is not None:
            requested.add((routed.lead_id, entry.bucket))
        now.append(entry)
    return now, later
