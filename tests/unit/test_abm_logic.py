"""ABM signals, pure logic: surge with known numbers, MQA enter/leave, persona coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from leadq.abm.context import committee, context_from_state, coverage
from leadq.abm.decide import Marks, Reading, decide, mqa_signals, surge_signal
from leadq.abm.surge import SurgeThresholds, day_of, measure_surge
from leadq.compiled import CompiledRules, compile_rules
from leadq.state import AccountState, Member
from schemas.abm import AbmAccount, AccountPerson, abm_id, to_abm_event
from schemas.rules import load_rules
from schemas.transition import TransitionData

RULES_PATH = Path(__file__).resolve().parents[2] / "rules" / "example.yaml"
T7_28 = SurgeThresholds(factor=3.0, window_days=7, baseline_days=28, min_intent=50.0)
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DAY = day_of(int(AT.timestamp() * 1000))


@pytest.fixture(scope="module")
def rules() -> CompiledRules:
    return compile_rules(load_rules(RULES_PATH))


@pytest.mark.parametrize(
    ("window_per_day", "baseline_per_day", "surging", "ratio"),
    [
        (30.0, 10.0, True, 3.0),  # exactly k × baseline
        (29.0, 10.0, False, 2.9),  # just below
        (10.0, 0.0, True, None),  # 70 points from nothing: above the minimum
        (7.0, 0.0, False, None),  # 49 points: below the minimum, no surge from zero
        (0.1, 0.0, False, None),  # tiny account
        (0.0, 0.0, False, None),
    ],
)
def test_surge_compares_per_day_rates(
    window_per_day: float, baseline_per_day: float, surging: bool, ratio: float | None
) -> None:
    totals = {DAY - d: window_per_day for d in range(7)}
    totals |= {DAY - 7 - d: baseline_per_day for d in range(28)}
    totals[DAY - 35] = 1000.0  # before the baseline: ignored
    measure = measure_surge(totals, DAY, T7_28)
    assert measure.surging is surging
    assert measure.window_intent == pytest.approx(7 * window_per_day)
    assert measure.baseline_intent == pytest.approx(28 * baseline_per_day)
    assert measure.ratio == (None if ratio is None else pytest.approx(ratio))
    assert (measure.window_start, measure.window_end) == (date(2026, 11, 18), date(2026, 11, 24))


def test_surge_window_days_are_inclusive_of_the_newest_day() -> None:
    # 60 points on the 7th day back is inside the window; on the 8th it is baseline.
    inside = measure_surge({DAY - 6: 60.0}, DAY, T7_28)
    outside = measure_surge({DAY - 7: 60.0}, DAY, T7_28)
    assert (inside.window_intent, inside.surging) == (60.0, True)
    assert (outside.window_intent, outside.baseline_intent, outside.surging) == (0.0, 60.0, False)


def _context(
    rules: CompiledRules, engaged: tuple[str, ...], people: tuple[AccountPerson, ...] = ()
) -> AbmAccount:
    return AbmAccount(
        account_id="acme.io",
        domain="acme.io",
        stage="unengaged",
        intent_score=10.0,
        engaged_people=len(people),
        people=people,
        coverage=coverage(engaged, rules),
        as_of=AT,
    )


def _account_move(stage_from: str, stage_to: str) -> TransitionData:
    return TransitionData.model_validate(
        {
            "entity": "account",
            "entity_id": "acme.io",
            "track": "account",
            "stage_from": stage_from,
            "stage_to": stage_to,
            "reason": "r",
            "score": 160.0,
            "threshold": 150.0,
            "intent_score": 160.0,
            "intent_by_category": {"web": 160.0},
            "top_signals": (),
            "trigger_event_id": None,
            "rules_version": "v",
            "at": AT,
        }
    )


@pytest.mark.parametrize(
    ("stage_from", "stage_to", "kinds", "change"),
    [
        ("unengaged", "mqa", ["mqa"], "entered"),
        ("cooling", "mqa", ["mqa"], "entered"),
        ("mqa", "cooling", ["mqa", "cooling"], "left"),
    ],
)
def test_mqa_enter_and_leave(
    rules: CompiledRules, stage_from: str, stage_to: str, kinds: list[str], change: str
) -> None:
    signals = mqa_signals("t-1", _account_move(stage_from, stage_to), _context(rules, ()))
    assert [s.kind for s in signals] == kinds
    assert {s.mqa.change for s in signals if s.mqa} == {change}
    assert all(s.mqa and s.mqa.transition_id == "t-1" for s in signals)
    assert len({abm_id(s) for s in signals}) == len(signals)


def test_lead_transitions_are_no_mqa_signal(rules: CompiledRules) -> None:
    lead_move = _account_move("unengaged", "mqa").model_copy(update={"entity": "lead"})
    assert mqa_signals("t-1", lead_move, _context(rules, ())) == []


def test_coverage_counts_committee_personas_only(rules: CompiledRules) -> None:
    assert committee(rules) == ("decision_maker", "technical_evaluator", "user")
    covered = coverage(("other", "user", "decision_maker"), rules)
    assert (covered.engaged, covered.covered, covered.of) == (("decision_maker", "user"), 2, 3)


def _person(lead: str, persona: str, engaged: bool = True) -> AccountPerson:
    return AccountPerson(lead_id=lead, persona=persona, last_engaged_at=AT, engaged=engaged)


def test_persona_engaged_once_per_engagement(rules: CompiledRules) -> None:
    ada, bob = _person("u:ada", "decision_maker"), _person("u:bob", "technical_evaluator")
    first = decide(Marks(), Reading(_context(rules, ("decision_maker",), (ada,)), True), T7_28)
    assert [(s.kind, s.persona and s.persona.persona) for s in first.signals] == [
        ("persona_engaged", "decision_maker")
    ]
    assert first.signals[0].account.coverage.covered == 1
    both = _context(rules, ("decision_maker", "technical_evaluator"), (ada, bob))
    second = decide(first.marks, Reading(both, True), T7_28)
    assert [s.persona.persona for s in second.signals if s.persona] == ["technical_evaluator"]
    assert second.signals[0].account.coverage.covered == 2
    assert second.signals[0].persona
    assert second.signals[0].persona.people == ("u:bob",)
    # The same reading again: nothing new.
    assert decide(second.marks, Reading(both, True), T7_28).signals == ()
    # An older snapshot without Bob does not forget him; the state does.
    only_ada = _context(rules, ("decision_maker",), (ada,))
    assert decide(second.marks, Reading(only_ada, False), T7_28).marks == second.marks
    dropped = decide(second.marks, Reading(only_ada, True), T7_28)
    assert dropped.signals == ()
    again = decide(dropped.marks, Reading(both, True), T7_28)
    assert [s.persona.engagement for s in again.signals if s.persona] == [2]
    first_id = abm_id(second.signals[0])
    assert abm_id(again.signals[0]) != first_id
    # Deciding again from the same marks (a crash before they were written): same id.
    assert abm_id(decide(first.marks, Reading(both, True), T7_28).signals[0]) == first_id


def test_default_persona_is_not_a_committee_member(rules: CompiledRules) -> None:
    other = _context(rules, ("other",), (_person("u:x", "other"),))
    assert decide(Marks(), Reading(other, True), T7_28).signals == ()


def test_surge_episode_starts_once_and_ends(rules: CompiledRules) -> None:
    context = _context(rules, ())
    hot = Reading(context, True, day_totals={DAY: 80.0, DAY - 20: 14.0}, newest_day=DAY)
    first = decide(Marks(), hot, T7_28)
    assert first.surge is not None
    assert first.surge.episode == 1
    assert decide(first.marks, hot, T7_28).surge is None  # still surging: no second signal
    calm = Reading(context, True, day_totals={DAY - 20: 140.0, DAY: 10.0}, newest_day=DAY)
    ended = decide(first.marks, calm, T7_28)
    assert ended.surge is None
    assert not ended.marks.surging
    second = decide(ended.marks, hot, T7_28)
    assert second.surge is not None
    assert second.surge.episode == 2
    data = surge_signal(
        first.surge, context, T7_28, {"pricing": 45.0, "blog": 5.0, "demo": 45.0}, {"u:a": 80.0}
    )
    assert data.surge is not None
    assert [r.rule_id for r in data.surge.top_rules] == ["demo", "pricing", "blog"]
    assert data.surge.ratio == pytest.approx((80 / 7) / (14 / 28))
    event = to_abm_event(data)
    assert (event.type, event.partitionkey) == ("io.leadq.account.surge", "acme.io")
    assert event.id != to_abm_event(surge_signal(second.surge, context, T7_28, {}, {})).id


def test_a_surge_read_again_after_a_silent_window_is_a_new_episode(rules: CompiledRules) -> None:
    context = _context(rules, ())
    hot = Reading(context, True, day_totals={DAY: 80.0}, newest_day=DAY)
    first = decide(Marks(), hot, T7_28)
    # Next day, still surging: the same episode (the mark follows it).
    next_day = Reading(context, True, day_totals={DAY: 80.0, DAY + 1: 10.0}, newest_day=DAY + 1)
    going_on = decide(first.marks, next_day, T7_28)
    assert going_on.surge is None
    assert going_on.marks.surge_day == DAY + 1
    # Silent for 40 days (nobody read it cool down), then a new burst: a new episode.
    later = Reading(context, True, day_totals={DAY + 41: 90.0}, newest_day=DAY + 41)
    again = decide(going_on.marks, later, T7_28)
    assert again.surge is not None
    assert again.surge.episode == 2


def test_a_persona_read_engaged_after_a_silent_window_engages_anew(rules: CompiledRules) -> None:
    ada = _person("u:ada", "decision_maker")
    first = decide(Marks(), Reading(_context(rules, ("decision_maker",), (ada,)), True), T7_28)
    window_ms = 30 * 86_400_000
    soon = _context(rules, ("decision_maker",), (ada,)).model_copy(
        update={"as_of": AT + timedelta(days=29)}
    )
    still = decide(first.marks, Reading(soon, True, engaged_window_ms=window_ms), T7_28)
    assert still.signals == ()
    much_later = soon.model_copy(update={"as_of": AT + timedelta(days=31)})
    again = decide(first.marks, Reading(much_later, True, engaged_window_ms=window_ms), T7_28)
    assert [s.persona.engagement for s in again.signals if s.persona] == [2]


def test_context_from_the_engine_state(rules: CompiledRules) -> None:
    at_ms = int(AT.timestamp() * 1000)
    day_ms = 86_400_000
    account = AccountState(
        account_id="acme.io",
        domain="acme.io",
        stage="mqa",
        latest_ms=at_ms,
        traits={"name": ("Acme", at_ms)},
        members={
            "u:ada": Member("decision_maker", at_ms - 2 * day_ms),
            "u:bob": Member("technical_evaluator", at_ms - 1 * day_ms),
            "u:old": Member("user", at_ms - 40 * day_ms),  # outside the 30-day window
            "u:eve": Member("other", at_ms),
        },
    )
    context = context_from_state(account, rules)
    assert (context.name, context.stage, context.engaged_people) == ("Acme", "mqa", 3)
    assert [p.lead_id for p in context.people] == ["u:eve", "u:bob", "u:ada"]
    assert (context.coverage.engaged, context.coverage.covered, context.coverage.of) == (
        ("decision_maker", "technical_evaluator"), 2, 3)  # fmt: skip
    assert context.as_of == AT
