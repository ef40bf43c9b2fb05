"""Inbound traffic for the integration tests, and what it must give (not a test module).

- Builders of real vendor messages: Segment calls, SendGrid webhook arrays, leadq
  canonical events (CRM verdicts, product usage). :class:`Inbound` is one message for one
  inbound topic, with its Kafka key (the person) and the signals it normalizes to.
- :func:`feed_in_event_order` produces messages in event-time order so that the stream
  applies them in exactly that order, as ``leadq replay`` does (see its docstring).
- :func:`workload` is a stream of many people's web activity whose outcome does not
  depend on how the stream interleaves people (for crash, outage and failover tests);
  :func:`state_differences` compares Redis with the replay's final world.
- Times are recent (a couple of hours before now): decay-driven exits then lie days in
  the future, so the worker's wall-clock timer fires nothing during a test and the
  replay (which fires decay up to the last event) agrees with the stream.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

from leadq.adapters import normalize_bytes
from leadq.bucket import Item
from leadq.compiled import CompiledRules
from leadq.identity import identity_keys
from leadq.memory import MemoryStore
from leadq.profile import build_profile
from leadq.qualifier import Outcome, Qualifier
from leadq.replay import ReplayResult, replay
from leadq.router import Router
from leadq.state import AccountState, LeadState
from leadq.transitions import intent_total
from schemas.routed import RoutedSignal
from schemas.signal import Channel, Signal
from schemas.transition import TransitionEvent, to_cloudevent
from streams.kafka.topic_reader import Record
from streams.settings import Settings
from streams.state.codec import decode_lead
from streams.state.connect import redis_client
from streams.state.keys import Keys
from streams.state.scripts import Client
from streams.state.store import RedisStore, Retention
from tests.helpers import Outgoing, produce_records, wait_for


def recent_start(hours_ago: float = 2.0) -> datetime:
    """A whole minute ``hours_ago`` before now, in UTC."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(hours=hours_ago)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------ messages
def segment(
    kind: str,
    message_id: str,
    at: datetime,
    *,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    **fields: object,
) -> dict[str, Any]:
    """A Segment spec call (``track``, ``page``, ``identify``, ``group``...)."""
    message: dict[str, Any] = {"type": kind, "messageId": message_id, "timestamp": iso(at)}
    if user_id is not None:
        message["userId"] = user_id
    if anonymous_id is not None:
        message["anonymousId"] = anonymous_id
    return message | fields


def sendgrid_event(
    name: str, event_id: str, email: str, at: datetime, **fields: object
) -> dict[str, Any]:
    """One event of a SendGrid Event Webhook POST (epoch-seconds timestamp)."""
    return {
        "email": email,
        "timestamp": int(at.timestamp()),
        "event": name,
        "sg_event_id": event_id,
        "sg_message_id": "sg-msg-1.filter0001",
        **fields,
    }


def canonical(
    channel: Channel, name: str, event_id: str, at: datetime, **identity: str
) -> dict[str, Any]:
    """A leadq canonical inbound event (``schemas.events``)."""
    return {
        "schema_version": 1,
        "channel": channel,
        "event_id": event_id,
        "occurred_at": iso(at),
        "name": name,
        "identity": identity,
    }


@dataclass(frozen=True)
class Inbound:
    """One inbound message: its channel picks the topic, ``key`` is the Kafka key."""

    channel: Channel
    key: str
    document: object

    @property
    def value(self) -> bytes:
        return orjson.dumps(self.document)

    def signals(self) -> list[Signal]:
        """What the normalizer makes of it (the scenario only holds valid messages)."""
        result = normalize_bytes(self.value, channel=self.channel)
        assert not result.rejects, result.rejects
        return result.signals

    def outgoing(self, settings: Settings) -> Outgoing:
        return (getattr(settings.topics, self.channel), self.key.encode(), self.value)


def all_signals(messages: Iterable[Inbound]) -> list[Signal]:
    return [signal for message in messages for signal in message.signals()]


async def replay_of(
    messages: Iterable[Inbound], rules: CompiledRules, until_ms: int | None = None
) -> ReplayResult:
    """The batch reference: ``leadq.replay`` on the messages' signals."""
    return await replay(all_signals(messages), rules, until_ms)


# ------------------------------------------------------------ the stream's state
class StorePipeline:
    """The worker's pipeline on a Redis (``Router`` + ``Qualifier`` over ``RedisStore``),
    driven directly by a test, and the state it holds."""

    def __init__(
        self,
        client: Client,
        rules: CompiledRules,
        keys: Keys | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.client = client
        self.store = RedisStore(client, keys, retention)
        self.router = Router(self.store, rules)
        self.qualifier = Qualifier(self.store, rules)

    @property
    def keys(self) -> Keys:
        return self.store.keys

    async def resolve(self, signals: Sequence[Signal]) -> list[RoutedSignal]:
        """Route ``signals`` as the normalize step does: the index written, and the routed
        signals to produce (hand-over requests included), in order."""
        return await self.router.route(signals)

    async def apply_all(self, routed: Sequence[RoutedSignal], source: str, first: int) -> Outcome:
        """Apply routed signals as read from one partition from offset ``first`` on."""
        return await self.apply([(r, source, first + n) for n, r in enumerate(routed)])

    async def apply(self, items: Sequence[tuple[RoutedSignal, str, int]]) -> Outcome:
        return await self.qualifier.apply([Item(r, source, offset) for r, source, offset in items])

    async def lead(self, lead_or_key: str) -> LeadState | None:
        found = await self.qualifier.lead(lead_or_key)
        return found.lead if found else None

    async def account(self, account_id: str) -> AccountState | None:
        return await self.qualifier.account(account_id)

    async def root(self, key: str) -> str | None:
        """The lead an identity key belongs to now."""
        for _ in range(64):
            record = (await self.store.read_keys([key]))[key].record
            if record is None:
                return None
            if record.parent is None:
                return key
            key = record.parent
        raise AssertionError("index cycle")

    async def live_leads(self) -> set[str]:
        """Every lead with live state (a SCAN: tests only)."""
        found = set()
        async for key in self.client.scan_iter(match=f"{self.keys.prefix}:{{b*}}:lead:*"):
            raw = await self.client.get(key)
            lead_id = key.decode().split(":lead:", 1)[1]
            if isinstance(raw, bytes) and isinstance(decode_lead(lead_id, raw), LeadState):
                found.add(lead_id)
        return found


async def applied(store: StorePipeline, signals: Sequence[Signal]) -> bool:
    """Whether every signal was applied to the lead its first identity key resolves to
    now (account-only group calls have no lead and are not checked)."""
    for signal in signals:
        keys = identity_keys(signal)
        if not keys:
            continue
        lead = await store.lead(keys[0])
        if lead is None or not lead.has_seen(signal.event_id):
            return False
    return True


async def feed_in_event_order(
    settings: Settings, store: StorePipeline, messages: Sequence[Inbound]
) -> None:
    """Produce ``messages`` (sorted by event time) so the stream applies them in order.

    A run of messages of one person on one topic goes out together: one inbound
    partition and one lead keep them in order. Before a message of another person or
    topic, everything sent so far must be applied: Kafka orders nothing across
    partitions and topics, and leads of one account and a person's CRM verdict depend
    on that order. The same before a call that renames or moves a lead:

    - ``identify``/``alias`` rename it, so their signal travels on another signals
      partition than the lead's earlier ones (a stream may legitimately reorder them);
    - ``group`` may move it to another account, which changes where its colleagues'
      concurrent events count (the store itself handles a move in the middle of a batch,
      see ``test_identity_stream``).
    """
    run: list[Inbound] = []

    async def flush() -> None:
        if run:
            await produce_records(settings.kafka_bootstrap, [m.outgoing(settings) for m in run])
            sent = all_signals(run)
            await wait_for(lambda: applied(store, sent), f"{len(sent)} signal(s) applied")
            run.clear()

    for message in messages:
        restructures = any(s.type in ("identify", "alias", "group") for s in message.signals())
        if run and (restructures or (message.channel, message.key) != (run[0].channel, run[0].key)):
            await flush()
        run.append(message)
    await flush()


# ----------------------------------------------------------------------- transitions
def transition_events(records: Iterable[Record]) -> list[TransitionEvent]:
    return [TransitionEvent.model_validate_json(r.value or b"") for r in records]


def distinct(events: Iterable[TransitionEvent]) -> dict[str, TransitionEvent]:
    """Transitions by CloudEvent id; a duplicate (at least once) must be identical."""
    found: dict[str, TransitionEvent] = {}
    for event in events:
        assert found.setdefault(event.id, event) == event, f"two different events {event.id}"
    return found


def expected_events(result: ReplayResult) -> dict[str, TransitionEvent]:
    return distinct(to_cloudevent(t) for t in result.transitions)


def has_ids(wanted: Iterable[str]) -> Any:
    """A ``read_until`` condition: every wanted CloudEvent id has been read."""
    wanted = set(wanted)
    return lambda records: wanted <= {e.id for e in transition_events(records)}


# ----------------------------------------------------------- a many-people workload
#: Example rules plus one negative web rule (job seekers), so leads also fall out of
#: MQL on an event, not only by decay.
CAREERS_RULE = {
    "id": "careers_page",
    "description": "Looked at jobs: a job seeker, not a buyer",
    "when": {"type": "page", "properties.path": {"glob": "/careers*"}},
    "points": -15,
}


def workload_rules(directory: Path) -> Path:
    data = yaml.safe_load(Path("tests/rules/scenarios.yaml").read_text())
    data["intent"]["rules"].append(CAREERS_RULE)
    path = directory / "workload-rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


_PAGES = {
    "pricing": "/pricing",
    "case": "/customers/bigco",
    "blog": "/blog/streaming",
    "home": "/",
    "careers": "/careers/sre",
}
_TRACKS = {"webinar": "Webinar Attended", "demo": "Demo Requested"}
#: What each kind of person does after identifying (events are padded with home views).
PATTERNS: dict[str, list[str]] = {
    # 15 fit + 80 intent, then a demo: MQL and SQL on the demo.
    "hot": ["pricing", "case", "pricing", "case", "webinar", "case", "webinar", "demo"],
    # 20 fit: MQL at 110, four careers views drop it below 60 (recycled), six
    # webinars bring it back (MQL again).
    "flap": ["pricing", "case", "pricing", "case", "case", "webinar", "webinar", "webinar"]
    + ["careers"] * 4
    + ["webinar"] * 6,
    # 5 fit: ten webinars make an MQL.
    "steady": ["webinar"] * 10,
    "cold": ["blog", "blog", "home", "blog", "careers", "blog", "blog", "blog"],
}
#: (pattern, email or None, seniority): two people at most per company, so no account
#: reaches MQA — the one outcome that would depend on how the stream interleaves people.
CAST: list[tuple[str, str | None, str]] = [
    ("hot", "acme.com", "director"),
    ("flap", "acme.com", "vp"),
    ("hot", "globex.com", "director"),
    ("flap", "globex.com", "vp"),
    ("hot", "initech.com", "director"),
    ("flap", "initech.com", "vp"),
    ("steady", "gmail.com", "manager"),
    ("cold", "gmail.com", "manager"),
    ("steady", None, "manager"),
    ("cold", None, "individual_contributor"),
    ("hot", "umbrella.com", "director"),
    ("cold", "umbrella.com", "manager"),
]
WORKLOAD_EVENTS_PER_PERSON = 20


def workload(start: datetime, tag: str = "w") -> list[Inbound]:
    """Twelve people's web activity (Segment), one event per person per minute, in
    event-time order; each person is one Kafka key and one lead (``u:<tag>-pN``).

    Every lead's outcome depends only on its own events in their order, so any
    interleaving of people gives the same transitions and the same final state.
    """
    messages: list[tuple[datetime, Inbound]] = []
    for number, (pattern, domain, seniority) in enumerate(CAST):
        user = f"{tag}-p{number}"
        steps = PATTERNS[pattern] + ["home"] * WORKLOAD_EVENTS_PER_PERSON
        traits: dict[str, object] = {"seniority": seniority, "name": f"Person {number}"}
        if domain:
            traits["email"] = f"{user}@{domain}"
        at = start + timedelta(seconds=3 * number)
        messages.append(
            (at, _web(segment("identify", f"{user}-0", at, user_id=user, traits=traits), user))
        )
        for step, action in enumerate(steps[: WORKLOAD_EVENTS_PER_PERSON - 1], start=1):
            at = start + timedelta(minutes=step, seconds=3 * number)
            message_id = f"{user}-{step}"
            if action in _PAGES:
                call = segment(
                    "page", message_id, at, user_id=user, properties={"path": _PAGES[action]}
                )
            else:
                call = segment("track", message_id, at, user_id=user, event=_TRACKS[action])
            messages.append((at, _web(call, user)))
    return [message for _, message in sorted(messages, key=lambda pair: pair[0])]


def _web(document: dict[str, Any], key: str) -> Inbound:
    return Inbound("web", key, document)


async def state_differences(
    store: StorePipeline, reference: ReplayResult, at_ms: int | None = None, *, exact: bool = True
) -> list[str]:
    """How the stream's Redis differs from the replay's final state, lead by lead (empty
    when it does not).

    Always compared, whatever the arrival order was: the set of leads; per lead its
    account, newest event time, email, traits, fit (score, grade, disqualifiers, with its
    account's firmographics), applied events, caps and decayed intent; every identity
    key's lead; per account its members, domain, firmographics and decayed intent (the
    sum of its people's: double counting would show here). With ``exact`` (in-order
    input, or faults only), also stages and the signals kept for explanations.
    """
    at = at_ms if at_ms is not None else int(time.time() * 1000)
    memory = reference.store
    assert isinstance(memory, MemoryStore)
    rules = reference.rules
    differences: list[str] = []
    expected_leads = {lead.lead_id: lead for lead in memory.leads()}
    live = await store.live_leads()
    if live != set(expected_leads):
        differences.append(
            f"leads: extra {sorted(live - set(expected_leads))}, "
            f"missing {sorted(set(expected_leads) - live)}"
        )
    for lead_id, lead in sorted(expected_leads.items()):
        stored = await store.lead(lead_id)
        if stored is None:
            differences.append(f"{lead_id}: missing")
            continue
        account = memory.find_account(lead.account_id) if lead.account_id else None
        stored_account = await store.account(stored.account_id) if stored.account_id else None
        mine = _lead_facts(stored, stored_account, rules, at, exact)
        theirs = _lead_facts(lead, account, rules, at, exact)
        differences += [
            f"{lead_id}.{name}: {mine[name]!r} != {theirs[name]!r}"
            for name in theirs
            if not _same(mine[name], theirs[name])
        ]
    for key, record in sorted(memory.index.items()):
        want = key if record.parent is None else _memory_root(memory, key)
        if (got := await store.root(key)) != want:
            differences.append(f"identity {key}: {got!r} != {want!r}")
    for account in sorted(memory.accounts(), key=lambda a: a.account_id):
        stored_account = await store.account(account.account_id)
        if stored_account is None:
            differences.append(f"account {account.account_id}: missing")
            continue
        mine = _account_facts(stored_account, at, exact)
        theirs = _account_facts(account, at, exact)
        differences += [
            f"account {account.account_id}.{name}: {mine[name]!r} != {theirs[name]!r}"
            for name in theirs
            if not _same(mine[name], theirs[name])
        ]
    return differences


def _same(mine: object, theirs: object) -> bool:
    """Equal, with floats (decayed scores summed in another order) equal to 1e-9."""
    if isinstance(mine, float) and isinstance(theirs, float):
        return math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(mine, dict) and isinstance(theirs, dict) and mine.keys() == theirs.keys():
        return all(_same(mine[k], theirs[k]) for k in mine)
    return mine == theirs


def _memory_root(memory: MemoryStore, key: str) -> str:
    record = memory.index[key]
    while record.parent is not None:
        key = record.parent
        record = memory.index[key]
    return key


def _lead_facts(
    lead: LeadState, account: AccountState | None, rules: CompiledRules, at: int, exact: bool
) -> dict[str, object]:
    profile = build_profile(lead, account, rules)
    facts: dict[str, object] = {
        "account_id": lead.account_id,
        "latest_ms": lead.latest_ms,
        "email": lead.email,
        "traits": lead.trait_values(),
        "fit": (profile.fit_score, profile.grade, profile.disqualifiers),
        "seen": set(lead.seen),
        "caps": lead.caps,
        "intent": {c: d.value_at(at) for c, d in sorted(lead.intent.items())},
    }
    if exact:
        facts |= {
            "stage": lead.stage,
            "product_stage": lead.product_stage,
            "contributions": sorted(
                (c.rule_id, c.event_id, c.points, c.earned_ms) for c in lead.contributions
            ),
        }
    return facts


def _account_facts(account: AccountState, at: int, exact: bool) -> dict[str, object]:
    facts: dict[str, object] = {
        "members": set(account.members),
        "domain": account.domain,
        "traits": account.trait_values(),
        "intent": intent_total(account.intent, at),
    }
    if exact:
        facts["stage"] = account.stage
    return facts


@asynccontextmanager
async def open_store(settings: Settings, rules: CompiledRules) -> AsyncIterator[StorePipeline]:
    """The pipeline on the worker's Redis, with the worker's key layout."""
    client = redis_client(settings.redis_url)
    try:
        yield StorePipeline(client, rules)
    finally:
        await client.aclose()


async def settle(
    store: StorePipeline, reference: ReplayResult, deadline_s: float = 20.0, *, exact: bool = True
) -> list[str]:
    """Poll until Redis matches ``reference`` or the deadline passes; the last differences."""
    give_up = time.monotonic() + deadline_s
    while True:
        differences = await state_differences(store, reference, exact=exact)
        if not differences or time.monotonic() > give_up:
            return differences
        await asyncio.sleep(0.1)


# ------------------------------------------------------- a realistic small story
def story(start: datetime) -> list[Inbound]:
    """Two companies' buying groups over 90 minutes, in every inbound format, sorted by
    event time. What happens (``leadq replay`` agrees, see test_stream_vs_replay):

    - acme.com: Ann (VP) identifies, sends firmographics, reads pricing and a case
      study and requests a demo (MQL, then SQL on the demo); Bob (engineering) clicks
      emails (SendGrid, one machine open among them) and reads docs pages; Cy (manager)
      signs up for the product and uses it. Three engaged people, two personas with a
      decision maker: acme becomes an MQA.
    - globex.com: an anonymous visitor reads pricing, case studies and attends a
      webinar; identifying as Dee (director) stitches all of it into ``u:dee``, which
      becomes an MQL; sales rejects her in the CRM (recycled). Eve gets accepted by
      sales straight away (SQL from a CRM verdict).
    """
    at = iter(start + timedelta(minutes=3 * n) for n in range(1000))
    web: Channel = "web"
    email: Channel = "email"
    product: Channel = "product"
    crm: Channel = "crm"
    ann, bob, cy, dee, eve = "ann", "bob", "cy", "dee", "eve"
    messages = [
        Inbound(web, ann, segment("identify", "ann-id", next(at), user_id=ann, traits={
            "email": "ann@acme.com", "seniority": "vp", "name": "Ann Archer"})),
        Inbound(web, ann, segment("group", "ann-grp", next(at), user_id=ann, groupId="acme.com",
            traits={"industry": "software", "employees": 1200, "website": "https://acme.com"})),
        Inbound(web, "anon-7f3", segment("page", "v-1", next(at), anonymous_id="anon-7f3",
            properties={"path": "/pricing"})),
        Inbound(web, ann, segment("page", "ann-p1", next(at), user_id=ann,
            properties={"path": "/pricing"})),
        Inbound(email, bob, [
            sendgrid_event("open", "bob-o1", "bob@acme.com", next(at), sg_machine_open=True),
            sendgrid_event("click", "bob-c1", "bob@acme.com", next(at),
                url="https://acme.example/docs"),
        ]),
        Inbound(web, bob, segment("identify", "bob-id", next(at), user_id=bob, traits={
            "email": "bob@acme.com", "department": "engineering"})),
        Inbound(web, "anon-7f3", segment("page", "v-2", next(at), anonymous_id="anon-7f3",
            properties={"path": "/customers/initech"})),
        Inbound(web, "anon-7f3", segment("track", "v-3", next(at), anonymous_id="anon-7f3",
            event="Webinar Attended")),
        Inbound(web, ann, segment("page", "ann-p2", next(at), user_id=ann,
            properties={"path": "/customers/globex"})),
        Inbound(product, cy, canonical(product, "Signed Up", "cy-su", next(at),
            email="cy@acme.com", user_id=cy)),
        Inbound(web, cy, segment("identify", "cy-id", next(at), user_id=cy, traits={
            "email": "cy@acme.com", "seniority": "manager"})),
        Inbound(web, "anon-7f3", segment("page", "v-4", next(at), anonymous_id="anon-7f3",
            properties={"path": "/customers/bigco"})),
        Inbound(web, "anon-7f3", segment("page", "v-5", next(at), anonymous_id="anon-7f3",
            properties={"path": "/pricing"})),
        Inbound(web, "anon-7f3", segment("track", "v-6", next(at), anonymous_id="anon-7f3",
            event="Webinar Attended")),
        Inbound(web, "anon-7f3", segment("page", "v-7", next(at), anonymous_id="anon-7f3",
            properties={"path": "/customers/hooli"})),
        Inbound(web, ann, segment("track", "ann-web", next(at), user_id=ann,
            event="Webinar Attended")),
        Inbound(email, bob, [
            sendgrid_event("click", "bob-c2", "bob@acme.com", next(at),
                url="https://acme.example/pricing"),
        ]),
        Inbound(web, bob, segment("page", "bob-p1", next(at), user_id=bob,
            properties={"path": "/pricing"})),
        Inbound(product, cy, canonical(product, "Feature Used", "cy-f1", next(at), user_id=cy)),
        Inbound(product, cy, canonical(product, "Teammate Invited", "cy-f2", next(at),
            user_id=cy)),
        Inbound(web, "anon-7f3", segment("identify", "dee-id", next(at), user_id=dee,
            anonymous_id="anon-7f3", traits={"email": "dee@globex.com",
            "seniority": "director", "purchase_role": "decision_maker"})),
        Inbound(web, ann, segment("page", "ann-p3", next(at), user_id=ann,
            properties={"path": "/pricing/enterprise"})),
        Inbound(web, ann, segment("track", "ann-demo", next(at), user_id=ann,
            event="Demo Requested")),
        Inbound(web, bob, segment("page", "bob-p2", next(at), user_id=bob,
            properties={"path": "/customers/acme-story"})),
        Inbound(email, bob, [
            sendgrid_event("click", "bob-c3", "bob@acme.com", next(at),
                url="https://acme.example/security"),
        ]),
        Inbound(web, cy, segment("track", "cy-web", next(at), user_id=cy,
            event="Webinar Attended")),
        Inbound(web, cy, segment("page", "cy-p1", next(at), user_id=cy,
            properties={"path": "/pricing"})),
        Inbound(crm, dee, canonical(crm, "sales_rejected", "crm-dee", next(at),
            email="dee@globex.com") | {"reason": "no budget this year"}),
        Inbound(crm, eve, canonical(crm, "sales_accepted", "crm-eve", next(at),
            email="eve@globex.com") | {"owner": "rep-7"}),
    ]  # fmt: skip
    return messages
