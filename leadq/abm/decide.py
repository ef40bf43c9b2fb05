"""Which ABM signals a reading of an account causes, as a pure function of what the
consumer remembers (``Marks``) and what it reads now.

``decide(marks, reading, thresholds)`` returns the signals and the marks to remember
after they are published. Ids are built from the account, the kind and the cause only
(``schemas.abm.abm_id``): a transition id, a surge episode number, a persona and its
engagement number; so deciding again from the same marks (a crash after publishing,
before the marks were written) gives the same ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from leadq.abm.surge import SurgeMeasure, SurgeThresholds, measure_surge
from schemas.abm import (
    AbmAccount,
    AbmData,
    MqaChange,
    PersonaEngaged,
    PersonTotal,
    RuleTotal,
    Surge,
)
from schemas.transition import TransitionData

#: How stale a persona's ``seen_ms`` may get before a reading refreshes it.
SEEN_REFRESH_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Marks:
    """What the consumer remembers about an account between readings."""

    #: Surge episodes started so far, whether the latest is still going on, and the
    #: newest day it was last read surging (an account read again more than a window
    #: later surges anew: nobody saw the old episode end while it was silent).
    surge_episodes: int = 0
    surging: bool = False
    surge_day: int = -1
    #: persona → its marks.
    personas: Mapping[str, PersonaMark] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PersonaMark:
    #: Engagements signalled so far.
    count: int
    #: Engaged at the last reading, and that reading's time (``as_of``, epoch ms): a
    #: persona read engaged again more than an engaged window later engages anew.
    engaged: bool
    seen_ms: int


@dataclass(frozen=True, slots=True)
class Reading:
    """An account as read now: its context, its new account transitions, its days."""

    context: AbmAccount
    #: Whether ``context`` is the engine's current state (else a transition's snapshot,
    #: which may be older: it may add personas but never removes one).
    from_state: bool
    #: New account-track transitions of this account: (CloudEvent id, data).
    transitions: Sequence[tuple[str, TransitionData]] = ()
    #: Intent points per event-time day, and the newest day with activity.
    day_totals: Mapping[int, float] = field(default_factory=dict)
    newest_day: int | None = None
    #: The rules' engaged window (``stages.mqa.engaged_window``), in ms.
    engaged_window_ms: int = 30 * 86_400_000


@dataclass(frozen=True, slots=True)
class SurgeStart:
    """A surge episode begins: the consumer adds the signals behind it and publishes."""

    episode: int
    measure: SurgeMeasure


@dataclass(frozen=True, slots=True)
class Decision:
    signals: tuple[AbmData, ...]
    surge: SurgeStart | None
    marks: Marks


def mqa_signals(event_id: str, data: TransitionData, context: AbmAccount) -> list[AbmData]:
    """An account transition as ABM signals: MQA entered; MQA left and cooling."""
    if data.entity != "account" or data.track != "account":
        return []
    entered, left = data.stage_to == "mqa", data.stage_from == "mqa" and data.stage_to != "mqa"
    if not (entered or left):
        return []
    change = MqaChange(
        change="entered" if entered else "left",
        stage_from=data.stage_from,
        stage_to=data.stage_to,
        reason=data.reason,
        score=data.score,
        threshold=data.threshold,
        transition_id=event_id,
    )
    signals = [AbmData(kind="mqa", account=context, mqa=change, at=data.at)]
    if data.stage_to == "cooling":
        signals.append(AbmData(kind="cooling", account=context, mqa=change, at=data.at))
    return signals


def persona_changes(marks: Marks, reading: Reading) -> tuple[list[AbmData], dict[str, PersonaMark]]:
    """Committee personas engaged now and not at the last reading, and the new marks."""
    context = reading.context
    now_ms = int(context.as_of.timestamp() * 1000)
    engaged = set(context.coverage.engaged)
    personas = dict(marks.personas)
    signals = []
    for persona in sorted(engaged):
        mark = personas.get(persona, PersonaMark(0, False, now_ms))
        if mark.engaged and now_ms - mark.seen_ms <= reading.engaged_window_ms:
            if now_ms - mark.seen_ms >= SEEN_REFRESH_MS:  # not a write per reading
                personas[persona] = replace(mark, seen_ms=now_ms)
            continue
        people = tuple(p.lead_id for p in context.people if p.persona == persona and p.engaged)
        found = PersonaEngaged(persona=persona, people=people, engagement=mark.count + 1)
        signals.append(
            AbmData(kind="persona_engaged", account=context, persona=found, at=context.as_of)
        )
        personas[persona] = PersonaMark(mark.count + 1, True, now_ms)
    if reading.from_state:
        for persona, mark in marks.personas.items():
            if mark.engaged and persona not in engaged:
                personas[persona] = replace(mark, engaged=False)
    return signals, personas


def surge_change(
    marks: Marks, reading: Reading, thresholds: SurgeThresholds
) -> tuple[SurgeStart | None, Marks]:
    """A new surge episode when the account surges and was not surging; the end of one."""
    if reading.newest_day is None:
        return None, marks
    day = reading.newest_day
    measure = measure_surge(reading.day_totals, day, thresholds)
    going_on = marks.surging and day - marks.surge_day <= thresholds.window_days
    if measure.surging and not going_on:
        episode = marks.surge_episodes + 1
        started = replace(marks, surge_episodes=episode, surging=True, surge_day=day)
        return SurgeStart(episode, measure), started
    if measure.surging:
        return None, replace(marks, surge_day=max(day, marks.surge_day))
    if marks.surging:
        return None, replace(marks, surging=False)
    return None, marks


def decide(marks: Marks, reading: Reading, thresholds: SurgeThresholds) -> Decision:
    """Every signal of this reading (surge as a ``SurgeStart`` to complete) and the marks."""
    signals: list[AbmData] = []
    for event_id, data in reading.transitions:
        signals += mqa_signals(event_id, data, reading.context)
    persona_signals, personas = persona_changes(marks, reading)
    signals += persona_signals
    surge, marks = surge_change(marks, reading, thresholds)
    return Decision(tuple(signals), surge, replace(marks, personas=personas))


#: How many rules and people a surge names.
SURGE_TOP = 5


def surge_signal(
    start: SurgeStart,
    context: AbmAccount,
    thresholds: SurgeThresholds,
    rule_points: Mapping[str, float],
    people_points: Mapping[str, float],
) -> AbmData:
    """The surge signal, with the rules and people whose points made the short window."""
    measure = start.measure
    surge = Surge(
        window_days=thresholds.window_days,
        baseline_days=thresholds.baseline_days,
        window_start=measure.window_start,
        window_end=measure.window_end,
        window_intent=round(measure.window_intent, 6),
        baseline_intent=round(measure.baseline_intent, 6),
        window_per_day=round(measure.window_per_day, 6),
        baseline_per_day=round(measure.baseline_per_day, 6),
        ratio=None if measure.ratio is None else round(measure.ratio, 6),
        factor=thresholds.factor,
        min_intent=thresholds.min_intent,
        top_rules=tuple(RuleTotal(rule_id=r, points=round(p, 6)) for r, p in _top(rule_points)),
        top_people=tuple(
            PersonTotal(lead_id=lead, points=round(p, 6)) for lead, p in _top(people_points)
        ),
        episode=start.episode,
    )
    return AbmData(kind="surge", account=context, surge=surge, at=context.as_of)


def _top(points: Mapping[str, float]) -> list[tuple[str, float]]:
    """Largest first, ties by name, so the order is total."""
    return sorted(points.items(), key=lambda item: (-item[1], item[0]))[:SURGE_TOP]
