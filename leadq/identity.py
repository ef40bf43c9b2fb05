"""Identity: which lead a signal belongs to, which account that lead is in, where it lives.

Keys are ``u:<user id>``, ``e:<email>`` and ``a:<anonymous id>``. Keys that appear in one
signal belong to one person; the index is a union-find over keys whose root is the
lead id: the most preferred key of the person (``u:`` over ``e:`` over ``a:``, then the
smaller id). A signal that names keys of several leads (an identify stitching an
anonymous visitor, an alias) merges them into the one with the preferred id, so the
survivor never depends on which was seen first.

A lead's account is a function of the facts its events carried, not of their order: the
explicit account id (``groupId``) of its newest event naming one, else the company
domain of its earliest event carrying one (free-mail domains never form accounts). A
group whose events gave its company domain (a ``group`` call with a ``website`` or
``domain`` trait) is keyed by that domain, so the group and the people whose email is at
that domain are one account (its view lists the group ids and the domain). Its
*home* is the bucket of that account (of the lead itself when it has none): one worker
owns a bucket's leads, account, outbox and timers. A home change (a new account, a
merge) bumps the lead's generation and records where its state still is (``pending``),
so the worker that owns the new home folds it in (``leadq.bucket``).

Everything here is pure: ``plan`` works on index records the caller read.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from schemas.routed import Source
from schemas.signal import Signal

_KIND_ORDER = {"u": 0, "e": 1, "a": 2}
#: Buckets per deployment. Changing it moves every lead: choose it once (≥ the number of
#: Redis Cluster shards you may ever run, × a few).
DEFAULT_BUCKETS = 128


def identity_keys(signal: Signal) -> list[str]:
    """The signal's identity keys, most preferred first."""
    identity = signal.identity
    keys = [
        f"u:{identity.user_id}" if identity.user_id else None,
        f"e:{identity.email}" if identity.email else None,
        f"a:{identity.anonymous_id}" if identity.anonymous_id else None,
    ]
    return [k for k in keys if k]


def previous_keys(signal: Signal) -> list[str]:
    """Keys an ``alias`` links to the current identity (Segment ``previousId``)."""
    previous = signal.identity.previous_id
    return [f"u:{previous}", f"a:{previous}"] if previous else []


def lead_preference(lead_id: str) -> tuple[int, str]:
    """Sort key: the preferred lead of several sorts first."""
    kind, _, _ = lead_id.partition(":")
    return (_KIND_ORDER.get(kind, 3), lead_id)


def email_domain(email: str | None) -> str | None:
    return email.rpartition("@")[2] if email else None


def domain_candidate(signal: Signal, free_mail: frozenset[str]) -> str | None:
    """The company domain the signal suggests, unless it is a free-mail domain."""
    domain = signal.account.domain or email_domain(signal.identity.email)
    return domain if domain and domain not in free_mail else None


def bucket_of(lead_id: str, account_id: str | None, buckets: int = DEFAULT_BUCKETS) -> int:
    """The bucket a lead lives in: its account's, or its own when it has none."""
    owner = f"a:{account_id}" if account_id else f"l:{lead_id}"
    return zlib.crc32(owner.encode()) % buckets


def account_bucket(account_id: str, buckets: int = DEFAULT_BUCKETS) -> int:
    return bucket_of("", account_id, buckets)


# ----------------------------------------------------------------- account facts
@dataclass(frozen=True, slots=True)
class Fact:
    """A value an event carried, ordered by (event time, event id)."""

    value: str
    at_ms: int
    event_id: str

    def order(self) -> tuple[int, str]:
        return (self.at_ms, self.event_id)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What decides a lead's account: a join-semilattice, so any order of joins agrees."""

    #: The explicit account id of the newest event naming one.
    group: Fact | None = None
    #: The company domain of the earliest event carrying one.
    domain: Fact | None = None
    #: Group ids the lead's events named together with a company domain (a ``group``
    #: call whose traits give its ``website``/``domain``), each with the earliest such
    #: domain: that group *is* the account of that domain. Sorted by group id.
    links: tuple[tuple[str, Fact], ...] = ()

    def join(self, other: AccountFacts) -> AccountFacts:
        group = _pick(self.group, other.group, newest=True)
        domain = _pick(self.domain, other.domain, newest=False)
        links = _join_links(self.links, other.links)
        if group is self.group and domain is self.domain and links is self.links:
            return self
        return AccountFacts(group, domain, links)

    @property
    def account(self) -> str | None:
        """The account id: a company domain whenever one is known for the account (so a
        group and the people whose email is at its domain are one account), else the
        group id."""
        if self.group is not None:
            return self.group_domain or self.group.value
        return self.domain.value if self.domain is not None else None

    @property
    def group_domain(self) -> str | None:
        """The domain linked to the current group, if any."""
        if self.group is None:
            return None
        return next((f.value for g, f in self.links if g == self.group.value), None)

    @property
    def keyed_by_domain(self) -> bool:
        return self.group_domain is not None or (self.group is None and self.domain is not None)


def _join_links(
    mine: tuple[tuple[str, Fact], ...], theirs: tuple[tuple[str, Fact], ...]
) -> tuple[tuple[str, Fact], ...]:
    if not theirs or mine == theirs:
        return mine
    if not mine:
        return theirs
    joined = dict(mine)
    for group, fact in theirs:
        joined[group] = _pick(joined.get(group), fact, newest=False) or fact
    links = tuple(sorted(joined.items()))
    return mine if links == mine else links


def _pick(mine: Fact | None, theirs: Fact | None, *, newest: bool) -> Fact | None:
    if mine is None or theirs is None:
        return mine or theirs
    if (theirs.order() > mine.order()) == newest and theirs.order() != mine.order():
        return theirs
    return mine


def signal_facts(signal: Signal, free_mail: frozenset[str]) -> AccountFacts:
    at_ms, event_id = signal.occurred_ms, signal.event_id
    group = Fact(signal.account.id, at_ms, event_id) if signal.account.id else None
    domain = domain_candidate(signal, free_mail)
    domain_fact = Fact(domain, at_ms, event_id) if domain else None
    linked = signal.account.domain
    links: tuple[tuple[str, Fact], ...] = ()
    if signal.account.id and linked and linked not in free_mail:
        links = ((signal.account.id, Fact(linked, at_ms, event_id)),)
    return AccountFacts(group, domain_fact, links)


def signal_account(signal: Signal, free_mail: frozenset[str]) -> str | None:
    """The account a signal names by itself: its group's domain when it carries one (a
    ``group`` call with a website), else its group id."""
    facts = signal_facts(signal, free_mail)
    return facts.account if facts.group is not None else None


# ------------------------------------------------------------------ index records
@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One identity key in the index.

    A key whose ``parent`` is ``None`` is a lead id (a root) and holds the lead's account
    facts, home generation and the sources not yet folded into its home; any other key
    points at the lead it belongs to (possibly through leads it was merged into since).

    Keys expire when unused (a cold lead's index goes with its state): ``touched`` is
    the event-time month (``TOUCH_MS`` periods since the epoch) of the newest signal
    that resolved through the key, and a key is written again, its time to live renewed,
    once per newer month (the time to live, 180 days by default, is far longer). A ``pinned`` key
    never expires: a staged lead's id and email keys (``pin``).
    """

    parent: str | None = None
    facts: AccountFacts = AccountFacts()
    gen: int = 0
    pending: tuple[Source, ...] = ()
    touched: int = 0
    pinned: bool = False

    @property
    def is_lead(self) -> bool:
        return self.parent is None


def home_of(lead_id: str, record: KeyRecord, buckets: int) -> Source:
    account = record.facts.account
    return Source(lead_id=lead_id, bucket=bucket_of(lead_id, account, buckets), account_id=account)


# --------------------------------------------------------------------- resolution
@dataclass(frozen=True, slots=True)
class Resolution:
    """Where one signal goes, and what the index must record for it."""

    lead_id: str | None
    account_id: str | None
    bucket: int
    gen: int
    #: Places the lead's state may still be in, to fold into its home first.
    sources: tuple[Source, ...]
    #: Index writes (key → new record), in order: leads first, then pointers.
    writes: dict[str, KeyRecord] = field(default_factory=dict)
    #: The account is keyed by a company domain (no event named an account id).
    domain_account: bool = False
    #: A ``group`` call naming an account other than the lead's (a late one): that
    #: account (and its bucket) still gets its firmographics, through an account-only
    #: copy of the signal.
    also_account: tuple[str, int] | None = None


class IndexView:
    """Index records as read, with this batch's own writes on top (later signals of a
    batch see what earlier ones wrote). ``None``: a key the index does not know."""

    def __init__(self, read: Mapping[str, KeyRecord | None]) -> None:
        self.read = read
        self.written: dict[str, KeyRecord] = {}

    def get(self, key: str) -> KeyRecord | None:
        if key in self.written:
            return self.written[key]
        return self.read.get(key)

    def missing(self, keys: list[str]) -> list[str]:
        """Keys this view cannot answer for (never read)."""
        return [k for k in keys if k not in self.written and k not in self.read]

    def root(self, key: str) -> tuple[str, KeyRecord] | None:
        """The lead a key belongs to and its record; ``None`` if unknown.

        Raises ``KeyError`` with the key to read when the chain leaves what was read."""
        record = self.get(key)
        if record is None:
            if key not in self.read and key not in self.written:
                raise KeyError(key)
            return None
        hops = 0
        while record.parent is not None:
            key, hops = record.parent, hops + 1
            if hops > 64:
                raise ValueError(f"identity index cycle at {key!r}")
            found = self.get(key)
            if found is None:
                raise KeyError(key)
            record = found
        return key, record


#: How often an identity key in use has its time to live renewed (event time).
TOUCH_MS = 30 * 86_400_000


def pin(record: KeyRecord) -> KeyRecord:
    """``record``, never to expire (its lead reached a stage)."""
    return record if record.pinned else replace(record, pinned=True)


def needed_keys(signal: Signal) -> list[str]:
    return identity_keys(signal) + previous_keys(signal)


def plan(signal: Signal, view: IndexView, free_mail: frozenset[str], buckets: int) -> Resolution:
    """Resolve one signal against the index (raises ``KeyError`` for a key to read first),
    and record the result in ``view`` (see :class:`Resolution`)."""
    keys = identity_keys(signal)
    if not keys:  # a group call naming only an account
        account = signal_account(signal, free_mail)
        return Resolution(None, account, account_bucket(account or "", buckets), 0, ())
    found = {k: view.root(k) for k in keys + previous_keys(signal)}
    roots = {hit[0]: hit[1] for hit in found.values() if hit is not None}
    candidates = set(roots) | ({keys[0]} if found[keys[0]] is None else set())
    lead_id = min(candidates, key=lead_preference)
    current = roots.get(lead_id)
    record = current or KeyRecord()
    absorbed = sorted((r for r in roots if r != lead_id), key=lead_preference)
    facts = record.facts.join(signal_facts(signal, free_mail))
    pending = list(record.pending)
    for other in absorbed:
        other_record = roots[other]
        facts = facts.join(other_record.facts)
        pending += [home_of(other, other_record, buckets), *other_record.pending]
    gen = record.gen
    if current is not None and facts.account != current.facts.account:
        pending.append(home_of(lead_id, current, buckets))
        gen += 1
    pending = [s for s in dict.fromkeys(pending) if s.lead_id != lead_id or s.bucket != (
        bucket_of(lead_id, facts.account, buckets))]  # fmt: skip
    day = signal.occurred_ms // TOUCH_MS
    touched = max(record.touched, day)
    new_record = KeyRecord(None, facts, gen, tuple(pending), touched, record.pinned)
    writes: dict[str, KeyRecord] = {}
    if new_record != current:
        writes[lead_id] = new_record
    for key in [*absorbed, *keys, *(k for k in previous_keys(signal) if found[k] is not None)]:
        held = view.get(key)
        if key == lead_id or (held is not None and held.parent == lead_id and held.touched >= day):
            continue
        writes[key] = KeyRecord(
            parent=lead_id,
            touched=max(day, held.touched if held else 0),
            pinned=record.pinned or bool(held and held.pinned),
        )
    view.written.update(writes)
    account = facts.account
    named = signal_account(signal, free_mail) if signal.type == "group" else None
    return Resolution(
        lead_id,
        account,
        bucket_of(lead_id, account, buckets),
        gen,
        tuple(pending),
        writes,
        domain_account=facts.keyed_by_domain,
        also_account=(named, account_bucket(named, buckets))
        if named and named != account
        else None,
    )


def without_sources(record: KeyRecord, done: tuple[Source, ...]) -> KeyRecord:
    """``record`` once the sources in ``done`` were handed to the lead's home."""
    return replace(record, pending=tuple(s for s in record.pending if s not in done))
