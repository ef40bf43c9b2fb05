"""One bucket's state as read for a batch, changed in memory, written back by the store.

A bucket holds the leads of some accounts (and of leads without one), those accounts,
their decay due times and an outbox. One worker owns it; the pipeline
(``leadq.qualifier``) reads what a batch needs into a :class:`Bucket`, the engine's
bucket operations (``leadq.bucket_ops``) change it, and the store writes the changes
back in one atomic, fenced write (refused if the bucket changed since the read). Pure:
no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadq.compiled import CompiledRules
from leadq.profile import build_profile
from leadq.stages import account_due, lead_due
from leadq.state import AccountState, LeadState, Tombstone
from schemas.routed import RoutedSignal
from schemas.transition import TransitionData


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
class Kept:
    """What left a bucket in a hand-over, kept until folded where it went: the lead's
    state (``None`` if it had none) and the items that were waiting for it there."""

    state: LeadState | None
    parked: tuple[Item, ...] = ()


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
    ``kept`` what was handed over from here and not yet folded where it went (by
    transfer id); ``parked`` the items of a lead waiting for its state to arrive (an
    account move or a merge, see ``leadq.bucket_ops``), in order; ``parked_leads`` which
    leads have parked items. ``version`` fences the write.
    """

    number: int
    version: int
    leads: dict[str, LeadState | Tombstone | None] = field(default_factory=dict)
    accounts: dict[str, AccountState | None] = field(default_factory=dict)
    kept: dict[str, Kept | None] = field(default_factory=dict)
    parked: dict[str, list[Item]] = field(default_factory=dict)
    parked_leads: set[str] = field(default_factory=set)
    watermark: dict[str, int] = field(default_factory=dict)
    #: What changed: written back by the store.
    changed_leads: set[str] = field(default_factory=set)
    changed_accounts: set[str] = field(default_factory=set)
    changed_kept: set[str] = field(default_factory=set)
    changed_parked: set[str] = field(default_factory=set)
    due: dict[str, int | None] = field(default_factory=dict)
    outbox: list[TransitionData] = field(default_factory=list)
    watermark_changed: bool = False
    #: Lowest offset per source partition sent on elsewhere: the watermark stays below it
    #: until the item is applied where it went (a crash in between re-delivers it).
    held: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    #: Hand-overs made here, (lead id, target lead id, target bucket), and leads whose
    #: former places were folded in here, with those places: for the pipeline's follow-up.
    handed_over: list[tuple[str, str, int]] = field(default_factory=list)
    settled: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    #: Hand-overs folded in here, (bucket they left, transfer id): dropped after the write.
    consumed: list[tuple[int, str]] = field(default_factory=list)
    #: Staged leads applied here (lead id → email): their index keys must never expire.
    staged: dict[str, str | None] = field(default_factory=dict)
    _transfers: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.changed_leads
            or self.changed_accounts
            or self.changed_kept
            or self.changed_parked
            or self.due
            or self.outbox
            or self.watermark_changed
        )

    def count(self, status: str, by: int = 1) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + by

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

    def park(self, lead_id: str, items: list[Item]) -> None:
        """Set the lead's waiting items (none: it has none any more)."""
        if items:
            self.parked[lead_id] = items
            self.parked_leads.add(lead_id)
        else:
            self.parked.pop(lead_id, None)
            self.parked_leads.discard(lead_id)
        self.changed_parked.add(lead_id)

    def keep(self, fold_id: str, kept: Kept | None) -> None:
        self.kept[fold_id] = kept
        self.changed_kept.add(fold_id)

    def applied(self, item: Item) -> None:
        """Move the watermark past an item handled here."""
        source, offset = item.source, item.offset
        if source is not None and offset is not None and offset > self.watermark.get(source, -1):
            self.watermark[source] = offset
            self.watermark_changed = True

    def hold(self, item: Item) -> None:
        """An item sent on: the watermark stays below it until it is applied there."""
        if item.source is not None and item.offset is not None:
            held = self.held.get(item.source)
            self.held[item.source] = item.offset if held is None else min(held, item.offset)
            self.applied(item)  # the mark it reaches once released (see watermark_to_write)

    def watermark_to_write(self) -> dict[str, int]:
        """The watermark, kept below every item sent on elsewhere from this batch."""
        return {
            source: min(offset, self.held[source] - 1) if source in self.held else offset
            for source, offset in self.watermark.items()
        }

    def is_replayed(self, item: Item) -> bool:
        if item.source is None or item.offset is None:
            return False
        return item.offset <= self.watermark.get(item.source, -1)

    def next_fold_id(self) -> str:
        """A transfer id unique to this bucket, its version and the hand-over: ``b.v.n``."""
        self._transfers += 1
        return f"{self.number}.{self.version}.{self._transfers}"
