"""Scenario tests of the pure engine: fit, intent, answers, decay, stages, late events,
explanations and purity, driven through ``World.process``/``World.advance`` and ``apply``.

Times are whole epoch milliseconds from ``T0`` (a UTC midnight, so per-day cap buckets
start there). Events sharing one millisecond add exactly (no decay between them), which
lets most tests assert exact scores.
"""

from __future__ import annotations

import copy
import itertools
import math
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import JsonValue

from leadq.compiled import CompiledRules, compile_rules
from leadq.decay import Decayed
from leadq.engine import apply
from leadq.profile import build_profile
from leadq.stages import lead_due
from leadq.state import AccountState, LeadState, event_digest
from leadq.transitions import intent_total
from schemas.rules import load_rules, rules_from_data
from schemas.signal import Account, Channel, Identity, Signal, SignalType
from schemas.transition import TransitionData, ms_to_datetime
from tests.harness import World, new_world

pytestmark = pytest.mark.usefixtures("store_kind")

RULES_PATH = Path(__file__).resolve().parents[1] / "rules" / "scenarios.yaml"
RULES: CompiledRules = compile_rules(load_rules(RULES_PATH))

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEB_HALF_LIFE = 14 * DAY
EMAIL_HALF_LIFE = 7 * DAY
PRODUCT_HALF_LIFE = 21 * DAY

_ids = itertools.count(1)


# ------------------------------------------------------------------------- helpers
def sig(
    name: str = "",
    *,
    at: int = T0,
    channel: Channel = "web",
    kind: SignalType = "track",
    user: str | None = "pat",
    email: str | None = None,
    anon: str | None = None,
    account_id: str | None = None,
    props: dict[str, JsonValue] | None = None,
    traits: dict[str, JsonValue] | None = None,
    bot: bool = False,
    event_id: str | None = None,
) -> Signal:
    """One canonical signal; ids are unique unless given."""
    return Signal(
        event_id=event_id or f"ev-{next(_ids):05d}",
        channel=channel,
        type=kind,
        name=name,
        occurred_at=ms_to_datetime(at),
        identity=Identity(user_id=user, email=email, anonymous_id=anon),
        account=Account(id=account_id),
        properties=props or {},
        traits=traits or {},
        is_bot=bot,
    )


def page(path: str, **kw: Any) -> Signal:
    return sig(kind="page", props={"path": path}, **kw)


def identify(traits: dict[str, JsonValue], **kw: Any) -> Signal:
    return sig(kind="identify", traits=traits, **kw)


def group(account_id: str, traits: dict[str, JsonValue], **kw: Any) -> Signal:
    return sig(kind="group", account_id=account_id, traits=traits, **kw)


def crm(name: str, **kw: Any) -> Signal:
    return sig(name, channel="crm", **kw)


def mail(name: str, **kw: Any) -> Signal:
    return sig(name, channel="email", **kw)


def product(name: str, **kw: Any) -> Signal:
    return sig(name, channel="product", **kw)


def webinars(count: int, **kw: Any) -> list[Signal]:
    return [sig("Webinar Attended", **kw) for _ in range(count)]


async def run(
    signals: Iterable[Signal], rules: CompiledRules = RULES
) -> tuple[World, list[TransitionData]]:
    world = new_world(rules)
    transitions: list[TransitionData] = []
    for signal in signals:
        transitions += await world.process(signal)
    return world, transitions


def moves(transitions: Iterable[TransitionData]) -> list[tuple[str, str, str]]:
    return [(t.entity_id, t.stage_from, t.stage_to) for t in transitions]


def ms(transition: TransitionData) -> int:
    return round(transition.at.timestamp() * 1000)


async def account_of(world: World, lead: LeadState) -> AccountState | None:
    return await world.account_of(lead)


async def fit_of(world: World, lead_id: str = "u:pat") -> tuple[float, str]:
    lead = await world.lead(lead_id)
    profile = build_profile(lead, await account_of(world, lead), world.rules)
    return profile.fit_score, profile.grade


async def answers_of(world: World, lead_id: str = "u:pat") -> tuple[dict[str, Any], float]:
    lead = await world.lead(lead_id)
    profile = build_profile(lead, await account_of(world, lead), world.rules)
    return profile.answers, profile.answers_score


async def due_of(world: World, lead_id: str = "u:pat") -> int | None:
    lead = await world.lead(lead_id)
    return lead_due(
        lead, build_profile(lead, await account_of(world, lead), world.rules), world.rules
    )


def decayed(points: float, earned_ms: int, read_ms: int, half_life_ms: int) -> float:
    return float(points * 2.0 ** (-(read_ms - earned_ms) / half_life_ms))


def first_ms_below(at_ms: int, value: float, margin: float, half_life_ms: int) -> int:
    """The first whole ms where ``value`` earned at ``at_ms`` has decayed below ``margin``:
    T + h·log2(S/margin), rounded up (the test data keep it away from a whole ms)."""
    exact = at_ms + half_life_ms * math.log2(value / margin)
    assert 0.01 < exact % 1 < 0.99
    return math.ceil(exact)


def small_rules(
    intent_rules: list[dict[str, Any]], mql: dict[str, Any] | None = None, **extra: Any
) -> CompiledRules:
    """Focused rules: one 3650-day half-life (decay negligible) unless overridden."""
    data: dict[str, Any] = {
        "intent": {"half_lives": {"default": "3650d"}, "rules": intent_rules},
        "stages": {"mql": mql or {"enter": 100, "exit": 60}},
        **extra,
    }
    return compile_rules(rules_from_data(data))


def points_rule(rule_id: str, points: float, **extra: Any) -> dict[str, Any]:
    """An intent rule matching track events named ``rule_id``."""
    return {"id": rule_id, "when": {"name": rule_id}, "points": points, **extra}


# ----------------------------------------------------------------------------- fit
@pytest.mark.parametrize(
    ("seniority", "points"),
    [
        ("vp", 15),
        ("VP", 15),
        ("c_level", 15),
        ("founder", 15),
        ("owner", 15),
        ("director", 10),
        ("Director", 10),
        ("manager", 5),
        ("individual_contributor", 0),
    ],
)
async def test_seniority_points(seniority: str, points: float) -> None:
    world, _ = await run([identify({"seniority": seniority})])
    assert (await fit_of(world))[0] == points


@pytest.mark.parametrize(
    ("industry", "employees", "points"),
    [
        ("software", 500, 20),
        ("SaaS", 5000, 20),
        ("fintech", "1,200", 20),
        ("retail", 1200, 10),
        ("saas", 499, 10),
        ("saas", 5001, 10),
        ("retail", 50, 0),
    ],
)
async def test_industry_and_size_come_from_group_account_traits(
    industry: str, employees: JsonValue, points: float
) -> None:
    world, _ = await run(
        [
            identify({"seniority": "individual_contributor"}),
            group("acct-1", {"industry": industry, "employees": employees}),
        ]
    )
    assert (await world.lead("u:pat")).account_id == "acct-1"
    assert (await world.lead("u:pat")).traits.keys() == {
        "seniority"
    }  # group traits go to the account
    assert (await fit_of(world))[0] == points


@pytest.mark.parametrize(
    ("traits", "email", "score", "grade"),
    [
        ({"seniority": "vp"}, "pat@acme.com", 30, "A"),  # + industry below
        ({"seniority": "vp"}, None, 25, "B"),
        ({"seniority": "director"}, None, 20, "B"),
        ({"seniority": "director"}, "pat@acme.com", 25, "B"),
        ({"seniority": "vp"}, "pat@gmail.com", 25, "B"),  # free mail: no business_email
        ({"seniority": "manager"}, None, 15, "C"),
        ({"seniority": "manager"}, "pat@acme.com", 20, "B"),
    ],
)
async def test_example_grades(
    traits: dict[str, JsonValue], email: str | None, score: float, grade: str
) -> None:
    world, _ = await run(
        [
            identify(traits, email=email),
            group("acct-1", {"industry": "software"}),
        ]
    )
    assert await fit_of(world) == (score, grade)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (30, "A"),
        (29.99, "B"),
        (20, "B"),
        (19.99, "C"),
        (10, "C"),
        (9.99, "D"),
        (5, "D"),
        (4.99, "F"),
        (0, "F"),
        (-5, "F"),
    ],
)
async def test_grade_boundaries(score: float, grade: str) -> None:
    rules = small_rules(
        [],
        fit={
            "rules": [{"id": "given", "when": {"traits.given": True}, "points": score}],
            "grades": {"A": 30, "B": 20, "C": 10, "D": 5},
        },
    )
    world, _ = await run([identify({"given": True})], rules)
    assert await fit_of(world) == (score, grade)


DISQUALIFYING = [
    ("competitor", "works at a competitor", [identify({}, email="pat@rivalcorp.com")]),
    ("student", "is a student", [identify({"title": "Graduate Student"})]),
    ("student_email", "uses a school email address", [identify({}, email="pat@mit.edu")]),
    ("student_email", "uses a school email address", [identify({}, email="pat@ox.ac.uk")]),
    ("unsupported_region", "is in a region we do not sell to", [identify({"country": "kp"})]),
    (
        "too_small",
        "works at a company under 10 employees",
        [identify({}), group("tiny", {"employees": 9})],
    ),
]


@pytest.mark.parametrize(("rule_id", "reason", "signals"), DISQUALIFYING)
async def test_each_disqualifier_names_its_reason(
    rule_id: str, reason: str, signals: list[Signal]
) -> None:
    world, transitions = await run(signals)
    (move,) = transitions
    assert (move.stage_from, move.stage_to) == ("known", "disqualified")
    assert move.fit is not None
    assert move.fit.disqualifiers == (reason,)
    assert f"{rule_id} ({reason})" in move.reason
    assert move.trigger_event_id == signals[-1].event_id
    assert (await world.lead("u:pat")).stage == "disqualified"


@pytest.mark.parametrize(("rule_id", "reason", "signals"), DISQUALIFYING)
async def test_disqualified_lead_is_never_promoted(
    rule_id: str, reason: str, signals: list[Signal]
) -> None:
    flood = [
        *webinars(30, at=T0 + HOUR),
        sig("Demo Requested", at=T0 + HOUR),
        product("Signed Up", at=T0 + HOUR),
        product("Feature Used", at=T0 + HOUR),
        crm("sales_accepted", at=T0 + 2 * HOUR),
    ]
    world, transitions = await run([*signals, *flood])
    assert [t.stage_to for t in transitions if t.track == "lifecycle"] == ["disqualified"]
    assert intent_total((await world.lead("u:pat")).intent, T0 + HOUR) > 300
    assert (await world.lead("u:pat")).stage == "disqualified"


@pytest.mark.parametrize(
    ("disqualify", "lift"),
    [
        (identify({"title": "Student"}), identify({"title": "Data Engineer"}, at=T0 + 1)),
        (identify({"country": "IR"}), identify({"country": "DE"}, at=T0 + 1)),
        (group("tiny", {"employees": 5}), group("tiny", {"employees": 50}, at=T0 + 1)),
    ],
)
async def test_rules_disqualification_is_lifted_when_traits_change(
    disqualify: Signal, lift: Signal
) -> None:
    _, transitions = await run([disqualify, lift, *webinars(10, at=T0 + 2)])
    assert moves(transitions) == [
        ("u:pat", "known", "disqualified"),
        ("u:pat", "disqualified", "known"),
        ("u:pat", "known", "mql"),
    ]
    assert transitions[1].trigger_event_id == lift.event_id
    assert transitions[1].fit is not None
    assert transitions[1].fit.disqualifiers == ()


async def test_crm_disqualification_is_sticky() -> None:
    disqualify = crm("disqualified", at=T0 + 1)
    later = [
        identify({"seniority": "vp", "title": "CTO"}, at=T0 + 2),
        *webinars(20, at=T0 + 3),
        sig("Demo Requested", at=T0 + 3),
        crm("sales_accepted", at=T0 + 4),
    ]
    world, transitions = await run([identify({"title": "Engineer"}), disqualify, *later])
    (move,) = transitions
    assert (move.stage_from, move.stage_to, move.reason) == (
        "known",
        "disqualified",
        "crm: disqualified",
    )
    assert move.trigger_event_id == disqualify.event_id
    assert (await world.lead("u:pat")).stage == "disqualified"


async def test_crm_disqualification_of_a_rules_disqualified_lead_is_sticky() -> None:
    world, transitions = await run(
        [
            identify({"title": "Student"}),
            crm("disqualified", at=T0 + 1),
            identify({"title": "Engineer"}, at=T0 + 2),
        ]
    )
    assert (await world.lead("u:pat")).stage == "disqualified"
    assert [t.stage_to for t in transitions] == ["disqualified"]


# -------------------------------------------------------------------------- intent
@pytest.mark.parametrize(
    ("signal", "expected"),
    [
        (page("/pricing"), {"pricing_page": ("web", 15)}),
        (page("/pricing/enterprise"), {"pricing_page": ("web", 15)}),
        (page("/customers/acme"), {"case_study": ("web", 10)}),
        (page("/blog/streaming"), {"blog": ("web", 2)}),
        (sig("Demo Requested"), {"demo_request": ("web", 25)}),
        (sig("demo_request", channel="product"), {"demo_request": ("product", 25)}),
        (sig("Webinar Attended"), {"webinar": ("web", 10)}),
        (mail("open"), {"email_open": ("email", 1)}),
        (mail("click"), {"email_click": ("email", 3)}),
        (mail("unsubscribe"), {"unsubscribe": ("email", -10)}),
        (mail("spam_report"), {"unsubscribe": ("email", -10)}),
        (product("Signed Up"), {"product_signup": ("product", 20)}),
        (product("Feature Used"), {"product_active": ("product", 5)}),
        (page("/about"), {}),
        (sig("Demo Requested", channel="email"), {}),
    ],
)
def test_points_per_rule(signal: Signal, expected: dict[str, tuple[str, float]]) -> None:
    outcome = apply(None, None, signal, RULES, lead_id="u:pat")
    assert outcome.lead is not None
    lead = outcome.lead
    by_category = dict(expected.values())
    assert {c: d.value_at(T0) for c, d in lead.intent.items()} == by_category
    assert {c.rule_id: (c.category, c.points) for c in lead.contributions} == expected


async def test_every_matching_rule_adds() -> None:
    rules = small_rules(
        [
            {"id": "any_page", "when": {"type": "page"}, "points": 1},
            {"id": "pricing", "when": {"properties.path": {"glob": "/pricing*"}}, "points": 15},
            {"id": "enterprise", "when": {"properties.plan": "enterprise"}, "points": 5},
            {"id": "penalty", "when": {"properties.plan": "free"}, "points": -3},
        ]
    )
    world, _ = await run(
        [sig(kind="page", props={"path": "/pricing", "plan": "enterprise"})], rules
    )
    lead = await world.lead("u:pat")
    assert intent_total(lead.intent, T0) == 21
    assert sorted(c.rule_id for c in lead.contributions) == ["any_page", "enterprise", "pricing"]


async def test_negative_points_subtract() -> None:
    world, _ = await run([mail("click"), mail("click"), mail("unsubscribe")])
    lead = await world.lead("u:pat")
    assert lead.intent["email"].value_at(T0) == 3 + 3 - 10
    assert lead.intent["email"].value_at(T0 + EMAIL_HALF_LIFE) == -2


@pytest.mark.parametrize(
    ("offsets", "scored"),
    [
        ([1 * HOUR, 2 * HOUR, 3 * HOUR], [0, 1]),  # 3 views in one day: 2 score
        ([23 * HOUR, 23 * HOUR + 30 * MINUTE, 25 * HOUR], [0, 1, 2]),  # next UTC day: new bucket
        # same ms: the smallest event id digests win (p2 and p3 here)
        (
            [5 * HOUR, 5 * HOUR, 5 * HOUR, 5 * HOUR],
            sorted(range(4), key=lambda i: event_digest(f"p{i}"))[:2],
        ),
        ([1 * HOUR, 2 * HOUR, 3 * HOUR, DAY + HOUR, DAY + 2 * HOUR, DAY + 3 * HOUR], [0, 1, 3, 4]),
    ],
)
async def test_pricing_cap_two_per_day_exact_totals(offsets: list[int], scored: list[int]) -> None:
    views = [page("/pricing", at=T0 + o, event_id=f"p{i}") for i, o in enumerate(offsets)]
    world, _ = await run(views)
    lead = await world.lead("u:pat")
    newest = T0 + max(offsets)
    expected = sum(decayed(15, T0 + offsets[i], newest, WEB_HALF_LIFE) for i in scored)
    assert lead.intent["web"].value_at(newest) == pytest.approx(expected, rel=1e-12)
    assert sorted(c.event_id for c in lead.contributions) == sorted(f"p{i}" for i in scored)


@pytest.mark.parametrize(
    ("signals", "category", "cap_total"),
    [
        ([page(f"/blog/{i}") for i in range(8)], "web", 10),
        ([mail("open") for _ in range(9)], "email", 5),
        ([mail("click") for _ in range(4)], "email", 9),
        ([sig("Demo Requested") for _ in range(3)], "web", 25),
        ([product("Feature Used") for _ in range(6)], "product", 20),
    ],
)
async def test_caps_limit_each_rule_per_bucket(
    signals: list[Signal], category: str, cap_total: float
) -> None:
    world, _ = await run(signals)
    assert (await world.lead("u:pat")).intent[category].value_at(T0) == cap_total


def _mixed_history() -> list[Signal]:
    spec: list[tuple[str, int]] = [
        ("pricing", 9 * HOUR),
        ("pricing", 10 * HOUR),
        ("pricing", 11 * HOUR),
        ("pricing", 11 * HOUR),
        ("pricing", DAY + 8 * HOUR),
        ("blog", 2 * HOUR),
        *[("blog", 3 * HOUR + i * MINUTE) for i in range(6)],
        ("open", HOUR),
        *[("open", 2 * DAY + i * HOUR) for i in range(7)],
        ("unsub", 3 * DAY),
        ("demo", 4 * HOUR),
        ("demo", 5 * HOUR),
        ("feature", 2 * DAY),
        *[("feature", 2 * DAY + i * MINUTE) for i in range(5)],
        ("bot_open", 2 * DAY),
        ("case", 6 * HOUR),
        ("case", 2 * DAY),
        ("case", 4 * DAY),
        ("case", 5 * DAY),
    ]
    make = {
        "pricing": lambda **kw: page("/pricing", **kw),
        "blog": lambda **kw: page("/blog/x", **kw),
        "case": lambda **kw: page("/customers/x", **kw),
        "open": lambda **kw: mail("open", **kw),
        "bot_open": lambda **kw: mail("open", bot=True, **kw),
        "unsub": lambda **kw: mail("unsubscribe", **kw),
        "demo": lambda **kw: sig("Demo Requested", **kw),
        "feature": lambda **kw: product("Feature Used", **kw),
    }
    return [
        make[kind](at=T0 + offset, event_id=f"m{n:02d}", email="pat@acme.com")
        for n, (kind, offset) in enumerate(spec)
    ]


@pytest.mark.parametrize("seed", range(8))
async def test_caps_are_order_independent(seed: int) -> None:
    history = _mixed_history()
    shuffled = list(history)
    random.Random(seed).shuffle(shuffled)
    in_order, _ = await run(history)
    other, _ = await run(shuffled)
    read_at = T0 + 6 * DAY
    lead_a, lead_b = (await in_order.lead("u:pat")), (await other.lead("u:pat"))
    assert lead_a.intent.keys() == lead_b.intent.keys() == {"web", "email", "product"}
    for category in lead_a.intent:
        a, b = lead_a.intent[category].value_at(read_at), lead_b.intent[category].value_at(read_at)
        assert math.isclose(a, b, rel_tol=1e-9), category
    assert lead_a.caps == lead_b.caps
    account_a, account_b = (await in_order.account("acme.com")), (await other.account("acme.com"))
    assert math.isclose(
        intent_total(account_a.intent, read_at),
        intent_total(account_b.intent, read_at),
        rel_tol=1e-9,
    )


async def test_late_earlier_event_displaces_an_awarded_later_one() -> None:
    at_10, at_11, at_9 = T0 + 10 * HOUR, T0 + 11 * HOUR, T0 + 9 * HOUR
    world, _ = await run(
        [
            page("/pricing", at=at_10, event_id="p10"),
            page("/pricing", at=at_11, event_id="p11"),
            page("/pricing", at=at_9, event_id="p09"),
        ]
    )
    lead = await world.lead("u:pat")
    expected = decayed(15, at_9, at_11, WEB_HALF_LIFE) + decayed(15, at_10, at_11, WEB_HALF_LIFE)
    assert lead.intent["web"].value_at(at_11) == pytest.approx(expected, rel=1e-12)
    assert sorted(c.event_id for c in lead.contributions) == ["p09", "p10"]
    in_order, _ = await run(
        [
            page("/pricing", at=t, event_id=e)
            for t, e in [(at_9, "p09"), (at_10, "p10"), (at_11, "p11")]
        ]
    )
    assert math.isclose(
        (await in_order.lead("u:pat")).intent["web"].value_at(at_11),
        lead.intent["web"].value_at(at_11),
        rel_tol=1e-9,
    )
    assert (await in_order.lead("u:pat")).caps == lead.caps


@pytest.mark.parametrize(
    ("bot", "total", "engaged"),
    [(True, 0, False), (False, 1 + 3, True)],
)
async def test_bot_opens_score_nothing_and_are_not_engagement(
    bot: bool, total: float, engaged: bool
) -> None:
    world, _ = await run(
        [
            identify({}, email="pat@acme.com"),
            mail("open", bot=bot, at=T0 + 1),
            mail("click", bot=bot, at=T0 + 1),
        ]
    )
    lead = await world.lead("u:pat")
    member = (await world.account("acme.com")).members["u:pat"]
    assert intent_total(lead.intent, T0 + 1) == total
    assert intent_total((await world.account("acme.com")).intent, T0 + 1) == total
    assert (lead.last_engaged_ms is not None) is engaged
    assert (member.last_engaged_ms is not None) is engaged
    assert len(lead.contributions) == (2 if engaged else 0)


async def test_rule_with_count_bots_scores_machine_activity() -> None:
    rules = small_rules([points_rule("ping", 4, count_bots=True), points_rule("pong", 6)])
    world, _ = await run([sig("ping", bot=True), sig("pong", bot=True)], rules)
    assert intent_total((await world.lead("u:pat")).intent, T0) == 4
    assert (
        await world.lead("u:pat")
    ).last_engaged_ms is None  # machine activity is never engagement


# ------------------------------------------------------------------------- answers
@pytest.mark.parametrize(
    ("given", "answers", "points"),
    [
        ({"budget": "approved"}, {"budget": "approved"}, 10),
        ({"budget": "Planned"}, {"budget": "Planned"}, 5),
        ({"budget": "none"}, {"budget": "none"}, 0),
        ({"budget": "unknown-value"}, {"budget": "unknown-value"}, 0),
        ({"budget": ""}, {}, 0),
        ({"purchase_role": "decision_maker"}, {"authority": "decision_maker"}, 10),
        ({"purchase_role": "influencer"}, {"authority": "influencer"}, 5),
        ({"timeline": "this_quarter"}, {"timeline": "this_quarter"}, 10),
        ({"timeline": "next_decade"}, {"timeline": "next_decade"}, 0),
        (
            {"budget": "approved", "purchase_role": "decision_maker", "timeline": "this_year"},
            {"budget": "approved", "authority": "decision_maker", "timeline": "this_year"},
            25,
        ),
    ],
)
@pytest.mark.parametrize("via", ["identify", "form"])
async def test_answer_points(
    given: dict[str, JsonValue], answers: dict[str, JsonValue], points: float, via: str
) -> None:
    signal = identify(given) if via == "identify" else sig("Form Submitted", props=given)
    world, _ = await run([signal])
    assert await answers_of(world) == (answers, points)
    assert intent_total((await world.lead("u:pat")).intent, T0) == 0  # answers are not intent


async def test_answers_count_toward_mql() -> None:
    form = sig(
        "Form Submitted",
        props={"budget": "approved", "purchase_role": "decision_maker", "comment": "call me"},
    )
    _, transitions = await run([*webinars(8), form])
    (mql,) = transitions
    assert (mql.stage_to, mql.score, mql.answers_score) == ("mql", 100, 20)
    assert mql.answers == {"budget": "approved", "authority": "decision_maker"}
    assert mql.trigger_event_id == form.event_id


async def test_requires_answers_blocks_mql_until_present() -> None:
    data: dict[str, Any] = {
        "intent": {
            "half_lives": {"default": "3650d"},
            "rules": [points_rule("hit", 60), points_rule("demo", 5)],
        },
        "answers": [
            {"id": "budget", "field": "budget", "points": {"approved": 10}},
            {"id": "timeline", "field": "timeline"},
        ],
        "stages": {
            "mql": {"enter": 50, "exit": 20, "requires_answers": ["budget"]},
            "sql": {"on_rules": ["demo"], "requires_answers": ["timeline"]},
        },
    }
    rules = compile_rules(rules_from_data(data))
    steps = [
        (sig("hit"), []),
        (sig("hit", at=T0 + 1), []),
        (identify({"budget": "none"}, at=T0 + 2), ["mql"]),  # present, even worth 0 points
        (sig("demo", at=T0 + 3), []),  # hand raised, but SQL needs a timeline
        (sig("Form", props={"timeline": "soon"}, at=T0 + 4), []),
        (sig("demo", at=T0 + 5), ["sql"]),
    ]
    world = new_world(rules)
    for signal, expected in steps:
        assert [t.stage_to for t in await world.process(signal)] == expected, signal.name


# --------------------------------------------------------------------------- decay
@pytest.mark.parametrize(
    ("signal", "category", "points", "half_life"),
    [
        (page("/pricing"), "web", 15, WEB_HALF_LIFE),
        (mail("click"), "email", 3, EMAIL_HALF_LIFE),
        (mail("unsubscribe"), "email", -10, EMAIL_HALF_LIFE),
        (product("Signed Up"), "product", 20, PRODUCT_HALF_LIFE),
        (sig("demo_request", channel="product"), "product", 25, PRODUCT_HALF_LIFE),
    ],
)
async def test_intent_halves_every_half_life(
    signal: Signal, category: str, points: float, half_life: int
) -> None:
    world, _ = await run([signal])
    term = (await world.lead("u:pat")).intent[category]
    assert [term.value_at(T0 + n * half_life) for n in range(3)] == [points, points / 2, points / 4]
    assert term.value_at(T0 + half_life // 2) == pytest.approx(points / math.sqrt(2), rel=1e-12)


def _vp_at_acme(count: int) -> list[Signal]:
    """A VP with a work email (fit 15 + 5 = 20) attending ``count`` webinars at T0."""
    return [identify({"seniority": "vp"}, email="pat@acme.com"), *webinars(count)]


async def test_mql_recycles_when_decay_crosses_exit_at_the_computed_time() -> None:
    world, transitions = await run(_vp_at_acme(9))
    assert [(t.stage_to, t.score) for t in transitions] == [("mql", 100)]  # 20 + 8 × 10
    # 20 + 90·2^(−(t−T0)/h) < 60  ⇔  t > T0 + h·log2(90 / (60 − 20))
    due = first_ms_below(T0, 90, 60 - 20, WEB_HALF_LIFE)
    assert await due_of(world) == due
    assert await world.advance(due - 1) == []
    (recycled,) = await world.advance(due)
    assert (recycled.stage_from, recycled.stage_to, ms(recycled)) == ("mql", "recycled", due)
    assert recycled.trigger_event_id is None
    assert recycled.threshold == 60
    assert 60 - 1e-5 < recycled.score <= 60  # rounded to 6 decimals
    assert (await world.lead("u:pat")).stage == "recycled"
    assert await world.advance(due + 1000 * DAY) == []


async def test_next_event_after_due_time_fires_the_recycle_first_at_its_own_time() -> None:
    world, _ = await run(_vp_at_acme(9))
    due = first_ms_below(T0, 90, 40, WEB_HALF_LIFE)
    blog = page("/blog/x", at=due + DAY)
    transitions = await world.process(blog)
    assert [(t.stage_to, ms(t), t.trigger_event_id) for t in transitions] == [
        ("recycled", due, None)
    ]


HYSTERESIS = small_rules(
    [points_rule(f"plus{p}", p) for p in (10, 25, 30)]
    + [points_rule(f"minus{p}", -p) for p in (10, 25)]
)


def _steps(names: list[str], start: int = T0) -> list[Signal]:
    return [sig(name, at=start + i * HOUR) for i, name in enumerate(names)]


async def test_hysteresis_score_between_exit_and_enter_never_flaps() -> None:
    names = ["plus30"] * 4 + [
        "minus25",
        "minus25",
        "plus10",
        "plus10",
        "minus25",
        "plus25",
        "minus10",
        "minus10",
        "plus25",
        "minus25",
        "plus10",
        "minus10",
    ]
    world = new_world(HYSTERESIS)
    transitions: list[TransitionData] = []
    scores = []
    for signal in _steps(names):
        transitions += await world.process(signal)
        scores.append(intent_total((await world.lead("u:pat")).intent, signal.occurred_ms))
    assert all(60 < s < 100 for s in scores[4:]), scores  # hovering in the band
    transitions += await world.advance(T0 + 30 * DAY)
    assert [t.stage_to for t in transitions] == ["mql"]
    assert (await world.lead("u:pat")).stage == "mql"


async def test_recycled_lead_can_become_mql_again() -> None:
    names = ["plus30"] * 4 + ["minus25", "minus25", "minus25", "plus25", "plus25", "plus10"]
    _, transitions = await run(_steps(names), HYSTERESIS)
    assert [(t.stage_from, t.stage_to) for t in transitions] == [
        ("known", "mql"),
        ("mql", "recycled"),
        ("recycled", "mql"),
    ]
    assert [ms(t) for t in transitions] == [T0 + 3 * HOUR, T0 + 6 * HOUR, T0 + 9 * HOUR]
    assert [t.threshold for t in transitions] == [100, 60, 100]


async def test_decay_recycled_lead_can_become_mql_again() -> None:
    world, _ = await run(_vp_at_acme(9))
    due = first_ms_below(T0, 90, 40, WEB_HALF_LIFE)
    later = [sig("Webinar Attended", at=due + HOUR) for _ in range(7)]
    transitions = [t for s in later for t in await world.process(s)]
    assert [(t.stage_from, t.stage_to) for t in transitions] == [
        ("mql", "recycled"),
        ("recycled", "mql"),
    ]
    # 20 + 40·2^(−1h/14d) + 10k ≥ 100 first for k = 5
    assert transitions[1].trigger_event_id == later[4].event_id


# -------------------------------------------------------------------------- stages
async def test_known_to_mql_at_the_crossing_event() -> None:
    signals = webinars(10)
    world = new_world(RULES)
    for signal in signals[:9]:
        assert await world.process(signal) == []
    (mql,) = await world.process(signals[9])
    assert (mql.entity, mql.entity_id, mql.track) == ("lead", "u:pat", "lifecycle")
    assert (mql.stage_from, mql.stage_to) == ("known", "mql")
    assert (mql.trigger_event_id, mql.threshold, mql.score) == (signals[9].event_id, 100, 100)
    assert (mql.intent_score, mql.intent_by_category) == (100, {"web": 100})
    assert ms(mql) == T0


async def test_demo_request_turns_mql_into_sql() -> None:
    world, _ = await run(webinars(10))
    demo = sig("Demo Requested", at=T0 + HOUR)
    (sql,) = await world.process(demo)
    assert (sql.stage_from, sql.stage_to, sql.trigger_event_id) == ("mql", "sql", demo.event_id)
    assert "demo_request" in sql.reason
    assert (await world.lead("u:pat")).stage == "sql"


async def test_one_event_moves_known_to_mql_to_sql() -> None:
    demo = sig("Demo Requested")
    _, transitions = await run([*webinars(8), demo])
    assert [(t.stage_from, t.stage_to) for t in transitions] == [("known", "mql"), ("mql", "sql")]
    assert {t.trigger_event_id for t in transitions} == {demo.event_id}
    assert transitions[0].score == transitions[1].score == 105


@pytest.mark.parametrize("before", [[identify({})], webinars(10)])
async def test_crm_sales_accepted_makes_sql(before: list[Signal]) -> None:
    accepted = crm("sales_accepted", at=T0 + HOUR)
    world, transitions = await run([*before, accepted])
    assert transitions[-1].stage_to == "sql"
    assert transitions[-1].trigger_event_id == accepted.event_id
    assert transitions[-1].reason == "crm: sales_accepted"
    assert (await world.lead("u:pat")).stage == "sql"


@pytest.mark.parametrize(
    "before",
    [
        [crm("sales_accepted")],  # SQL with score 0
        [*webinars(12), crm("sales_accepted")],
    ],  # SQL with score 120
)
async def test_crm_sales_rejected_recycles(before: list[Signal]) -> None:
    world, _ = await run(before)
    rejected = crm("sales_rejected", at=T0 + HOUR)
    first, *_ = await world.process(rejected)
    assert (first.stage_from, first.stage_to) == ("sql", "recycled")
    assert (first.trigger_event_id, first.reason) == (rejected.event_id, "crm: sales_rejected")


async def test_crm_sales_rejected_low_score_lead_stays_recycled() -> None:
    world, _ = await run([*webinars(5), crm("sales_accepted")])
    assert [t.stage_to for t in await world.process(crm("sales_rejected", at=T0 + HOUR))] == [
        "recycled"
    ]
    assert await world.process(page("/blog/x", at=T0 + DAY)) == []
    assert (await world.lead("u:pat")).stage == "recycled"


async def test_crm_sales_rejected_is_not_undone_by_the_same_event() -> None:
    rejected = crm("sales_rejected", at=T0 + HOUR)
    world, transitions = await run([*webinars(12), sig("Demo Requested"), rejected])
    assert [t.stage_to for t in transitions if t.trigger_event_id == rejected.event_id] == [
        "recycled"
    ]
    assert (await world.lead("u:pat")).stage == "recycled"


async def test_no_duplicate_transition_while_already_in_the_stage() -> None:
    world, transitions = await run(
        [*webinars(10), product("Signed Up"), *[product("Feature Used") for _ in range(4)]]
    )
    assert [t.stage_to for t in transitions] == ["mql", "pql"]
    more = [
        *webinars(10, at=T0 + HOUR),
        *webinars(10, at=T0 + DAY),
        product("Signed Up", at=T0 + DAY),
        product("Feature Used", at=T0 + DAY),
    ]
    assert [t for s in more for t in await world.process(s)] == []


async def test_pql_from_product_usage_and_lapse_by_decay() -> None:
    signals = [product("Signed Up"), *[product("Feature Used") for _ in range(5)]]
    world = new_world(RULES)
    per_event = [[t.stage_to for t in await world.process(s)] for s in signals]
    assert per_event == [[], [], [], [], ["pql"], []]  # 20 + 4 × 5 = 40; 5th is capped
    assert (await world.lead("u:pat")).product_stage == "pql"
    due = first_ms_below(T0, 40, 15, PRODUCT_HALF_LIFE)
    assert await world.advance(due - 1) == []
    (lapsed,) = await world.advance(due)
    assert (lapsed.track, lapsed.stage_from, lapsed.stage_to) == ("product", "pql", "pql_lapsed")
    assert (ms(lapsed), lapsed.trigger_event_id, lapsed.threshold) == (due, None, 15)
    assert (await world.lead("u:pat")).stage == "known"  # the lifecycle track is untouched


async def test_pql_counts_only_product_intent() -> None:
    _, transitions = await run(
        [*webinars(9), sig("demo_request", channel="web"), product("Signed Up")]
    )
    assert [t.track for t in transitions].count("product") == 0


PEOPLE: dict[str, dict[str, JsonValue]] = {
    "alice": {"seniority": "vp"},  # decision_maker
    "bob": {"department": "engineering"},  # technical_evaluator
    "carol": {"seniority": "manager"},  # user
    "dave": {"seniority": "director"},  # decision_maker
    "erin": {"department": "marketing"},  # other
}


async def _account_story(
    people: list[str], webinar_count: int
) -> tuple[World, list[TransitionData], Signal]:
    """Everyone identifies at acme.com; the first two attend ``webinar_count`` webinars each,
    then the third reads one blog post (2 points), all at T0."""
    world = new_world(RULES)
    for name in people:
        await world.process(identify(PEOPLE[name], user=name, email=f"{name}@acme.com"))
    for name in people[:2]:
        for signal in webinars(webinar_count, user=name):
            await world.process(signal)
    last = page("/blog/x", user=people[2])
    return world, await world.process(last), last


@pytest.mark.parametrize(
    ("people", "webinar_count", "mqa"),
    [
        (["alice", "bob", "carol"], 8, True),  # 162, 3 people, decision_maker + 2 more
        (["alice", "bob", "carol"], 7, False),  # 142 < 150
        (["carol", "bob", "erin"], 8, False),  # no decision_maker
        (["alice", "dave", "bob"], 8, True),  # decision_maker ×2 + technical_evaluator
        (["alice", "dave", "dave"], 8, False),
    ],  # 2 people, 1 persona
)
async def test_mqa_needs_three_engaged_people_with_a_decision_maker(
    people: list[str], webinar_count: int, mqa: bool
) -> None:
    world, transitions, last = await _account_story(people, webinar_count)
    account_moves = [t for t in transitions if t.entity == "account"]
    assert [t.stage_to for t in account_moves] == (["mqa"] if mqa else [])
    assert (await world.account("acme.com")).stage == ("mqa" if mqa else "unengaged")
    if mqa:
        (move,) = account_moves
        assert (move.entity_id, move.track, move.stage_from) == ("acme.com", "account", "unengaged")
        assert move.trigger_event_id == last.event_id
        assert move.score == move.intent_score == 2 * webinar_count * 10 + 2
        assert move.account is not None
        assert move.account.engaged_people == 3
        contributors = {c.lead_id for c in (await world.account("acme.com")).contributions}
        assert contributors >= {f"u:{p}" for p in people[:2]}


async def test_mqa_fails_with_two_people_and_succeeds_with_the_third() -> None:
    world = new_world(RULES)
    for name in ("alice", "bob", "carol"):
        await world.process(identify(PEOPLE[name], user=name, email=f"{name}@acme.com"))
    two = [*webinars(8, user="alice"), *webinars(8, user="bob"), *webinars(3, user="alice")]
    assert [t for s in two for t in await world.process(s) if t.entity == "account"] == []
    assert (
        intent_total((await world.account("acme.com")).intent, T0) == 190
    )  # score alone is enough
    third = await world.process(page("/pricing", user="carol", at=T0 + 1))
    (mqa,) = [t for t in third if t.entity == "account"]
    assert mqa.account is not None
    assert (mqa.account.engaged_people, mqa.account.personas) == (
        3,
        ("decision_maker", "technical_evaluator", "user"),
    )


async def test_account_cools_by_decay_at_its_computed_time() -> None:
    world, transitions, _ = await _account_story(["alice", "bob", "carol"], 8)
    assert [t.stage_to for t in transitions if t.entity == "account"] == ["mqa"]
    due = first_ms_below(T0, 162, 90, WEB_HALF_LIFE)
    assert [t for t in await world.advance(due - 1) if t.entity == "account"] == []
    (cooling,) = [t for t in await world.advance(due) if t.entity == "account"]
    assert (cooling.stage_from, cooling.stage_to) == ("mqa", "cooling")
    assert (ms(cooling), cooling.trigger_event_id, cooling.threshold) == (due, None, 90)
    assert 90 - 1e-5 < cooling.score <= 90  # rounded to 6 decimals


# --------------------------------------------------------------------- late events
async def test_late_event_scores_decayed_but_transitions_at_the_newest_time() -> None:
    newest = T0 + DAY
    late = page("/pricing", at=T0)
    world, transitions = await run([*webinars(9, at=newest), late])
    (mql,) = transitions
    expected = 90 + decayed(15, T0, newest, WEB_HALF_LIFE)
    assert (ms(mql), mql.trigger_event_id) == (newest, late.event_id)
    assert mql.score == pytest.approx(expected, abs=1e-6)
    lead = await world.lead("u:pat")
    assert lead.latest_ms == newest
    assert lead.intent["web"].at_ms == newest
    assert lead.intent["web"].value_at(newest) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("behind", "status", "scored"),
    [
        (DAY, "applied", True),
        (90 * DAY, "applied", True),
        (90 * DAY + 1, "too_late", False),
        (120 * DAY, "too_late", False),
    ],
)
def test_late_event_horizon(behind: int, status: str, scored: bool) -> None:
    newest = T0 + 150 * DAY
    first = apply(None, None, page("/blog/x", at=newest), RULES, lead_id="u:pat")
    assert first.lead is not None
    late = page("/pricing", at=newest - behind)
    outcome = apply(first.lead, None, late, RULES)
    assert outcome.status == status
    assert outcome.lead is not None
    gained = intent_total(outcome.lead.intent, newest) - 2
    expected = decayed(15, newest - behind, newest, WEB_HALF_LIFE) if scored else 0.0
    assert gained == pytest.approx(expected, abs=1e-12)
    assert outcome.lead.latest_ms == newest


async def test_retried_late_event_inside_the_horizon_is_a_duplicate() -> None:
    newest = T0 + 10 * DAY
    late = page("/customers/x", at=newest - 6 * DAY)  # inside the horizon and window
    world, _ = await run([page("/blog/x", at=newest), late, late])
    expected = 2 + decayed(10, newest - 6 * DAY, newest, WEB_HALF_LIFE)
    assert (await world.lead("u:pat")).intent["web"].value_at(newest) == pytest.approx(expected)
    assert world.replayer.counts == {"applied": 2, "duplicate": 1}


async def test_too_late_event_creates_no_transition() -> None:
    newest = T0 + 150 * DAY
    world, _ = await run([*webinars(9, at=newest)])
    transitions = await world.process(sig("Demo Requested", at=newest - 91 * DAY))
    assert transitions == []
    assert world.replayer.counts == {"applied": 9, "too_late": 1}


@pytest.mark.parametrize(
    "repeat",
    [
        page("/pricing", event_id="dup"),
        crm("sales_accepted", event_id="dup"),
        sig("Demo Requested", event_id="dup"),
    ],
)
async def test_repeated_event_id_is_duplicate_and_changes_nothing(repeat: Signal) -> None:
    world, first = await run([*webinars(10), repeat])
    lead_before = copy.deepcopy(await world.lead("u:pat"))
    accounts_before = copy.deepcopy(await world.accounts())
    again = repeat.model_copy(update={"occurred_at": ms_to_datetime(T0 + HOUR)})
    assert await world.process(again) == []
    assert await world.process(repeat) == []
    assert (await world.lead("u:pat")) == lead_before
    assert await world.accounts() == accounts_before
    assert world.replayer.counts["duplicate"] == 2
    assert first  # the original did move the lead


# -------------------------------------------------------------------- explanations
def _explained_story() -> list[tuple[Signal, float, str]]:
    """A VP at acme.com (fit 20) whose ninth scoring event, a demo request, makes an SQL;
    each signal with the points and decay category it earns."""
    return [
        (identify({"seniority": "vp"}, email="pat@acme.com"), 0, ""),
        (page("/customers/a", at=T0), 10, "web"),
        (page("/pricing", at=T0 + DAY), 15, "web"),
        (sig("Webinar Attended", at=T0 + 2 * DAY), 10, "web"),
        (page("/blog/a", at=T0 + 2 * DAY + HOUR), 2, "web"),
        (mail("click", at=T0 + 3 * DAY), 3, "email"),
        (product("Signed Up", at=T0 + 3 * DAY), 20, "product"),
        (page("/pricing", at=T0 + 4 * DAY), 15, "web"),
        (sig("Webinar Attended", at=T0 + 4 * DAY + HOUR), 10, "web"),
        (sig("Demo Requested", at=T0 + 5 * DAY), 25, "web"),
    ]


HALF_LIVES = {"web": WEB_HALF_LIFE, "email": EMAIL_HALF_LIFE, "product": PRODUCT_HALF_LIFE}


async def test_transitions_explain_themselves() -> None:
    story = _explained_story()
    demo = story[-1][0]
    world, transitions = await run(s for s, _, _ in story)
    assert [(t.stage_from, t.stage_to) for t in transitions] == [("known", "mql"), ("mql", "sql")]
    for move in transitions:
        at = ms(move)
        assert at == demo.occurred_ms
        assert move.trigger_event_id == demo.event_id
        weights = {
            s.event_id: decayed(p, s.occurred_ms, at, HALF_LIVES[c]) for s, p, c in story if p
        }
        expected_top = sorted(weights, key=lambda e: -weights[e])[: RULES.rules.explain.top]
        assert [c.event_id for c in move.top_signals] == expected_top
        assert len(move.top_signals) == RULES.rules.explain.top == 5 < len(weights)
        shown = [c.weight for c in move.top_signals]
        assert shown == sorted(shown, reverse=True)
        for contributor in move.top_signals:
            assert contributor.weight == pytest.approx(weights[contributor.event_id], abs=1e-6)
            assert contributor.lead_id == "u:pat"
        assert move.rules_version == RULES.version == load_rules(RULES_PATH).version
        assert move.rules_version.startswith("2026.11+")
        assert move.account is not None
        assert (move.account.account_id, move.account.engaged_people, move.account.personas) == (
            "acme.com",
            1,
            ("decision_maker",),
        )
        assert move.fit is not None
        assert (move.fit.score, move.fit.grade) == (20, "B")
        assert move.score == pytest.approx(20 + sum(weights.values()), abs=1e-6)
    assert (await world.lead("u:pat")).stage == "sql"


async def test_explanation_lists_at_most_explain_top() -> None:
    rules = small_rules(
        [points_rule(f"r{i}", 10 + i) for i in range(6)],
        {"enter": 70, "exit": 10},
        explain={"top": 2},
    )
    _, transitions = await run([sig(f"r{i}", at=T0 + i) for i in range(6)], rules)
    (mql,) = transitions
    assert [c.rule_id for c in mql.top_signals] == ["r5", "r4"]


async def test_explanation_ranks_negative_contributions_by_absolute_worth() -> None:
    rules = small_rules([points_rule("big", 120), points_rule("neg", -10), points_rule("tiny", 2)])
    _, transitions = await run([sig("tiny"), sig("neg"), sig("big")], rules)
    (mql,) = transitions
    assert mql.score == 112
    assert [(c.rule_id, c.weight) for c in mql.top_signals] == [
        ("big", 120),
        ("neg", -10),
        ("tiny", 2),
    ]


async def test_decay_driven_transition_is_explained_at_its_own_time() -> None:
    world, _ = await run(_vp_at_acme(9))
    due = first_ms_below(T0, 90, 40, WEB_HALF_LIFE)
    (recycled,) = await world.advance(due)
    for contributor in recycled.top_signals:
        assert contributor.weight == pytest.approx(decayed(10, T0, due, WEB_HALF_LIFE), abs=1e-6)
    assert recycled.intent_score == pytest.approx(recycled.score - 20, abs=1e-5)
    assert recycled.rules_version == RULES.version


# -------------------------------------------------------------------------- purity
async def _states() -> tuple[LeadState, AccountState]:
    world, _ = await run(
        [
            identify({"seniority": "vp"}, email="pat@acme.com"),
            group("acme.com", {"industry": "software", "employees": 900}),
            page("/pricing", at=T0 + HOUR),
            page("/pricing", at=T0 + 2 * HOUR),
            mail("open", at=T0 + 3 * HOUR),
            *webinars(5, at=T0 + 4 * HOUR),
        ]
    )
    lead = await world.lead("u:pat")
    assert lead.account_id is not None
    return lead, (await world.account(lead.account_id))


@pytest.mark.parametrize(
    "signal",
    [
        page("/pricing", at=T0 + 5 * HOUR),
        page("/pricing", at=T0 + 30 * MINUTE),  # late: displaces an awarded view
        page("/pricing", at=T0 - 40 * DAY),  # too late
        sig("Demo Requested", at=T0 + 5 * HOUR),
        crm("sales_accepted", at=T0 + 5 * HOUR),
        crm("disqualified", at=T0 + 5 * HOUR),
        identify({"title": "student", "budget": "approved"}, at=T0 + 5 * HOUR),
        group("acme.com", {"employees": 3}, at=T0 + 5 * HOUR),
        mail("unsubscribe", at=T0 + 90 * DAY),
    ],  # after decay is due
)
async def test_apply_never_mutates_its_inputs(signal: Signal) -> None:
    lead, account = await _states()
    before = (
        copy.deepcopy(lead),
        copy.deepcopy(account),
        signal.model_dump(),
        RULES.rules.model_dump(),
    )
    outcome = apply(lead, account, signal, RULES)
    assert (lead, account, signal.model_dump(), RULES.rules.model_dump()) == before
    assert outcome.lead is not lead
    assert outcome.account is not account


async def test_account_only_group_never_mutates_its_input() -> None:
    _, account = await _states()
    before = copy.deepcopy(account)
    signal = group("acme.com", {"employees": 2000}, user=None, at=T0 + DAY)
    outcome = apply(None, account, signal, RULES)
    assert account == before
    assert outcome.status == "account_only"
    assert outcome.account is not None
    assert outcome.account.trait_values()["employees"] == 2000


async def test_reading_scores_never_mutates() -> None:
    lead, account = await _states()
    before = (copy.deepcopy(lead), copy.deepcopy(account))
    term = lead.intent["web"]
    readings = [term.value_at(t) for t in (T0 - DAY, T0, T0 + 90 * DAY, T0)]
    assert readings[1] == readings[3]
    assert term == before[0].intent["web"]
    assert isinstance(term, Decayed)
    profile = build_profile(lead, account, RULES)
    intent_total(lead.intent, T0 + DAY)
    lead_due(lead, profile, RULES)
    assert (lead, account) == before
