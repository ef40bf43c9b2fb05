"""Rules compiled once per load: predicates and lookups the per-event path uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from leadq.matching import Predicate, compile_conditions
from schemas.conditions import Conditions, Matcher, Operator
from schemas.rules import IntentRule, Rules, duration_ms
from schemas.signal import Channel, SignalType
from schemas.traits import DERIVED_FIELDS


@dataclass(frozen=True, slots=True)
class CompiledIntentRule:
    rule: IntentRule
    matches: Predicate
    cap_count: int | None
    cap_per_ms: int | None
    #: The event names the rule can match (casefolded), ``None``: any. A necessary
    #: condition checked before ``matches``, which still decides.
    names: frozenset[str] | None = None


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
    #: (channel, type) → the intent rules an event of that channel and type can match,
    #: in rules order (every channel and type a ``Signal`` can have is a key).
    intent_for: dict[tuple[str, str], tuple[CompiledIntentRule, ...]]
    #: Category → half-life; categories not listed use ``default_half_life_ms``.
    half_lives_ms: dict[str, int]
    default_half_life_ms: int
    #: Fields whose values are qualification answers.
    answer_fields: frozenset[str]
    #: Whether a fit rule, disqualifier or persona reads ``person.`` or ``company.``:
    #: the derived views are computed for profiles only then.
    reads_derived: bool = False

    @property
    def version(self) -> str:
        return self.rules.version

    def half_life_ms(self, category: str) -> int:
        return self.half_lives_ms.get(category, self.default_half_life_ms)


def compile_rules(rules: Rules) -> CompiledRules:
    intent = tuple(
        CompiledIntentRule(
            rule=r,
            matches=compile_conditions(r.when),
            cap_count=r.cap.count if r.cap else None,
            cap_per_ms=duration_ms(r.cap.per) if r.cap else None,
            names=allowed_strings(r.when, "name"),
        )
        for r in rules.intent.rules
    )
    half_lives = rules.intent.half_lives
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
        intent_for=_intent_index(intent),
        half_lives_ms={category: duration_ms(d) for category, d in half_lives.items()},
        default_half_life_ms=duration_ms(half_lives["default"]),
        answer_fields=frozenset(a.field for a in rules.answers),
        reads_derived=any(
            path.partition(".")[0] in DERIVED_FIELDS
            for conditions in (
                *(r.when for r in rules.fit.rules),
                *(d.when for d in rules.fit.disqualifiers),
                *(p.when for p in rules.personas),
            )
            for path in conditions
        ),
    )


def _intent_index(
    intent: tuple[CompiledIntentRule, ...],
) -> dict[tuple[str, str], tuple[CompiledIntentRule, ...]]:
    """Which rules each (channel, type) can match: most rules name a channel or a type,
    so an event is compared with a few rules instead of all of them."""
    allowed = [
        (allowed_strings(c.rule.when, "channel"), allowed_strings(c.rule.when, "type"), c)
        for c in intent
    ]
    return {
        (channel, kind): tuple(
            c
            for channels, kinds, c in allowed
            if (channels is None or channel in channels) and (kinds is None or kind in kinds)
        )
        for channel in get_args(Channel)
        for kind in get_args(SignalType)
    }


def allowed_strings(conditions: Conditions, path: str) -> frozenset[str] | None:
    """The casefolded strings a condition on ``path`` accepts when it is an equality or
    a one-of over strings only (a string value matches iff its casefold is among them);
    ``None`` when any value may match (no such condition, or another operator)."""
    matcher: Matcher | None = conditions.get(path)
    options: tuple[Any, ...]
    if matcher is None:
        return None
    if isinstance(matcher, Operator):
        if matcher.equals is not None:
            options = (matcher.equals,)
        elif matcher.in_ is not None:
            options = matcher.in_
        else:
            return None
    elif isinstance(matcher, tuple):
        options = matcher
    else:
        options = (matcher,)
    strings = [o for o in options if isinstance(o, str)]
    if len(strings) != len(options):
        return None
    return frozenset(o.casefold() for o in strings)
