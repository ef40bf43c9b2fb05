"""Read-only views of a lead or an account as of a moment (the read API's content).

Pure: the caller passes the time (the API passes the request time); nothing is mutated.
"""

from __future__ import annotations

from leadq.compiled import CompiledRules
from leadq.derived import derive
from leadq.explain import contributor, top_contributors
from leadq.profile import build_profile, derived_traits
from leadq.stages import account_due, lead_due, mql_score
from leadq.state import AccountState, LeadState
from leadq.transitions import engaged_members, engaged_window_ms, intent_by_category, intent_total
from schemas.transition import Fit, ms_to_datetime
from schemas.views import AccountView, EngagedPerson, LeadView


def _at(ms: int | None) -> object:
    return ms_to_datetime(ms) if ms is not None else None


def lead_view(
    lead: LeadState, account: AccountState | None, at_ms: int, rules: CompiledRules
) -> LeadView:
    profile = build_profile(lead, account, rules)
    derived = derived_traits(lead, account, rules.free_mail)
    return LeadView.model_validate(
        {
            "lead_id": lead.lead_id,
            "as_of": ms_to_datetime(at_ms),
            "stage": lead.stage,
            "stage_since": _at(lead.stage_since_ms),
            "product_stage": lead.product_stage,
            "email": lead.email,
            "account_id": lead.account_id,
            "fit": Fit(
                score=profile.fit_score,
                grade=profile.grade,
                disqualifiers=tuple(reason for _, reason in profile.disqualifiers),
            ),
            "answers": profile.answers,
            "answers_score": profile.answers_score,
            "intent_score": round(intent_total(lead.intent, at_ms), 6),
            "intent_by_category": {
                c: round(v, 6) for c, v in intent_by_category(lead.intent, at_ms).items()
            },
            "mql_score": round(mql_score(lead, profile, at_ms, rules), 6),
            "top_signals": [
                contributor(c) for c in top_contributors(lead.contributions, at_ms, rules)
            ],
            "last_event_at": _at(lead.latest_ms),
            "next_decay_transition_at": _at(lead_due(lead, lead.profile or profile, rules)),
            "traits": lead.trait_values(),
            "person": derived.person,
            "company": derived.company,
            "derived_from": derived.sources,
            "rules_version": rules.version,
        }
    )


def account_view(account: AccountState, at_ms: int, rules: CompiledRules) -> AccountView:
    window = engaged_window_ms(rules)
    engaged = set(engaged_members(account, at_ms, window))
    people = [
        EngagedPerson(
            lead_id=lead_id,
            persona=member.persona,
            last_engaged_at=_at(member.last_engaged_ms),
            engaged=lead_id in engaged,
        )
        for lead_id, member in sorted(account.members.items())
    ]
    return AccountView.model_validate(
        {
            "account_id": account.account_id,
            "as_of": ms_to_datetime(at_ms),
            "domain": account.domain,
            "ids": sorted({account.account_id, *account.ids}),
            "domains": sorted({d for d in (account.domain,) if d}),
            "stage": account.stage,
            "stage_since": _at(account.stage_since_ms),
            "intent_score": round(intent_total(account.intent, at_ms), 6),
            "intent_by_category": {
                c: round(v, 6) for c, v in intent_by_category(account.intent, at_ms).items()
            },
            "engaged_people": len(engaged),
            "personas": sorted({account.members[m].persona for m in engaged}),
            "people": people,
            "top_signals": [
                contributor(c) for c in top_contributors(account.contributions, at_ms, rules)
            ],
            "last_event_at": _at(account.latest_ms),
            "next_decay_transition_at": _at(account_due(account, rules)),
            "traits": account.trait_values(),
            "company": derive(
                {},
                account.trait_values(),
                account_id=account.account_id,
                account_domain=account.domain,
            ).company,
            "rules_version": rules.version,
        }
    )
