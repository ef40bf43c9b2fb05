"""Stage rules: when a lead or account changes stage, and when it will by decay alone.

Entry and exit thresholds differ (hysteresis), so a score hovering near one threshold
cannot flap. A stage that is left by decay has a computable exit time (``*_due``), which
the stream schedules as a timer and ``replay --until`` uses, instead of scanning.
"""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import falls_below_at
from leadq.profile import Profile, grade_at_least
from leadq.state import AccountState, LeadState
from leadq.transitions import Move, engaged_members, intent_total
from schemas.rules import duration_ms
from schemas.signal import Signal


def _move(
    lead: LeadState,
    track: str,
    to: str,
    at_ms: int,
    reason: str,
    score: float,
    threshold: float | None,
    trigger: str | None,
) -> Move:
    stage_from = lead.stage if track == "lifecycle" else lead.product_stage
    if track == "lifecycle":
        lead.stage, lead.stage_since_ms = to, at_ms
    else:
        lead.product_stage = to
    return Move(track, stage_from, to, at_ms, reason, score, threshold, trigger)


def mql_score(lead: LeadState, profile: Profile, at_ms: int, rules: CompiledRules) -> float:
    mql = rules.rules.stages.mql
    return profile.base_score + intent_total(lead.intent, at_ms, mql.categories)


def _has_answers(profile: Profile, required: tuple[str, ...]) -> bool:
    return all(answer in profile.answers for answer in required)


def _crm_moves(lead: LeadState, signal: Signal, at_ms: int, rules: CompiledRules) -> list[Move]:
    sql, name, trigger = rules.rules.stages.sql, signal.name, signal.event_id
    if name in sql.disqualify_on_crm and lead.stage != "disqualified":
        lead.disqualified_by = "crm"
        return [_move(lead, "lifecycle", "disqualified", at_ms, f"crm: {name}", 0, None, trigger)]
    if name in sql.recycle_on_crm and lead.stage in ("mql", "sql"):
        return [_move(lead, "lifecycle", "recycled", at_ms, f"crm: {name}", 0, None, trigger)]
    if name in sql.on_crm and lead.stage not in ("sql", "disqualified"):
        return [_move(lead, "lifecycle", "sql", at_ms, f"crm: {name}", 0, None, trigger)]
    return []


def _disqualifier_moves(lead: LeadState, profile: Profile, at_ms: int, trigger: str) -> list[Move]:
    if profile.disqualifiers and lead.stage != "disqualified":
        lead.disqualified_by = "rules"
        names = ", ".join(f"{d} ({reason})" for d, reason in profile.disqualifiers)
        return [
            _move(
                lead, "lifecycle", "disqualified", at_ms, f"disqualified: {names}", 0, None, trigger
            )
        ]
    if (
        not profile.disqualifiers
        and lead.stage == "disqualified"
        and lead.disqualified_by == "rules"
    ):
        lead.disqualified_by = None
        return [
            _move(
                lead,
                "lifecycle",
                "known",
                at_ms,
                "no disqualifier matches any more",
                0,
                None,
                trigger,
            )
        ]
    return []


def _score_moves(
    lead: LeadState,
    profile: Profile,
    at_ms: int,
    hand_raises: set[str],
    rules: CompiledRules,
    trigger: str,
) -> list[Move]:
    mql, sql = rules.rules.stages.mql, rules.rules.stages.sql
    score = mql_score(lead, profile, at_ms, rules)
    moves: list[Move] = []
    if (
        lead.stage in ("known", "recycled")
        and score >= mql.enter
        and grade_at_least(profile.grade, mql.min_grade)
        and _has_answers(profile, mql.requires_answers)
    ):
        moves.append(
            _move(
                lead,
                "lifecycle",
                "mql",
                at_ms,
                f"score {score:.1f} reached MQL entry {mql.enter:g}",
                score,
                mql.enter,
                trigger,
            )
        )
    elif lead.stage == "mql" and score < mql.exit:
        moves.append(
            _move(
                lead,
                "lifecycle",
                "recycled",
                at_ms,
                f"score {score:.1f} fell below MQL exit {mql.exit:g}",
                score,
                mql.exit,
                trigger,
            )
        )
    raised = sorted(hand_raises & set(sql.on_rules))
    if lead.stage == "mql" and raised and _has_answers(profile, sql.requires_answers):
        moves.append(
            _move(
                lead,
                "lifecycle",
                "sql",
                at_ms,
                f"MQL raised a hand: {', '.join(raised)}",
                score,
                None,
                trigger,
            )
        )
    return moves


def _product_moves(
    lead: LeadState, at_ms: int, rules: CompiledRules, trigger: str | None
) -> list[Move]:
    pql = rules.rules.stages.pql
    if pql is None:
        return []
    score = intent_total(lead.intent, at_ms, pql.categories)
    if lead.product_stage != "pql" and score >= pql.enter:
        return [
            _move(
                lead,
                "product",
                "pql",
                at_ms,
                f"product score {score:.1f} reached PQL entry {pql.enter:g}",
                score,
                pql.enter,
                trigger,
            )
        ]
    if lead.product_stage == "pql" and score < pql.exit:
        return [
            _move(
                lead,
                "product",
                "pql_lapsed",
                at_ms,
                f"product score {score:.1f} fell below PQL exit {pql.exit:g}",
                score,
                pql.exit,
                trigger,
            )
        ]
    return []


def evaluate_lead(
    lead: LeadState, profile: Profile, signal: Signal, hand_raises: set[str], rules: CompiledRules
) -> list[Move]:
    """Stage changes caused by ``signal``, judged at the lead's newest event time."""
    at_ms = lead.latest_ms if lead.latest_ms is not None else signal.occurred_ms
    trigger = signal.event_id
    moves = _crm_moves(lead, signal, at_ms, rules) if signal.channel == "crm" else []
    moves += _disqualifier_moves(lead, profile, at_ms, trigger)
    if lead.stage == "disqualified":
        return moves
    moves += _score_moves(lead, profile, at_ms, hand_raises, rules, trigger)
    return moves + _product_moves(lead, at_ms, rules, trigger)


def lead_due(lead: LeadState, profile: Profile, rules: CompiledRules) -> int | None:
    """When decay alone will next move the lead (MQL → recycled, PQL → lapsed)."""
    if lead.latest_ms is None:
        return None
    mql, pql = rules.rules.stages.mql, rules.rules.stages.pql
    candidates = []
    if lead.stage == "mql":
        terms = [t for c, t in lead.intent.items() if not mql.categories or c in mql.categories]
        candidates.append(falls_below_at(terms, profile.base_score, mql.exit, lead.latest_ms))
    if pql is not None and lead.product_stage == "pql":
        terms = [t for c, t in lead.intent.items() if c in pql.categories]
        candidates.append(falls_below_at(terms, 0.0, pql.exit, lead.latest_ms))
    due = [c for c in candidates if c is not None]
    return min(due) if due else None


def fire_lead_decay(
    lead: LeadState, profile: Profile, until_ms: int, rules: CompiledRules
) -> list[Move]:
    """Decay-driven moves due at or before ``until_ms``, each at its own due time."""
    moves: list[Move] = []
    mql = rules.rules.stages.mql
    while (due := lead_due(lead, profile, rules)) is not None and due <= until_ms:
        found = len(moves)
        score = mql_score(lead, profile, due, rules)
        if lead.stage == "mql" and score < mql.exit:
            moves.append(
                _move(
                    lead,
                    "lifecycle",
                    "recycled",
                    due,
                    f"score decayed to {score:.1f}, below MQL exit {mql.exit:g}",
                    score,
                    mql.exit,
                    None,
                )
            )
        moves += _product_moves(lead, due, rules, None)
        if len(moves) == found:  # cannot happen with exact arithmetic; never spin
            break
    return moves


def _account_move(
    account: AccountState,
    to: str,
    at_ms: int,
    reason: str,
    score: float,
    threshold: float,
    trigger: str | None,
) -> Move:
    move = Move("account", account.stage, to, at_ms, reason, score, threshold, trigger)
    account.stage, account.stage_since_ms = to, at_ms
    return move


def evaluate_account(
    account: AccountState, rules: CompiledRules, trigger: str | None
) -> list[Move]:
    """MQA entry (score, engaged people, personas) or cooling, at the account's newest time."""
    mqa = rules.rules.stages.mqa
    if mqa is None or account.latest_ms is None:
        return []
    at_ms = account.latest_ms
    score = intent_total(account.intent, at_ms, mqa.categories)
    if account.stage == "mqa":
        if score < mqa.exit:
            return [
                _account_move(
                    account,
                    "cooling",
                    at_ms,
                    f"account score {score:.1f} fell below MQA exit {mqa.exit:g}",
                    score,
                    mqa.exit,
                    trigger,
                )
            ]
        return []
    engaged = engaged_members(account, at_ms, duration_ms(mqa.engaged_window))
    personas = {account.members[m].persona for m in engaged}
    if (
        score >= mqa.enter
        and len(engaged) >= mqa.min_engaged_people
        and len(personas) >= mqa.min_personas
        and set(mqa.required_personas) <= personas
    ):
        reason = (
            f"account score {score:.1f} reached MQA entry {mqa.enter:g} with "
            f"{len(engaged)} engaged people ({', '.join(sorted(personas))})"
        )
        return [_account_move(account, "mqa", at_ms, reason, score, mqa.enter, trigger)]
    return []


def account_due(account: AccountState, rules: CompiledRules) -> int | None:
    """When decay alone will cool an MQA account."""
    mqa = rules.rules.stages.mqa
    if mqa is None or account.stage != "mqa" or account.latest_ms is None:
        return None
    terms = [t for c, t in account.intent.items() if not mqa.categories or c in mqa.categories]
    return falls_below_at(terms, 0.0, mqa.exit, account.latest_ms)


def fire_account_decay(account: AccountState, until_ms: int, rules: CompiledRules) -> list[Move]:
    due = account_due(account, rules)
    mqa = rules.rules.stages.mqa
    if due is None or due > until_ms or mqa is None:
        return []
    score = intent_total(account.intent, due, mqa.categories)
    return [
        _account_move(
            account,
            "cooling",
            due,
            f"account score decayed to {score:.1f}, below MQA exit {mqa.exit:g}",
            score,
            mqa.exit,
            None,
        )
    ]
