"""Buying cycles: when each company (or individual) is active, and what it does then.

A *unit* is a company with its buying group, or one individual without a company
(free-mail, student). Its time from first appearance to the end of the span is split
into quiet phases and bursts (buying cycles of 6–24 days). Each phase gets a share of
the unit's record budget (bursts most of it), spent by sessions paced as sorted uniform
points across the phase and nudged into the unit's business hours. In a burst the
account moves through research → evaluation → decision (how far is drawn per burst):
research reads the blog and case studies, evaluation views pricing, signs up and uses
the product, decision requests demos, which sales accepts or rejects in the CRM.

Contract of ``Simulator.wake``: it returns at most the unit's remaining budget of
records, all timed at or after ``now``, and the next wake time (≥ every in-session
record) or None when the budget is spent. Over all wakes a unit emits exactly its
budget.
"""

from __future__ import annotations

import math
import random
from typing import Final, NamedTuple

from bench import mail
from bench.population import Company, Person, company_personas
from bench.sessions import BLOG, CASES, DAY, DOCS, HOUR, PRICING, PRODUCT, Out, Sessions

#: Roughly how many records a session yields, for pacing.
RECORDS_PER_SESSION: Final = 4
_STAGE_PERSONAS: Final = (
    (("decision_maker", 0.3), ("technical_evaluator", 0.6)),  # research: else user
    (("decision_maker", 0.35), ("technical_evaluator", 0.75)),  # evaluation
    (("decision_maker", 0.55), ("technical_evaluator", 0.85)),  # decision
)


class Phase(NamedTuple):
    end_ms: int
    budget: int
    burst: bool


class Cycle(NamedTuple):
    """A burst of a unit: from ``start_ms`` to ``end_ms``; ``max_stage`` is the stage its
    activity reached (0 research, 1 evaluation, 2 decision), ``planned`` how far it could
    have gone."""

    start_ms: int
    end_ms: int
    max_stage: int
    planned: int


class Unit:
    """A company and its people (or one individual), with its phase plan and progress."""

    __slots__ = ("advance", "company", "cycles", "first_ms", "kind", "left", "max_stage",
                 "people", "phase", "phases", "stage")  # fmt: skip

    def __init__(
        self, kind: str, company: Company | None, people: list[Person], phases: list[Phase],
        first_ms: int,
    ) -> None:  # fmt: skip
        self.kind, self.company, self.people, self.phases = kind, company, people, phases
        self.first_ms = first_ms
        self.phase, self.left = 0, phases[0].budget
        self.stage = self.max_stage = 0
        self.advance = 0.0
        #: Its bursts so far, as they were entered (what the quality benchmark scores).
        self.cycles: list[Cycle] = []


class Simulator:
    """Creates units and runs their wakes; shares one random source and id counter."""

    def __init__(self, sessions: Sessions, seed: int) -> None:
        self.sessions, self.rng, self.seed = sessions, sessions.rng, seed
        self.people_made = self.companies_made = 0
        #: Every unit created, in order: the workload's ground truth.
        self.units: list[Unit] = []

    def new_unit(self, kind: str, first_ms: int, budget: int) -> tuple[Unit, int]:
        """A unit of ``kind`` (company, competitor, freemail, student) owning ``budget``
        records (> 0) from ``first_ms`` on, and the time of its first wake."""
        rng = self.rng
        company: Company | None = None
        if kind in ("company", "competitor"):
            self.companies_made += 1
            company = Company(rng, self.companies_made, competitor=kind == "competitor")
        if kind == "company":
            personas = company_personas(rng)
        else:
            personas = ["competitor"] * rng.randint(1, 2) if kind == "competitor" else [kind]
        people = [self._person(persona, company) for persona in personas]
        phases = plan_phases(rng, first_ms, self.sessions.end_ms, budget)
        unit = Unit(kind, company, people, phases, first_ms)
        self.units.append(unit)
        cursor = first_ms
        while phases[unit.phase].budget == 0:
            cursor = phases[unit.phase].end_ms
            unit.phase += 1
        self._enter_phase(unit)
        return unit, self._next_wake(unit, cursor)

    def _person(self, persona: str, company: Company | None) -> Person:
        self.people_made += 1
        persona = "individual" if persona == "freemail" else persona
        return Person(self.rng, self.people_made, self.seed, persona, company)

    def wake(self, unit: Unit, now: int) -> tuple[Out, int | None]:
        """One session of ``unit`` at ``now``: (its records, the next wake or None)."""
        sessions, rng = self.sessions, self.rng
        phase = unit.phases[unit.phase]
        if phase.burst and unit.stage < unit.max_stage and rng.random() < unit.advance:
            unit.stage += 1
            unit.cycles[-1] = unit.cycles[-1]._replace(max_stage=unit.stage)
        sessions.out, sessions.session_hand_raises = [], []
        last = max(now, self._session(unit, now, phase.burst))
        records = sessions.out[: unit.left]
        sessions.hand_raises += [
            (person, at)
            for person, at, index in sessions.session_hand_raises
            if index < len(records)
        ]
        unit.left -= len(records)
        while unit.left == 0:
            if unit.phase + 1 == len(unit.phases):
                return records, None
            unit.phase += 1
            self._enter_phase(unit)
            last = max(last, unit.phases[unit.phase - 1].end_ms)
        return records, self._next_wake(unit, last)

    def _enter_phase(self, unit: Unit) -> None:
        phase, rng = unit.phases[unit.phase], self.rng
        unit.left = phase.budget
        if phase.burst:
            unit.stage = 0
            unit.max_stage = rng.choice((0, 1, 1, 2, 2)) if unit.company else 1
            unit.advance = min(0.5, 2.5 * RECORDS_PER_SESSION / max(1, phase.budget))
            start = unit.phases[unit.phase - 1].end_ms if unit.phase else unit.first_ms
            unit.cycles.append(Cycle(start, phase.end_ms, 0, unit.max_stage))

    def _next_wake(self, unit: Unit, last: int) -> int:
        """The earliest of the phase's remaining sessions placed uniformly over the rest of
        the phase (sorted uniform points), moved into business hours if that fits."""
        end = unit.phases[unit.phase].end_ms
        remaining = math.ceil(unit.left / RECORDS_PER_SESSION)
        gap = (end - last) * (1.0 - self.rng.random() ** (1.0 / remaining))
        at = last + max(0, int(gap))
        tz_hours = unit.company.tz_hours if unit.company else 0
        shifted = business_hours(at, tz_hours, self.rng)
        return shifted if shifted <= end else at

    def _session(self, unit: Unit, now: int, burst: bool) -> int:
        rng, sessions = self.rng, self.sessions
        if unit.company is None:
            return self._individual(unit.people[0], now, burst)
        roll = rng.random()
        if roll < 0.07:
            return sessions.drive_by(now)
        invited = next((p for p in unit.people if p.invited and not p.signed_up), None)
        if invited is not None and roll < 0.25:
            return sessions.signup(now, invited, 0, unit.people)
        person = self._pick(unit) if burst else rng.choice(unit.people)
        if rng.random() < (0.35 if burst else 0.8) and self._mailable(person):
            return mail.email(sessions, now, person, engage=0.45 if burst else 0.15)
        if not burst:
            return self._quiet(person, now)
        return (self._research, self._evaluate, self._decide)[unit.stage](unit, person, now)

    def _pick(self, unit: Unit) -> Person:
        roll = self.rng.random()
        wanted = next((p for p, upto in _STAGE_PERSONAS[unit.stage] if roll < upto), "user")
        matching = [p for p in unit.people if p.persona == wanted]
        return self.rng.choice(matching or unit.people)

    def _device(self, person: Person, now: int) -> tuple[int, int]:
        """(device, time): a second device logs in (identify) half the time it is used."""
        rng = self.rng
        if len(person.anon_ids) == 1 or rng.random() < 0.7:
            return 0, now
        if person.known_devices and not person.known_devices & 2 and rng.random() < 0.5:
            return 1, self.sessions.identify(now, person, 1) + 20_000
        return 1, now

    def _quiet(self, person: Person, now: int) -> int:
        if self.rng.random() < 0.4 and person.signed_up:
            return self.sessions.product(now, person, self.rng.randint(1, 4), [])
        return self._browse(person, now, [BLOG])

    def _browse(self, person: Person, now: int, sections: list[tuple[str, ...]]) -> int:
        rng = self.rng
        device, at = self._device(person, now)
        paths = [rng.choice(rng.choice(sections)) for _ in range(rng.randint(1, 4))]
        at = self.sessions.pages(at, person, paths, device)
        if CASES in sections and not person.known_devices >> device & 1 and rng.random() < 0.1:
            at = self.sessions.identify(at + 60_000, person, device)  # a gated download
        return at

    def _mailable(self, person: Person) -> bool:
        return person.in_db and not person.unsubscribed

    def _research(self, unit: Unit, person: Person, now: int) -> int:
        if self.rng.random() < 0.1:
            return self.sessions.webinar(now, person, self._device(person, now)[0])
        technical = person.persona == "technical_evaluator"
        return self._browse(person, now, [BLOG, CASES, DOCS if technical else PRODUCT])

    def _evaluate(self, unit: Unit, person: Person, now: int) -> int:
        rng, sessions = self.rng, self.sessions
        roll = rng.random()
        if person.signed_up and roll < 0.4:
            return sessions.product(now, person, rng.randint(2, 7), unit.people)
        if person.persona != "decision_maker" and not person.signed_up and roll < 0.55:
            return sessions.signup(now, person, self._device(person, now)[0], unit.people)
        if roll < 0.62:
            return sessions.webinar(now, person, self._device(person, now)[0])
        return self._browse(person, now, [PRICING, CASES, PRODUCT])

    def _decide(self, unit: Unit, person: Person, now: int) -> int:
        rng, sessions, company = self.rng, self.sessions, unit.company
        roll = rng.random()
        hand_raiser = person.persona in ("decision_maker", "technical_evaluator")
        if company and hand_raiser and person.demo_phase != unit.phase and roll < 0.5:
            person.demo_phase = unit.phase
            return sessions.demo_request(now, person, self._device(person, now)[0], company)
        if person.signed_up and roll < 0.75:
            return sessions.product(now, person, rng.randint(2, 7), unit.people)
        return self._browse(person, now, [PRICING, CASES, ("/security", "/integrations")])

    def _individual(self, person: Person, now: int, burst: bool) -> int:
        rng, sessions = self.rng, self.sessions
        roll = rng.random()
        if roll < 0.3 and self._mailable(person):
            return mail.email(sessions, now, person, engage=0.3)
        if not burst or roll < 0.3:
            return self._quiet(person, now)
        if roll < 0.45:
            return sessions.webinar(now, person, 0)
        if roll < 0.75:
            if person.signed_up:
                return sessions.product(now, person, rng.randint(2, 6), [])
            return sessions.signup(now, person, 0, [])
        return self._browse(person, now, [PRICING, CASES, BLOG])


def plan_phases(rng: random.Random, first_ms: int, end_ms: int, budget: int) -> list[Phase]:
    """Quiet phases and bursts covering [first_ms, end_ms], splitting ``budget`` exactly.

    Bursts (1–3, more for bigger budgets) get 80% of the budget, by length; quiet phases
    the rest, by length. Budgets under 12 records stay quiet.
    """
    bursts = 0 if budget < 12 else 1 + (budget > 120) + (budget > 300)
    bounds: list[tuple[int, int, bool]] = []
    cursor = first_ms
    for number in range(bursts):
        room = (end_ms - cursor) / (bursts - number)
        length = min(rng.uniform(6, 24) * DAY, 0.8 * room)
        start = cursor + int(rng.uniform(0, room - length))
        bounds += [(cursor, start, False), (start, start + int(length), True)]
        cursor = start + int(length)
    bounds.append((cursor, end_ms, False))
    burst_total = round(budget * 0.8) if bursts else 0
    shares = [
        _share(bounds, index, burst_total if burst else budget - burst_total)
        for index, (_, _, burst) in enumerate(bounds)
    ]
    return _exact(bounds, shares, budget)


def _share(bounds: list[tuple[int, int, bool]], index: int, total: int) -> float:
    kind = bounds[index][2]
    length = sum(max(1, end - start) for start, end, burst in bounds if burst == kind)
    start, end, _ = bounds[index]
    return total * max(1, end - start) / length


def _exact(bounds: list[tuple[int, int, bool]], shares: list[float], budget: int) -> list[Phase]:
    """Round ``shares`` cumulatively so the phase budgets sum to ``budget`` exactly."""
    phases, running, given = [], 0.0, 0
    for (_, end, burst), share in zip(bounds, shares, strict=True):
        running += share
        amount = min(budget, round(running)) - given
        given += amount
        phases.append(Phase(end, amount, burst))
    last = phases[-1]
    phases[-1] = Phase(last.end_ms, last.budget + budget - given, last.burst)
    return phases


def business_hours(at_ms: int, tz_hours: int, rng: random.Random) -> int:
    """``at_ms`` or later: mostly moved into 08:00–18:00 on a weekday, local time."""
    if rng.random() < 0.15:  # some people do work evenings and weekends
        return at_ms
    day, in_day = divmod(at_ms + tz_hours * HOUR, DAY)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 is Monday
    morning = 8 * HOUR + rng.randint(0, 3 * HOUR)
    if weekday >= 5:
        return at_ms + (7 - weekday) * DAY - in_day + morning
    if in_day < 8 * HOUR:
        return at_ms + morning - in_day
    if in_day >= 18 * HOUR:
        return at_ms + (3 if weekday == 4 else 1) * DAY - in_day + morning
    return at_ms
