"""Who a lead is: fit score and grade, disqualifiers, qualification answers, persona.

Derived on demand from the lead's merged traits and its account's firmographics; never
stored, so a rules change applies to every lead at its next event.
"""

from __future__ import annotations

from typing import Any

from leadq.compiled import CompiledRules
from leadq.profile_model import Profile
from leadq.state import AccountState, LeadState

GRADE_ORDER = "ABCDF"


def person_subject(
    lead: LeadState, account: AccountState | None, free_mail: frozenset[str]
) -> dict[str, Any]:
    """The view fit rules, disqualifiers and personas are matched against."""
    email = lead.email
    domain = email.rpartition("@")[2] if email else None
    account_view: dict[str, Any] = {}
    if account is not None:
        account_view = account.trait_values()
        account_view.update(id=account.account_id, domain=account.domain)
    return {
        "traits": lead.trait_values(),
        "email": email,
        "email_domain": domain,
        "free_mail": domain in free_mail if domain else None,
        "account": account_view,
    }


def grade_for(score: float, rules: CompiledRules) -> str:
    for grade, minimum in sorted(rules.rules.fit.grades.items()):
        if score >= minimum:
            return grade
    return "F"


def _answers(lead: LeadState, rules: CompiledRules) -> tuple[dict[str, Any], float]:
    answers: dict[str, Any] = {}
    score = 0.0
    for answer in rules.rules.answers:
        held = lead.traits.get(answer.field)
        if held is None or held[0] in (None, ""):
            continue
        value = held[0]
        answers[answer.id] = value
        points = {k.casefold(): v for k, v in answer.points.items()}
        score += points.get(str(value).casefold(), points.get("*", 0.0))
    return answers, score


def build_profile(lead: LeadState, account: AccountState | None, rules: CompiledRules) -> Profile:
    subject = person_subject(lead, account, rules.free_mail)
    fit_score = sum(points for _, points, matches in rules.fit if matches(subject))
    answers, answers_score = _answers(lead, rules)
    persona = next((pid for pid, matches in rules.personas if matches(subject)), None)
    return Profile(
        fit_score=fit_score,
        grade=grade_for(fit_score, rules),
        disqualifiers=tuple((d, reason) for d, reason, m in rules.disqualifiers if m(subject)),
        answers=answers,
        answers_score=answers_score,
        persona=persona or rules.rules.default_persona,
    )


def grade_at_least(grade: str, minimum: str) -> bool:
    return GRADE_ORDER.index(grade) <= GRADE_ORDER.index(minimum)
