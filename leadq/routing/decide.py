"""Who in a team gets a lead: owner stickiness, weighted round robin with daily caps,
availability, fallback. Pure: ``(team, snapshot, lead, account, now) -> Pick``.

Order: the lead's current owner (``stickiness.lead_owner``), then the account's owner
(``stickiness.account_owner``), each only when they are still in the team, available and
not excluded (they already missed this lead's SLA); then smooth weighted round robin over
the available reps under their daily cap; then the team's fallback. Every assignment to
a rep counts towards their day; only round robin is held back by the cap (an owner keeps
their accounts on a busy day).

Smooth weighted round robin (as nginx balances upstreams): each pick adds every eligible
rep's weight to their running credit, takes the rep with the most credit (ties: file
order) and takes the eligible total off theirs. Over any run of picks each rep's share
is their weight's share, interleaved rather than in bursts, and the state is one number
per rep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from leadq.routing.availability import unavailable_because
from schemas.routing import Person, Rep, Team

How = Literal["lead_owner", "account_owner", "round_robin", "fallback", "manager"]


@dataclass(frozen=True, slots=True)
class TeamSnapshot:
    """The team's routing state as read, all from one atomic read."""

    #: Round-robin credit per rep id (absent: 0).
    credit: Mapping[str, int] = field(default_factory=dict)
    #: Assignments per rep id in the team's current day.
    today: Mapping[str, int] = field(default_factory=dict)
    lead_owner: str | None = None
    account_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Pick:
    owner: Person
    how: How
    #: Why this owner, in one sentence.
    reason: str
    #: Round-robin credit to store (only the reps whose credit changed).
    credit: Mapping[str, int] = field(default_factory=dict)
    #: The rep whose daily count goes up (``None`` for a queue or a manager).
    counted: str | None = None
    #: Owner records to store: ``("lead" | "account", id) -> rep id``.
    claims: Mapping[tuple[str, str], str] = field(default_factory=dict)


def _blocked(team: Team, rep: Rep, at: datetime, exclude: frozenset[str]) -> str | None:
    if rep.id in exclude:
        return "missed this lead's SLA"
    return unavailable_because(team, rep, at)


def _sticky(
    team: Team, owner_id: str | None, at: datetime, exclude: frozenset[str]
) -> tuple[Rep | None, str | None]:
    """The owner if they can take it, else ``None`` and why not (``None``: no owner)."""
    rep = team.rep(owner_id) if owner_id else None
    if rep is None:
        return None, None
    why = _blocked(team, rep, at, exclude)
    return (rep, None) if why is None else (None, f"owner {rep.id} {why}")


def _capped(rep: Rep, today: Mapping[str, int]) -> bool:
    return rep.daily_cap is not None and today.get(rep.id, 0) >= rep.daily_cap


def _round_robin(
    team: Team, snapshot: TeamSnapshot, at: datetime, exclude: frozenset[str]
) -> tuple[Rep | None, dict[str, int], list[str]]:
    eligible: list[Rep] = []
    skipped: list[str] = []
    for rep in team.reps:
        if rep.weight == 0:
            continue
        why = _blocked(team, rep, at, exclude)
        if why is None and _capped(rep, snapshot.today):
            why = f"daily cap {rep.daily_cap} reached"
        if why is None:
            eligible.append(rep)
        else:
            skipped.append(f"{rep.id} {why}")
    if not eligible:
        return None, {}, skipped
    credit = {rep.id: snapshot.credit.get(rep.id, 0) + rep.weight for rep in eligible}
    chosen = max(eligible, key=lambda rep: credit[rep.id])  # max keeps the first of ties
    credit[chosen.id] -= sum(rep.weight for rep in eligible)
    return chosen, credit, skipped


def _count_text(rep: Rep, today: Mapping[str, int]) -> str:
    done = today.get(rep.id, 0) + 1
    return f"{done} of {rep.daily_cap} today" if rep.daily_cap is not None else f"{done} today"


def _claims(
    team: Team, owner: Rep, lead_id: str, account_id: str | None, snapshot: TeamSnapshot
) -> dict[tuple[str, str], str]:
    claims: dict[tuple[str, str], str] = {}
    if team.stickiness.lead_owner:
        claims[("lead", lead_id)] = owner.id
    has_owner = snapshot.account_owner is not None and team.rep(snapshot.account_owner)
    if account_id and team.stickiness.claim_accounts and not has_owner:
        claims[("account", account_id)] = owner.id
    return claims


def _fallback(team: Team, skipped: list[str], exclude: frozenset[str]) -> Pick:
    nobody = "; ".join(skipped) if skipped else "no rep takes round-robin leads"
    if team.fallback.queue is not None:
        return Pick(team.fallback.queue, "fallback", f"fallback queue: nobody available ({nobody})")
    rep = team.rep(team.fallback.rep or "")
    assert rep is not None  # checked when the routing file loads
    if rep.id in exclude and team.manager is not None:
        return Pick(team.manager, "manager", f"manager: nobody else available ({nobody})")
    return Pick(rep, "fallback", f"fallback rep: nobody available ({nobody})", counted=rep.id)


def decide(
    team: Team,
    snapshot: TeamSnapshot,
    lead_id: str,
    account_id: str | None,
    at: datetime,
    exclude: frozenset[str] = frozenset(),
) -> Pick:
    """The owner of ``lead_id`` in ``team`` at ``at``; ``exclude``: reps not to pick."""
    notes: list[str] = []
    sticky_kinds: list[tuple[How, str | None, bool]] = [
        ("lead_owner", snapshot.lead_owner, team.stickiness.lead_owner),
        ("account_owner", snapshot.account_owner, team.stickiness.account_owner),
    ]
    for how, owner_id, enabled in sticky_kinds:
        if not enabled or (how == "account_owner" and not account_id):
            continue
        rep, why_not = _sticky(team, owner_id, at, exclude)
        if rep is not None:
            of = f"lead {lead_id}" if how == "lead_owner" else f"account {account_id}"
            reason = f"owner of {of} ({_count_text(rep, snapshot.today)})"
            claims = _claims(team, rep, lead_id, account_id, snapshot)
            return Pick(rep, how, reason, counted=rep.id, claims=claims)
        if why_not is not None:
            notes.append(why_not)
    chosen, credit, skipped = _round_robin(team, snapshot, at, exclude)
    if chosen is None:
        return _fallback(team, notes + skipped, exclude)
    reason = f"round robin: weight {chosen.weight}, {_count_text(chosen, snapshot.today)}"
    if notes:
        reason += f" ({'; '.join(notes)})"
    claims = _claims(team, chosen, lead_id, account_id, snapshot)
    return Pick(chosen, "round_robin", reason, credit=credit, counted=chosen.id, claims=claims)
