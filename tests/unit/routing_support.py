"""Helpers for the routing unit tests: a routing file in a few lines, picks in a loop."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from leadq.routing.decide import Pick, TeamSnapshot, decide
from schemas.routing import RoutingConfig, Team, routing_from_data

ALWAYS = [
    {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "23:59:59"}
]


def team_config(reps: list[dict[str, Any]], **team: Any) -> RoutingConfig:
    spec: dict[str, Any] = {
        "id": "t",
        "reps": reps,
        "fallback": {"queue": {"id": "queue-t", "name": "Queue"}},
        "manager": {"id": "boss"},
        "working_hours": ALWAYS,
    }
    spec.update(team)
    return routing_from_data({"teams": [spec], "rules": [{"name": "all", "team": "t"}]})


def after(snapshot: TeamSnapshot, pick: Pick) -> TeamSnapshot:
    """The snapshot once ``pick`` is stored (what the Redis script does)."""
    credit = {**snapshot.credit, **pick.credit}
    today = Counter(snapshot.today)
    if pick.counted:
        today[pick.counted] += 1
    return TeamSnapshot(credit, dict(today), snapshot.lead_owner, snapshot.account_owner)


def picks(team: Team, at: datetime, count: int, snapshot: TeamSnapshot | None = None) -> list[str]:
    """``count`` round-robin picks for distinct leads without accounts, stored one by one."""
    snapshot = snapshot or TeamSnapshot()
    owners = []
    for n in range(count):
        pick = decide(team, snapshot, f"u:lead-{n}", None, at)
        owners.append(pick.owner.id)
        snapshot = after(snapshot, pick)
    return owners
