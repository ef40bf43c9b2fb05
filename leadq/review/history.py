"""Per-lead history for the review report, from one run of the engine over past events.

Contract: ``collect(signals, rules)`` runs the signals through the same pipeline as
``leadq replay`` (``leadq.replay.Replayer``: event-time order, decay timers fired in
between) and returns, per lead (by its final id, after merges), its lifecycle moves,
its routings (entries into ``mql`` or ``sql`` made by the rules, not by a CRM verdict),
its CRM outcomes with normalized reasons, its rules-based disqualifications, and the
highest MQL score it reached while eligible (not disqualified, ``min_grade`` and
``requires_answers`` met) — overall, as steps in time, and just before each CRM outcome.
Scores only rise at events (decay only lowers them), so reading the score after each
event gives the exact peak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leadq.bucket import Item
from leadq.compiled import CompiledRules
from leadq.outcomes import Reason, ReasonCodes
from leadq.profile import build_profile, grade_at_least
from leadq.replay import Replayer, event_order
from leadq.stages import mql_score
from leadq.store import LeadRecord
from schemas.signal import Signal
from schemas.transition import TransitionData

#: CRM event names the report reads (``schemas.events.CRM_EVENT_NAMES``).
SALES_VERDICTS = ("sales_accepted", "sales_rejected")


@dataclass(frozen=True, slots=True)
class Routing:
    """An entry into ``mql`` or ``sql`` made by the rules: a hand-off to sales."""

    stage: str
    at_ms: int
    score: float
    grade: str
    persona: str
    #: Intent rules among the signals that weighed most at that moment.
    intent_rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CrmOutcome:
    name: str
    at_ms: int
    reason: Reason
    amount: float | None
    opportunity_id: str | None
    #: The lead's highest eligible MQL score before this event (``None``: never eligible).
    peak_before: float | None


@dataclass
class LeadHistory:
    lead_id: str
    first_ms: int
    moves: list[tuple[int, str]] = field(default_factory=list)
    routings: list[Routing] = field(default_factory=list)
    outcomes: list[CrmOutcome] = field(default_factory=list)
    #: (time, ``rule:<disqualifier id>``) for each rules-based disqualification.
    disqualifications: list[tuple[int, str]] = field(default_factory=list)
    #: (time, new highest eligible MQL score): the running maximum, where it rose.
    peaks: list[tuple[int, float]] = field(default_factory=list)

    def peak_until(self, until_ms: int | None) -> float | None:
        """The highest eligible MQL score reached by ``until_ms`` (all: ``None``)."""
        reached = [s for at, s in self.peaks if until_ms is None or at <= until_ms]
        return reached[-1] if reached else None

    def absorb(self, other: LeadHistory) -> None:
        """Take in the history of a lead merged into this one (time order kept)."""
        self.first_ms = min(self.first_ms, other.first_ms)
        self.moves = sorted(self.moves + other.moves)
        self.routings = sorted(self.routings + other.routings, key=lambda r: r.at_ms)
        self.outcomes = sorted(self.outcomes + other.outcomes, key=lambda o: o.at_ms)
        self.disqualifications = sorted(self.disqualifications + other.disqualifications)
        steps, best = [], None
        for at, score in sorted(self.peaks + other.peaks):
            if best is None or score > best:
                best = score
                steps.append((at, score))
        self.peaks = steps


@dataclass
class History:
    rules: CompiledRules
    leads: dict[str, LeadHistory]
    #: The last event's time (``None`` for no events).
    end_ms: int | None


class _Collector:
    def __init__(self, rules: CompiledRules) -> None:
        self.rules = rules
        self.replayer = Replayer(rules)
        self.reasons = ReasonCodes(rules.rules.outcomes)
        self.leads: dict[str, LeadHistory] = {}
        self.crm_seen: set[str] = set()

    def lead(self, lead_id: str, at_ms: int) -> LeadHistory:
        found = self.leads.get(lead_id)
        if found is None:
            found = self.leads[lead_id] = LeadHistory(lead_id, at_ms)
        return found

    async def process(self, signal: Signal) -> None:
        replayer = self.replayer
        self.take(await replayer.advance(signal.occurred_ms), None)
        routed = await replayer.router.route([signal])
        outcome = await replayer.qualifier.apply([Item(r) for r in routed])
        lead_id = next((r.lead_id for r in routed if r.hand_over_to is None and r.lead_id), None)
        if lead_id is None:
            return
        history = self.lead(lead_id, signal.occurred_ms)
        if signal.channel == "crm" and signal.event_id not in self.crm_seen:
            self.crm_seen.add(signal.event_id)
            history.outcomes.append(self.crm_outcome(signal, history.peak_until(None)))
        record = await replayer.qualifier.lead(lead_id)
        self.take(outcome.transitions, record)
        if record is not None:
            self.note_peak(self.lead(record.lead.lead_id, signal.occurred_ms), record)

    def crm_outcome(self, signal: Signal, peak: float | None) -> CrmOutcome:
        properties = signal.properties
        raw, amount, opportunity = (
            properties.get(k) for k in ("reason", "amount", "opportunity_id")
        )
        return CrmOutcome(
            name=signal.name,
            at_ms=signal.occurred_ms,
            reason=self.reasons.normalize(raw if isinstance(raw, str) else None),
            amount=float(amount) if isinstance(amount, int | float) else None,
            opportunity_id=str(opportunity) if opportunity is not None else None,
            peak_before=peak,
        )

    def take(self, transitions: list[TransitionData], record: LeadRecord | None) -> None:
        """Record the lifecycle moves; routings get the lead's persona from ``record``."""
        for t in transitions:
            if t.entity != "lead" or t.track != "lifecycle":
                continue
            at_ms = int(t.at.timestamp() * 1000)
            history = self.lead(t.entity_id, at_ms)
            own = record if record is not None and record.lead.lead_id == t.entity_id else None
            history.moves.append((at_ms, t.stage_to))
            by_crm = t.reason.startswith("crm:")
            if t.stage_to in ("mql", "sql") and not by_crm:
                history.routings.append(self.routing(t, at_ms, own))
            if t.stage_to == "disqualified" and not by_crm:
                ids = self.disqualifier_ids(own)
                history.disqualifications += [(at_ms, f"rule:{d}") for d in ids]

    def routing(self, t: TransitionData, at_ms: int, record: LeadRecord | None) -> Routing:
        profile = record.lead.profile if record is not None else None
        return Routing(
            stage=t.stage_to,
            at_ms=at_ms,
            score=t.score,
            grade=t.fit.grade if t.fit is not None else "F",
            persona=profile.persona if profile is not None else self.rules.rules.default_persona,
            intent_rules=tuple(dict.fromkeys(s.rule_id for s in t.top_signals)),
        )

    def disqualifier_ids(self, record: LeadRecord | None) -> list[str]:
        profile = record.lead.profile if record is not None else None
        found = [d for d, _ in profile.disqualifiers] if profile is not None else []
        return found or ["unknown"]

    def note_peak(self, history: LeadHistory, record: LeadRecord) -> None:
        lead, mql = record.lead, self.rules.rules.stages.mql
        if lead.latest_ms is None or lead.stage == "disqualified" or lead.disqualified_by:
            return
        profile = lead.profile or build_profile(lead, record.account, self.rules)
        if profile.disqualifiers or not grade_at_least(profile.grade, mql.min_grade):
            return
        if not all(answer in profile.answers for answer in mql.requires_answers):
            return
        score = mql_score(lead, profile, lead.latest_ms, self.rules)
        best = history.peak_until(None)
        if best is None or score > best:
            history.peaks.append((lead.latest_ms, score))


async def collect(signals: Iterable[Signal], rules: CompiledRules) -> History:
    """Run ``signals`` (any order) through the engine and keep each lead's history."""
    ordered = sorted(signals, key=event_order)
    collector = _Collector(rules)
    for signal in ordered:
        await collector.process(signal)
    end_ms = ordered[-1].occurred_ms if ordered else None
    if end_ms is not None:
        collector.take(await collector.replayer.advance(end_ms), None)
    return History(rules, await _by_final_lead(collector), end_ms)


async def _by_final_lead(collector: _Collector) -> dict[str, LeadHistory]:
    """Histories of merged leads folded into the lead they were merged into."""
    merged: dict[str, LeadHistory] = {}
    for lead_id in sorted(collector.leads):
        record = await collector.replayer.qualifier.lead(lead_id)
        final = record.lead.lead_id if record is not None else lead_id
        history = collector.leads[lead_id]
        if final in merged:
            merged[final].absorb(history)
        else:
            history.lead_id = final
            merged[final] = history
    return merged
