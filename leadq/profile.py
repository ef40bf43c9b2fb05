"""Who a lead is: fit score and grade, disqualifiers, qualification answers, persona.

Derived on demand from the lead's merged traits and its account's firmographics, and
the ``person``/``company`` views derived from them (``leadq.derived``: seniority and
department from the title, normalised firmographics); never stored, so a rules change
applies to every lead at its next event.
"""

from __future__ import annotations

from typing import Any

from leadq.compiled import CompiledRules
from leadq.derived import Derived, derive
from leadq.profile_model import Profile
from leadq.state import AccountState, LeadState

GRADE_ORDER = "ABCDF"


def derived_traits(
    lead: LeadState, account: AccountState | None, free_mail: frozenset[str]
) -> Derived:
    """The lead's ``person`` and ``company`` views (``leadq.derived``)."""
    email = lead.email
    domain = email.rpartition("@")[2] if email else None
    return derive(
        lead.trait_values(),
        account.trait_values() if account is not None else None,
        account_id=account.account_id if account is not None else None,
        account_domain=account.domain if account is not None else None,
        email_domain=domain if domain and domain not in free_mail else None,
    )


def person_subject(
    lead: LeadState,
    account: AccountState | None,
    free_mail: frozenset[str],
    *,
    with_derived: bool = True,
) -> dict[str, Any]:
    """The view fit rules, disqualifiers and personas are matched against
    (``with_derived=False``: without ``person`` and ``company``, for rules that do not
    read them)."""
    email = lead.email
    domain = email.rpartition("@")[2] if email else None
    account_view: dict[str, Any] = {}
    if account is not None:
        account_view = account.trait_values()
        account_view.update(id=account.account_id, domain=account.domain)
    subject = {
        "traits": lead.trait_values(),
        "email": email,
        "email_domain": domain,
        "free_mail": domain in free_mail if domain else None,
        "account": account_view,
    }
    if with_derived:
        derived = derived_traits(lead, account, free_mail)
        subject.update(person=derived.person, company=derived.company)
    return subject


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
    subject = person_subject(lead, account, rules.free_mail, with_derived=rules.reads_derived)
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
