"""Stage rules: when a lead or account changes stage, and when it will by decay alone.

Entry and exit thresholds differ (hysteresis), so a score hovering near one threshold
cannot flap. A stage that is left by decay has a computable exit time (``*_due``), which
the stream schedules as a timer and ``replay --until`` uses, instead of scanning.
"""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.decay import falls_below_at
from leadq.profile import grade_at_least
from leadq.profile_model import Profile
from leadq.state import AccountState, LeadState
from leadq.transitions import Move, category_terms, engaged_members, intent_total
from schemas.rules import duration_ms
from schemas.signal import Signal


def _move(
    lead: LeadState, track: str, to: str, at_ms: int, reason: str, score: float,
    threshold: float | None, trigger: str | None, hand_raise: tuple[str, ...] = (),
) -> Move:  # fmt: skip
    stage_from = lead.stage if track == "lifecycle" else lead.product_stage
    if track == "lifecycle":
        lead.stage, lead.stage_since_ms = to, at_ms
    else:
        lead.product_stage = to
    return Move(track, stage_from, to, at_ms, reason, score, threshold, trigger, hand_raise)


def mql_score(lead: LeadState, profile: Profile, at_ms: int, rules: CompiledRules) -> float:
    mql = rules.rules.stages.mql
    return profile.base_score + intent_total(lead.intent, at_ms, mql.categories)


def _has_answers(profile: Profile, required: tuple[str, ...]) -> bool:
    return all(answer in profile.answers for answer in required)


def _crm_moves(lead: LeadState, signal: Signal, score: float, at_ms: int,
               rules: CompiledRules) -> list[Move]:  # fmt: skip
    """Sales' word: disqualify (sticky), recycle (with a cool-down), or accept as SQL."""
    sql, name, trigger = rules.rules.stages.sql, signal.name, signal.event_id
    reason = f"crm: {name}"
    if name in sql.disqualify_on_crm:
        lead.disqualified_by = "crm"  # sticky even if the rules already disqualified it
        if lead.stage != "disqualified":
            return [_move(lead, "lifecycle", "disqualified", at_ms, reason, score, None, trigger)]
        return []
    if name in sql.recycle_on_crm and lead.stage in ("mql", "sql"):
        lead.cooldown = True
        return [_move(lead, "lifecycle", "recycled", at_ms, reason, score, None, trigger)]
    if name in sql.on_crm and lead.stage not in ("sql", "disqualified"):
        return [_move(lead, "lifecycle", "sql", at_ms, reason, score, None, trigger)]
    return []


def _disqualifier_moves(lead: LeadState, profile: Profile, score: float, at_ms: int,
                        trigger: str) -> list[Move]:  # fmt: skip
    if profile.disqualifiers and lead.stage != "disqualified":
        lead.disqualified_by = "rules"
        names = ", ".join(f"{d} ({reason})" for d, reason in profile.disqualifiers)
        reason = f"disqualified: {names}"
        return [_move(lead, "lifecycle", "disqualified", at_ms, reason, score, None, trigger)]
    lifted = lead.stage == "disqualified" and lead.disqualified_by == "rules"
    if not profile.disqualifiers and lifted:
        lead.disqualified_by = None
        reason = "no disqualifier matches any more"
        return [_move(lead, "lifecycle", "known", at_ms, reason, score, None, trigger)]
    return []


def _hand_raise_moves(lead: LeadState, profile: Profile, score: float, at_ms: int,
                      hand_raises: set[str], rules: CompiledRules,
                      trigger: str) -> list[Move]:  # fmt: skip
    """The fast lane: a hand-raise makes a qualified lead an SQL now, whatever its score."""
    lane = rules.rules.stages.hand_raise
    raised = tuple(rule for rule in lane.rules if rule in hand_raises)
    if not raised or lead.stage not in ("known", "mql", "recycled"):
        return []
    if not grade_at_least(profile.grade, lane.min_grade):
        return []
    lead.cooldown = False
    named = ", ".join(_described(rule, rules) for rule in raised)
    reason = f"hand-raise: {named}"
    return [_move(lead, "lifecycle", "sql", at_ms, reason, score, None, trigger, raised)]


def _described(rule_id: str, rules: CompiledRules) -> str:
    description = rules.intent_by_id[rule_id].rule.description
    return f"{rule_id} ({description})" if description else rule_id


def _score_moves(lead: LeadState, profile: Profile, score: float, at_ms: int,
                 hand_raises: set[str], engaged: bool, rules: CompiledRules,
                 trigger: str) -> list[Move]:  # fmt: skip
    mql, sql = rules.rules.stages.mql, rules.rules.stages.sql
    if lead.cooldown and score < mql.exit:
        lead.cooldown = False
    # A recycled lead comes back only with new intent, and after a sales rejection only
    # once it has cooled below the exit threshold: no instant bounce back to MQL.
    eligible = lead.stage == "known" or (lead.stage == "recycled" and engaged and not lead.cooldown)
    qualified = grade_at_least(profile.grade, mql.min_grade) and _has_answers(
        profile, mql.requires_answers
    )
    moves: list[Move] = []
    if eligible and score >= mql.enter and qualified:
        reason = f"score {score:.1f} reached MQL entry {mql.enter:g}"
        moves.append(_move(lead, "lifecycle", "mql", at_ms, reason, score, mql.enter, trigger))
    elif lead.stage == "mql" and score < mql.exit:
        reason = f"score {score:.1f} fell below MQL exit {mql.exit:g}"
        moves.append(_move(lead, "lifecycle", "recycled", at_ms, reason, score, mql.exit, trigger))
    raised = sorted(hand_raises & set(sql.on_rules))
    if lead.stage == "mql" and raised and _has_answers(profile, sql.requires_answers):
        reason = f"MQL raised a hand: {', '.join(raised)}"
        moves.append(_move(lead, "lifecycle", "sql", at_ms, reason, score, None, trigger))
    return moves


def _product_moves(lead: LeadState, at_ms: int, rules: CompiledRules, trigger: str | None,
                   decayed: bool = False) -> list[Move]:  # fmt: skip
    pql = rules.rules.stages.pql
    if pql is None:
        return []
    score = intent_total(lead.intent, at_ms, pql.categories)
    if lead.product_stage != "pql" and score >= pql.enter:
        reason = f"product score {score:.1f} reached PQL entry {pql.enter:g}"
        return [_move(lead, "product", "pql", at_ms, reason, score, pql.enter, trigger)]
    if lead.product_stage == "pql" and score < pql.exit:
        reason = (
            f"product score decayed below PQL exit {pql.exit:g}"
            if decayed
            else f"product score {score:.1f} fell below PQL exit {pql.exit:g}"
        )
        return [_move(lead, "product", "pql_lapsed", at_ms, reason, score, pql.exit, trigger)]
    return []


def cool_down(lead: LeadState, at_ms: int, rules: CompiledRules) -> None:
    """Lift a sales cool-down if the score had decayed below exit by ``at_ms`` (called
    before a new event adds its points)."""
    exit_ = rules.rules.stages.mql.exit
    if lead.cooldown and lead.profile and mql_score(lead, lead.profile, at_ms, rules) < exit_:
        lead.cooldown = False


def evaluate_lead(
    lead: LeadState,
    profile: Profile,
    signal: Signal,
    hand_raises: set[str],
    engaged: bool,
    rules: CompiledRules,
) -> list[Move]:
    """Stage changes caused by ``signal``, judged at the lead's newest event time.

    Every move carries the lead's MQL score at that time (also CRM and disqualifier
    moves, whose rules compare no score, so readers still see where the lead stood).
    """
    at_ms = lead.latest_ms if lead.latest_ms is not None else signal.occurred_ms
    trigger = signal.event_id
    score = mql_score(lead, profile, at_ms, rules)
    moves = _crm_moves(lead, signal, score, at_ms, rules) if signal.channel == "crm" else []
    moves += _disqualifier_moves(lead, profile, score, at_ms, trigger)
    if lead.stage == "disqualified":
        return moves
    if not signal.is_bot:  # machine traffic never raises a hand
        fast = _hand_raise_moves(lead, profile, score, at_ms, hand_raises, rules, trigger)
        if fast:
            return moves + fast + _product_moves(lead, at_ms, rules, trigger)
    moves += _score_moves(lead, profile, score, at_ms, hand_raises, engaged, rules, trigger)
    return moves + _product_moves(lead, at_ms, rules, trigger)


def lead_due(lead: LeadState, profile: Profile, rules: CompiledRules) -> int | None:
    """When decay alone will next move the lead (MQL → recycled, PQL → lapsed)."""
    if lead.latest_ms is None:
        return None
    mql, pql = rules.rules.stages.mql, rules.rules.stages.pql
    candidates = []
    if lead.stage == "mql":
        terms = category_terms(lead.intent, mql.categories)
        candidates.append(falls_below_at(terms, profile.base_score, mql.exit, lead.latest_ms))
    if pql is not None and lead.product_stage == "pql":
        terms = category_terms(lead.intent, pql.categories)
        candidates.append(falls_below_at(terms, 0.0, pql.exit, lead.latest_ms))
    due = [c for c in candidates if c is not None]
    return min(due) if due else None


def fire_lead_decay(lead: LeadState, profile: Profile, until_ms: int,
                    rules: CompiledRules) -> list[Move]:  # fmt: skip
    """Decay-driven moves due at or before ``until_ms``, each at its own due time."""
    moves: list[Move] = []
    mql = rules.rules.stages.mql
    while (due := lead_due(lead, profile, rules)) is not None and due <= until_ms:
        found = len(moves)
        score = mql_score(lead, profile, due, rules)
        if lead.stage == "mql" and score < mql.exit:
            reason = f"score decayed below MQL exit {mql.exit:g}"
            moves.append(_move(lead, "lifecycle", "recycled", due, reason, score, mql.exit, None))
        moves += _product_moves(lead, due, rules, None, decayed=True)
        if len(moves) == found:  # cannot happen with exact arithmetic; never spin
            break
    return moves


def _account_move(account: AccountState, to: str, at_ms: int, reason: str, score: float,
                  threshold: float, trigger: str | None) -> Move:  # fmt: skip
    move = Move("account", account.stage, to, at_ms, reason, score, threshold, trigger)
    account.stage, account.stage_since_ms = to, at_ms
    return move


def evaluate_account(account: AccountState, rules: CompiledRules,
                     trigger: str | None) -> list[Move]:  # fmt: skip
    """MQA entry (score, engaged people, personas) or cooling, at the account's newest time."""
    mqa = rules.rules.stages.mqa
    if mqa is None or account.latest_ms is None:
        return []
    at_ms = account.latest_ms
    score = intent_total(account.intent, at_ms, mqa.categories)
    if account.stage == "mqa":
        if score < mqa.exit:
            reason = f"account score {score:.1f} fell below MQA exit {mqa.exit:g}"
            return [_account_move(account, "cooling", at_ms, reason, score, mqa.exit, trigger)]
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
    terms = category_terms(account.intent, mqa.categories)
    return falls_below_at(terms, 0.0, mqa.exit, account.latest_ms)


def fire_account_decay(account: AccountState, until_ms: int, rules: CompiledRules) -> list[Move]:
    due = account_due(account, rules)
    mqa = rules.rules.stages.mqa
    if due is None or due > until_ms or mqa is None:
        return []
    score = intent_total(account.intent, due, mqa.categories)
    reason = f"account score decayed below MQA exit {mqa.exit:g}"
    return [_account_move(account, "cooling", due, reason, score, mqa.exit, None)]
