"""Identity stitching and account membership, driven through ``World.process``.

Lead ids are ``u:<user id>``, ``e:<email>`` or ``a:<anonymous id>``; when one signal names
keys of two leads they merge into the preferred id (``u:`` over ``e:`` over ``a:``). A lead
joins an account by an explicit account id, else by its email's company domain; free-mail
domains never form accounts.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import JsonValue

from leadq.compiled import CompiledRules, compile_rules
from leadq.state import LeadState, event_digest
from leadq.transitions import intent_total
from schemas.rules import load_rules
from schemas.signal import Account, Identity, Signal, SignalType
from schemas.transition import ms_to_datetime
from tests.harness import World, new_world

pytestmark = pytest.mark.usefixtures("store_kind")

RULES_PATH = Path(__file__).resolve().parents[1] / "rules" / "scenarios.yaml"
RULES: CompiledRules = compile_rules(load_rules(RULES_PATH))

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR = 3_600_000
DAY = 24 * HOUR
WEB_HALF_LIFE = 14 * DAY

_ids = itertools.count(1)


def sig(
    name: str = "",
    *,
    at: int = T0,
    kind: SignalType = "track",
    user: str | None = None,
    email: str | None = None,
    anon: str | None = None,
    previous: str | None = None,
    account_id: str | None = None,
    props: dict[str, JsonValue] | None = None,
    traits: dict[str, JsonValue] | None = None,
    event_id: str | None = None,
) -> Signal:
    return Signal(
        event_id=event_id or f"id-{next(_ids):05d}",
        channel="web",
        type=kind,
        name=name,
        occurred_at=ms_to_datetime(at),
        identity=Identity(user_id=user, email=email, anonymous_id=anon, previous_id=previous),
        account=Account(id=account_id),
        properties=props or {},
        traits=traits or {},
    )


def page(path: str, **kw: Any) -> Signal:
    return sig(kind="page", props={"path": path}, **kw)


def webinar(**kw: Any) -> Signal:
    return sig("Webinar Attended", **kw)


def identify(**kw: Any) -> Signal:
    return sig(kind="identify", **kw)


def intent(lead: LeadState, at_ms: int) -> float:
    return intent_total(lead.intent, at_ms)


async def run(signals: list[Signal]) -> World:
    world = new_world(RULES)
    for signal in signals:
        await world.process(signal)
    return world


# -------------------------------------------------------------------------- stitching
KNOWN = {"u": {"user": "42"}, "e": {"email": "bob@acme.com"}}
STITCH_CASES = [
    # (known lead's identity, other lead's identity, the stitching identify, survivor)
    (KNOWN["u"], {"anon": "x"}, {"user": "42", "anon": "x"}, "u:42", "a:x"),
    (KNOWN["e"], {"anon": "x"}, {"email": "bob@acme.com", "anon": "x"}, "e:bob@acme.com", "a:x"),
    (
        KNOWN["u"],
        {"email": "bob@acme.com"},
        {"user": "42", "email": "bob@acme.com"},
        "u:42",
        "e:bob@acme.com",
    ),
]


@pytest.mark.parametrize(("known", "other", "stitch", "survivor", "gone"), STITCH_CASES)
@pytest.mark.parametrize("known_first", [True, False])
async def test_identify_stitches_earlier_activity_into_the_preferred_lead(
    known: dict[str, str],
    other: dict[str, str],
    stitch: dict[str, str],
    survivor: str,
    gone: str,
    known_first: bool,
) -> None:
    known_events = [webinar(at=T0 + HOUR, **known), page("/blog/a", at=T0 + 4 * HOUR, **known)]
    other_events = [
        page("/pricing", at=T0 + 2 * HOUR, **other),
        page("/customers/a", at=T0 + 3 * HOUR, **other),
    ]
    world = await run(known_events + other_events if known_first else other_events + known_events)
    assert set(await world.leads()) == {survivor, gone}
    at = T0 + 5 * HOUR
    expected = intent((await world.lead(survivor)), at) + intent((await world.lead(gone)), at)
    await world.process(identify(at=at, **stitch))
    assert set(await world.leads()) == {survivor}
    merged = await world.lead(survivor)
    assert intent(merged, at) == pytest.approx(expected, rel=1e-12)
    assert len(merged.contributions) == 4
    assert [await world.index(k) for k in (survivor, gone)] == [survivor, survivor]
    await world.process(
        page("/blog/b", at=at + HOUR, **other)
    )  # the old identity finds the survivor
    assert set(await world.leads()) == {survivor}
    assert intent((await world.lead(survivor)), at + HOUR) == pytest.approx(
        expected * 2 ** (-HOUR / WEB_HALF_LIFE) + 2, rel=1e-12
    )


async def test_stitching_exact_sum_of_decayed_scores() -> None:
    world = await run([webinar(user="42", at=T0), page("/pricing", anon="x", at=T0 + DAY)])
    stitch_at = T0 + 3 * DAY
    await world.process(identify(user="42", anon="x", at=stitch_at))
    expected = 10 * 2 ** (-3 * DAY / WEB_HALF_LIFE) + 15 * 2 ** (-2 * DAY / WEB_HALF_LIFE)
    assert intent((await world.lead("u:42")), stitch_at) == pytest.approx(expected, rel=1e-12)
    assert (await world.lead("u:42")).latest_ms == stitch_at


async def test_stitched_caps_are_recapped_earliest_first() -> None:
    world = await run(
        [
            page("/pricing", user="42", at=T0 + 9 * HOUR, event_id="k09"),
            page("/pricing", user="42", at=T0 + 10 * HOUR, event_id="k10"),
            page("/pricing", anon="x", at=T0 + 8 * HOUR, event_id="a08"),
            page("/pricing", anon="x", at=T0 + 11 * HOUR, event_id="a11"),
        ]
    )
    at = T0 + 12 * HOUR
    await world.process(identify(user="42", anon="x", at=at))
    lead = await world.lead("u:42")
    expected = sum(15 * 2 ** (-(at - T0 - h * HOUR) / WEB_HALF_LIFE) for h in (8, 9))
    assert intent(lead, at) == pytest.approx(expected, rel=1e-12)
    awarded = [award[1] for award in lead.caps["pricing_page"][T0 // DAY]]
    assert awarded == [event_digest("a08"), event_digest("k09")]


async def test_stitched_explanations_forget_recapped_events() -> None:
    world = await run(
        [
            page("/pricing", user="42", at=T0 + 9 * HOUR, event_id="k09"),
            page("/pricing", user="42", at=T0 + 10 * HOUR, event_id="k10"),
            page("/pricing", anon="x", at=T0 + 8 * HOUR, event_id="a08"),
            page("/pricing", anon="x", at=T0 + 11 * HOUR, event_id="a11"),
        ]
    )
    await world.process(identify(user="42", anon="x", at=T0 + 12 * HOUR))
    assert sorted(c.event_id for c in (await world.lead("u:42")).contributions) == ["a08", "k09"]


async def test_identify_of_a_new_user_renames_the_anonymous_lead() -> None:
    """As documented in ``leadq.identity``: a lead's id is always its most preferred key,
    so an anonymous visitor who identifies becomes ``u:42``, keeping its history."""
    world = await run([page("/pricing", anon="x"), identify(user="42", anon="x", at=T0 + HOUR)])
    assert set(await world.leads()) == {"u:42"}
    assert (await world.index("a:x")) == "u:42"
    assert (await world.index("u:42")) == "u:42"
    await world.process(webinar(user="42", at=T0 + 2 * HOUR))
    await world.process(page("/blog/a", anon="x", at=T0 + 3 * HOUR))
    assert set(await world.leads()) == {"u:42"}
    assert len((await world.lead("u:42")).contributions) == 3


@pytest.mark.parametrize(
    ("current", "previous", "old_lead", "survivor"),
    [
        ("new", "old", {"anon": "old"}, "u:new"),  # previous_id names an anonymous visitor
        ("beta", "alpha", {"user": "alpha"}, "u:alpha"),  # ...or a user id: the smaller id wins
        ("alpha", "beta", {"user": "beta"}, "u:alpha"),
    ],
)
async def test_alias_merges_the_previous_identity(
    current: str, previous: str, old_lead: dict[str, str], survivor: str
) -> None:
    world = await run([webinar(user=current, at=T0), page("/pricing", at=T0 + HOUR, **old_lead)])
    assert len(await world.leads()) == 2
    at = T0 + 2 * HOUR
    expected = sum(intent(lead, at) for lead in (await world.leads()).values())
    await world.process(sig(kind="alias", user=current, previous=previous, at=at))
    assert set(await world.leads()) == {survivor}
    assert intent((await world.lead(survivor)), at) == pytest.approx(expected, rel=1e-12)


async def test_alias_of_an_unknown_previous_id_changes_no_lead() -> None:
    world = await run(
        [webinar(user="new"), sig(kind="alias", user="new", previous="ghost", at=T0 + HOUR)]
    )
    assert set(await world.leads()) == {"u:new"}
    assert await world.index("a:ghost") is None


# --------------------------------------------------------------------------- accounts
@pytest.mark.parametrize(
    ("email", "account_id", "expected"),
    [
        ("bob@acme.com", None, "acme.com"),
        ("bob@ACME.com", None, "acme.com"),
        ("bob@eu.acme.com", None, "eu.acme.com"),
        ("bob@acme.com", "acct-7", "acct-7"),
        ("bob@gmail.com", "acct-7", "acct-7"),  # an explicit id works whatever the email
        ("bob@gmail.com", None, None),
        ("bob@outlook.com", None, None),
        ("bob@example-freemail.net", None, None),  # free mail listed in the rules file
        (None, None, None),
    ],
)
async def test_lead_joins_account_by_explicit_id_or_company_domain(
    email: str | None, account_id: str | None, expected: str | None
) -> None:
    world = await run([webinar(user="bob", email=email, account_id=account_id)])
    lead = await world.lead("u:bob")
    assert lead.account_id == expected
    assert set(await world.accounts()) == ({expected} if expected else set())
    if expected is not None:
        account = await world.account(expected)
        assert set(account.members) == {"u:bob"}
        assert intent_total(account.intent, T0) == 10


async def test_free_mail_domains_never_form_accounts() -> None:
    world = await run(
        [
            webinar(user=f"p{i}", email=f"p{i}@{domain}")
            for i, domain in enumerate(
                [
                    "gmail.com",
                    "gmail.com",
                    "example-freemail.net",
                    "example-freemail.net",
                    "yahoo.com",
                ]
            )
        ]
    )
    assert await world.accounts() == {}
    assert all(lead.account_id is None for lead in (await world.leads()).values())
    assert RULES.free_mail >= {"gmail.com", "example-freemail.net"}


async def test_colleagues_share_their_domain_account() -> None:
    world = await run(
        [
            webinar(user="alice", email="alice@acme.com"),
            page("/pricing", user="bob", email="bob@acme.com"),
            page("/pricing", user="carol", email="carol@other.io"),
        ]
    )
    assert set(await world.accounts()) == {"acme.com", "other.io"}
    acme = await world.account("acme.com")
    assert set(acme.members) == {"u:alice", "u:bob"}
    assert acme.domain == "acme.com"
    assert intent_total(acme.intent, T0) == 25
    assert {c.lead_id for c in acme.contributions} == {"u:alice", "u:bob"}


async def test_later_explicit_group_id_moves_the_lead_out_of_its_domain_account() -> None:
    world = await run(
        [webinar(user="bob", email="bob@acme.com"), webinar(user="dan", email="dan@acme.com")]
    )
    assert (await world.lead("u:bob")).account_id == "acme.com"
    group = sig(
        kind="group",
        user="bob",
        account_id="acme-corp",
        at=T0 + HOUR,
        traits={"industry": "software", "employees": 800},
    )
    await world.process(group)
    assert (await world.lead("u:bob")).account_id == "acme-corp"
    assert set((await world.account("acme.com")).members) == {"u:dan"}
    assert set((await world.account("acme-corp")).members) == {"u:bob"}
    assert (await world.account("acme-corp")).trait_values() == {
        "industry": "software",
        "employees": 800,
    }
    await world.process(page("/pricing", email="bob@acme.com", at=T0 + 2 * HOUR))  # no id: stays
    assert (await world.lead("u:bob")).account_id == "acme-corp"
    assert set((await world.account("acme.com")).members) == {"u:dan"}


@pytest.mark.parametrize(
    "story",
    [
        [
            webinar(user="bob", email="bob@acme.com"),  # moves to an explicit account
            sig(kind="group", user="bob", account_id="acme-corp", at=T0 + HOUR),
        ],
        [
            webinar(user="bob"),  # joins a domain account from none
            identify(user="bob", email="bob@acme.com", at=T0 + HOUR),
        ],
        [
            webinar(user="bob", email="bob@acme.com"),  # merged from another account
            page("/pricing", anon="x", account_id="acct-x"),
            identify(user="bob", anon="x", at=T0 + HOUR),
        ],
    ],
)
async def test_account_intent_is_the_sum_of_its_members_intent(story: list[Signal]) -> None:
    world = await run(story)
    assert len(await world.leads()) == 1
    for account in (await world.accounts()).values():
        members = [await world.lead(m) for m in account.members]
        total = sum(intent(m, T0 + HOUR) for m in members)
        assert intent_total(account.intent, T0 + HOUR) == pytest.approx(total, abs=1e-9)


@pytest.mark.parametrize(
    "stale",
    [
        sig(kind="group", user="bob", account_id="acme-corp", at=T0 - 100 * DAY),  # too late
        sig(kind="group", user="bob", account_id="acme-corp", at=T0, event_id="first"),
    ],  # dup
)
async def test_unapplied_signal_still_moves_the_lead_consistently(stale: Signal) -> None:
    """Account membership is identity-level (the stream resolves it before any event-time
    check), so even an unapplied group call moves the lead — but consistently: it is a
    member of exactly one account, and its intent moves with it."""
    world = await run([webinar(user="bob", email="bob@acme.com", event_id="first"), stale])
    assert world.replayer.counts.get("applied") == 1
    lead = await world.lead("u:bob")
    assert lead.account_id == "acme-corp"
    assert set((await world.account("acme-corp")).members) == {"u:bob"}
    assert (await world.account("acme.com")).members == {}
    at = T0 + HOUR
    assert intent_total((await world.account("acme-corp")).intent, at) == pytest.approx(
        intent_total(lead.intent, at), rel=1e-12
    )
    assert intent_total((await world.account("acme.com")).intent, at) == pytest.approx(0, abs=1e-9)


async def test_account_only_group_call_feeds_members_fit() -> None:
    world = await run(
        [
            webinar(user="bob", account_id="acct-9"),
            sig(
                kind="group",
                account_id="acct-9",
                at=T0 + HOUR,
                traits={"industry": "fintech", "employees": 2500},
            ),
        ]
    )
    assert set(await world.leads()) == {"u:bob"}
    assert (await world.account("acct-9")).trait_values() == {
        "industry": "fintech",
        "employees": 2500,
    }
    # 10·2^(−2h/14d) + 10k + fit 20 first reaches 100 at k = 8
    transitions = [
        t for _ in range(9) for t in await world.process(webinar(user="bob", at=T0 + 2 * HOUR))
    ]
    (mql,) = transitions
    assert mql.fit is not None
    assert mql.fit.score == 20
    assert math.isclose(mql.score, 20 + mql.intent_score, abs_tol=1e-5)
