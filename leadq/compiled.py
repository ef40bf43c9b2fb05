"""Rules compiled once per load: predicates and lookups the per-event path uses."""

from __future__ import annotations

from dataclasses import dataclass

from leadq.matching import Predicate, compile_conditions
from schemas.rules import IntentRule, Rules, duration_ms


@dataclass(frozen=True, slots=True)
class CompiledIntentRule:
    rule: IntentRule
    matches: Predicate
    cap_count: int | None
    cap_per_ms: int | None


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """A ``Rules`` with every condition compiled; build with ``compile_rules``."""

    rules: Rules
    intent: tuple[CompiledIntentRule, ...]
    intent_by_id: dict[str, CompiledIntentRule]
    fit: tuple[tuple[str, float, Predicate], ...]
    disqualifiers: tuple[tuple[str, str, Predicate], ...]
    personas: tuple[tuple[str, Predicate], ...]
    free_mail: frozenset[str]
    late_horizon_ms: int
    dedupe_window_ms: int

    @property
    def version(self) -> str:
        return self.rules.version

    def half_life_ms(self, category: str) -> int:
        return self.rules.half_life_ms(category)


def compile_rules(rules: Rules) -> CompiledRules:
    intent = tuple(
        CompiledIntentRule(
            rule=r,
            matches=compile_conditions(r.when),
            cap_count=r.cap.count if r.cap else None,
            cap_per_ms=duration_ms(r.cap.per) if r.cap else None,
        )
        for r in rules.intent.rules
    )
    return CompiledRules(
        rules=rules,
        intent=intent,
        intent_by_id={c.rule.id: c for c in intent},
        fit=tuple((r.id, r.points, compile_conditions(r.when)) for r in rules.fit.rules),
        disqualifiers=tuple(
            (d.id, d.reason, compile_conditions(d.when)) for d in rules.fit.disqualifiers
        ),
        personas=tuple((p.id, compile_conditions(p.when)) for p in rules.personas),
        free_mail=rules.accounts.free_mail(),
        late_horizon_ms=duration_ms(rules.intent.late_event_horizon),
        dedupe_window_ms=duration_ms(rules.intent.dedupe_window),
    )
