"""The intent points a routed signal brings its account, for the surge buckets.

The rules' own matching (``leadq.intent.match_intent``: channel, type, name, conditions,
machine activity only where a rule allows it) decides the points; nothing here re-states
a scoring rule. Caps are the engine's per lead, rule and event-time window; the ABM
store applies them by arrival order (see ``streams.abm``), which gives the same total
per cap window as the engine's earliest-first choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadq.compiled import CompiledRules
from leadq.intent import match_intent
from schemas.routed import RoutedSignal


@dataclass(frozen=True, slots=True)
class AccountPoints:
    """One rule's points for one event of a lead at an account."""

    account_id: str
    lead_id: str
    rule_id: str
    event_id: str
    points: float
    occurred_ms: int
    #: (count, window ms) of the rule's cap, if it has one.
    cap: tuple[int, int] | None


def account_points(routed: RoutedSignal, rules: CompiledRules) -> list[AccountPoints]:
    """Points per matching intent rule; none for hand-over requests or account-less leads."""
    if routed.hand_over_to is not None or routed.lead_id is None or routed.account_id is None:
        return []
    signal = routed.signal
    found = []
    for match in match_intent(signal, rules):
        compiled = match.compiled
        cap = None
        if compiled.cap_count is not None and compiled.cap_per_ms is not None:
            cap = (compiled.cap_count, compiled.cap_per_ms)
        if match.points == 0:
            continue
        found.append(
            AccountPoints(
                routed.account_id,
                routed.lead_id,
                match.rule_id,
                signal.event_id,
                match.points,
                signal.occurred_ms,
                cap,
            )
        )
    return found
