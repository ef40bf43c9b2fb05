"""The quality benchmark's scoring (``bench.quality.score``) on a hand-made truth whose
answers are known, and the workload's ground truth (cycles, hand-raises) it reads."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bench.behaviour import Cycle, Phase, Unit
from bench.population import Company, Person
from bench.quality import GRACE_MS, READY_MS, score
from bench.workload import WorkloadConfig, generate_labelled, new_simulator
from schemas.transition import TransitionData, ms_to_datetime

DAY = 86_400_000
T0 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp() * 1000)


def _unit(kind: str, number: int, cycles: list[Cycle]) -> Unit:
    rng = random.Random(number)
    company = Company(rng, number, competitor=kind == "competitor") if kind != "student" else None
    people = [Person(rng, number * 10 + i, 7, "decision_maker", company) for i in range(2)]
    unit = Unit(kind, company, people, [Phase(T0 + 90 * DAY, 10, False)], T0)
    unit.cycles = cycles
    return unit


def _move(entity: str, entity_id: str, to: str, at_ms: int) -> TransitionData:
    return TransitionData(
        entity=entity,
        entity_id=entity_id,
        track="account" if entity == "account" else "lifecycle",
        stage_from="unengaged" if entity == "account" else "known",
        stage_to=to,
        reason="test",
        score=0.0,
        intent_score=0.0,
        intent_by_category={},
        top_signals=(),
        trigger_event_id=None,
        rules_version="t",
        at=ms_to_datetime(at_ms),
    )


def test_recall_precision_hand_raises_and_disqualified_are_counted_exactly() -> None:
    buying = _unit(
        "company", 1, [Cycle(T0, T0 + 10 * DAY, 2, 2), Cycle(T0 + 40 * DAY, T0 + 50 * DAY, 1, 2)]
    )
    researching = _unit("company", 2, [Cycle(T0, T0 + 10 * DAY, 0, 1)])
    student = _unit("student", 3, [])
    units = [buying, researching, student]
    ada, bob = buying.people
    assert buying.company is not None
    transitions = [
        _move("lead", f"u:{ada.user_id}", "mql", T0 + DAY),  # in cycle 1
        _move("lead", f"u:{ada.user_id}", "sql", T0 + 2 * DAY),  # in cycle 1 (hand-raise)
        _move("account", buying.company.domain, "mqa", T0 + 10 * DAY + GRACE_MS),  # grace
        _move("lead", f"e:{bob.email}", "mql", T0 + 30 * DAY),  # between cycles: false
        _move("lead", f"u:{researching.people[0].user_id}", "mql", T0 + DAY),  # research only
        _move("lead", f"u:{student.people[0].user_id}", "mql", T0 + DAY),  # disqualified
        _move("lead", "a:stranger", "mql", T0 + DAY),  # nobody we know
    ]
    hand_raises = [(ada, T0 + 2 * DAY - READY_MS), (bob, T0 + 41 * DAY)]
    quality = score(units, hand_raises, transitions, 100, "test.yaml", 0.0)
    assert (quality.buying_cycles, quality.detected_cycles) == (2, 1)
    assert quality.recall == 0.5
    assert (quality.promotions, quality.promotions_in_cycle) == (7, 3)
    assert (quality.hand_raises, quality.hand_raises_ready) == (2, 1)  # bob never an SQL
    assert quality.disqualified_promotions == 1


def test_an_sql_before_the_hand_raise_counts_as_ready() -> None:
    unit = _unit("company", 4, [Cycle(T0, T0 + 10 * DAY, 2, 2)])
    ada = unit.people[0]
    transitions = [_move("lead", f"a:{ada.anon_ids[0]}", "sql", T0 + DAY)]
    quality = score([unit], [(ada, T0 + 2 * DAY)], transitions, 1, "t", 0.0)
    assert (quality.hand_raises_ready, quality.hand_raise_p50_s) == (1, 0.0)


def test_the_workload_records_its_buying_cycles_and_hand_raises() -> None:
    config = WorkloadConfig(seed=7, events=3000)
    simulator = new_simulator(config)
    records = list(generate_labelled(config, simulator))
    assert len(records) == 3000
    cycles = [c for u in simulator.units for c in u.cycles]
    assert cycles
    assert all(c.start_ms < c.end_ms for c in cycles)
    assert {c.max_stage for c in cycles} == {0, 1, 2}
    assert simulator.sessions.hand_raises
    demo_times = {at for _, at in simulator.sessions.hand_raises}
    tracked = [r.at_ms for r in records if b'"Demo Requested"' in r.record.value]
    assert demo_times <= set(tracked)
