"""The hand-raise fast lane (``stages.hand_raise``): a demo request, contact-sales or quote
request from a qualified lead makes it an SQL at once, whatever its score, with the reason
"hand-raise: ..."; never for a disqualified lead, a lead below the minimum grade, or
machine traffic. Runs on the in-memory store and on Redis (``store_kind``).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pydantic import JsonValue

from leadq.compiled import CompiledRules, compile_rules
from schemas.rules import RulesError, rules_from_data
from schemas.signal import Account, Channel, Identity, Signal, SignalType
from schemas.transition import TransitionData, ms_to_datetime
from tests.harness import new_world

pytestmark = pytest.mark.usefixtures("store_kind")

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
DAY = 1_440 * MINUTE
_ids = itertools.count(1)


def _rules_data(**hand_raise: Any) -> dict[str, Any]:
    return {
        "fit": {
            "rules": [
                {"id": "vp", "when": {"traits.title": {"regex": "\\bvp\\b"}}, "points": 30},
                {"id": "work_email", "when": {"free_mail": False}, "points": 5},
            ],
            "grades": {"A": 30, "B": 20, "C": 10, "D": 5},
            "disqualifiers": [
                {"id": "competitor", "reason": "works at a competitor",
                 "when": {"email_domain": "rival.io"}},
            ],
        },
        "intent": {
            "rules": [
                {"id": "demo_request", "description": "Requested a demo",
                 "when": {"type": "track", "name": "Demo Requested"}, "points": 30},
                {"id": "contact_sales", "description": "Asked sales to get in touch",
                 "when": {"type": "track", "name": "Contact Sales"}, "points": 25},
                {"id": "pricing", "when": {"type": "page", "properties.path": "/pricing"},
                 "points": 10},
            ],
        },
        "stages": {
            "mql": {"enter": 100, "exit": 60},
            "sql": {"on_rules": ["demo_request"]},
            "hand_raise": {"rules": ["demo_request", "contact_sales"], **hand_raise},
        },
    }  # fmt: skip


def _rules(**hand_raise: Any) -> CompiledRules:
    return compile_rules(rules_from_data(_rules_data(**hand_raise)))


def sig(
    name: str = "",
    *,
    at: int = T0,
    kind: SignalType = "track",
    channel: Channel = "web",
    email: str = "ada@acme.io",
    traits: dict[str, JsonValue] | None = None,
    props: dict[str, JsonValue] | None = None,
    bot: bool = False,
) -> Signal:
    return Signal(
        event_id=f"hr-{next(_ids):05d}",
        channel=channel,
        type=kind,
        name=name,
        occurred_at=ms_to_datetime(at),
        identity=Identity(user_id="ada", email=email),
        account=Account(),
        properties=props or {},
        traits=traits or {},
        is_bot=bot,
    )


def _lifecycle(transitions: list[TransitionData]) -> list[tuple[str, str]]:
    return [(t.stage_from, t.stage_to) for t in transitions if t.track == "lifecycle"]


async def test_a_demo_request_makes_a_known_lead_sales_ready_at_once() -> None:
    world = new_world(_rules())
    await world.process(sig(kind="identify", traits={"title": "VP Engineering"}))
    out = await world.process(sig("Demo Requested", at=T0 + MINUTE))
    assert _lifecycle(out) == [("known", "sql")]
    (move,) = out
    assert move.score < 100  # far below the MQL entry: the lane does not wait for a score
    assert move.reason == "hand-raise: demo_request (Requested a demo)"
    assert move.hand_raise == ("demo_request",)
    assert move.at == ms_to_datetime(T0 + MINUTE)
    assert move.trigger_event_id is not None
    assert (await world.lead("u:ada")).stage == "sql"


async def test_an_unknown_first_touch_hand_raise_is_sales_ready_too() -> None:
    world = new_world(_rules())
    out = await world.process(sig("Contact Sales"))
    assert _lifecycle(out) == [("known", "sql")]
    assert out[0].hand_raise == ("contact_sales",)
    assert out[0].reason == "hand-raise: contact_sales (Asked sales to get in touch)"


async def test_an_mql_and_a_recycled_lead_take_the_lane() -> None:
    world = new_world(_rules())
    await world.process(sig(kind="identify", traits={"title": "VP Sales"}))
    for i in range(7):
        await world.process(sig(kind="page", props={"path": "/pricing"}, at=T0 + i))
    assert (await world.lead("u:ada")).stage == "mql"
    # Decay recycles it (score 35 + 70 → below 60 after about 2 half-lives of web intent).
    await world.advance(T0 + 60 * DAY)
    assert (await world.lead("u:ada")).stage == "recycled"
    out = await world.process(sig("Contact Sales", at=T0 + 60 * DAY + 1))
    assert _lifecycle(out) == [("recycled", "sql")]


async def test_a_hand_raise_after_a_sales_rejection_lifts_the_cooldown() -> None:
    world = new_world(_rules())
    await world.process(sig(kind="identify", traits={"title": "VP Sales"}))
    await world.process(sig("Demo Requested", at=T0 + 1))
    rejected = await world.process(sig("sales_rejected", channel="crm", kind="track", at=T0 + 2))
    assert _lifecycle(rejected) == [("sql", "recycled")]
    assert (await world.lead("u:ada")).cooldown
    again = await world.process(sig("Demo Requested", at=T0 + 2 + MINUTE))  # score ≥ exit
    assert _lifecycle(again) == [("recycled", "sql")]
    assert not (await world.lead("u:ada")).cooldown


async def test_a_disqualified_lead_never_takes_the_lane() -> None:
    world = new_world(_rules())
    out = await world.process(sig("Demo Requested", email="eve@rival.io"))
    assert _lifecycle(out) == [("known", "disqualified")]
    assert (await world.lead("u:ada")).stage == "disqualified"


async def test_min_grade_keeps_a_poor_fit_out_of_the_lane() -> None:
    world = new_world(_rules(min_grade="B"))
    out = await world.process(sig("Demo Requested", email="ada@gmail.com"))
    assert _lifecycle(out) == []  # grade F (no fit points): the lane is closed
    await world.process(sig(kind="identify", traits={"title": "VP IT"}, at=T0 + 1))
    out = await world.process(sig("Demo Requested", at=T0 + 2))
    assert _lifecycle(out) == [("known", "sql")]


async def test_machine_traffic_never_raises_a_hand() -> None:
    world = new_world(_rules())
    out = await world.process(sig("Demo Requested", bot=True))
    assert _lifecycle(out) == []


async def test_an_sql_is_not_moved_again_and_a_repeat_is_quiet() -> None:
    world = new_world(_rules())
    first = await world.process(sig("Demo Requested"))
    second = await world.process(sig("Contact Sales", at=T0 + MINUTE))
    assert _lifecycle(first) == [("known", "sql")]
    assert _lifecycle(second) == []


async def test_without_a_lane_a_demo_request_waits_for_the_score() -> None:
    data = _rules_data()
    del data["stages"]["hand_raise"]
    world = new_world(compile_rules(rules_from_data(data)))
    out = await world.process(sig("Demo Requested"))
    assert _lifecycle(out) == []


def test_the_lane_names_only_existing_intent_rules() -> None:
    data = _rules_data()
    data["stages"]["hand_raise"]["rules"] = ["demo_request", "no_such_rule"]
    with pytest.raises(RulesError, match="no_such_rule"):
        rules_from_data(data)
