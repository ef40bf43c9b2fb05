"""A small history whose review figures are known by hand (see the table below).

Rules: fit +20 for a VP (grade A), intent +10 per page view and +30 per webinar, a
half-life of ten years, MQL at 50 (exit 20); sales acceptance makes an SQL. Each lead's
scoring events share one millisecond, so its score is an exact sum (no decay between).

| lead       | score        | MQL at 50  | verdict (hours after T)   | also                      |
|------------|--------------|------------|---------------------------|---------------------------|
| ann (VP)   | 20 + 40 = 60 | yes        | accepted +24              | opp +48; won +240: 40000  |
| ben        | 60           | yes        | rejected +12 "Bad timing" |                           |
| cid        | 50           | yes        | rejected +12 "not now"    | technical evaluator       |
| dee        | 40           | no         | accepted +5 (inbound)     |                           |
| eve (VP)   | 20 + 20 = 40 | no         | rejected +6 "Chose comp…" |                           |
| fay        | 40 + 30 = 70 | yes, at 70 | accepted +72              | webinar after the pages   |
| gus        | disqualified | no         |                           | rival.io: rule competitor |
| hal        | 30           | no         |                           | CRM disqualified +2 "dup" |
| ivy        | 70           | yes        | none                      |                           |
| jon        | 20           | no         | rejected +8 "reorg at …"  |                           |
| kim        | 60, in April | yes (Q2)   | rejected "No budget" (Q2) |                           |

T is Monday 2026-01-05 10:00 UTC (ISO week 2026-W02); kim's events are in April.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T = datetime(2026, 1, 5, 10, tzinfo=UTC)
APRIL = datetime(2026, 4, 2, 9, tzinfo=UTC)

RULES = """
name: review test
fit:
  rules: [{id: vp, when: {traits.seniority: vp}, points: 20}]
  grades: {A: 20, B: 10, C: 5, D: 1}
  disqualifiers:
    - {id: competitor, reason: works at a competitor, when: {email_domain: rival.io}}
intent:
  half_lives: {default: 3650d}
  rules:
    - {id: visit, when: {type: page}, points: 10}
    - {id: webinar, when: {name: Webinar Attended}, points: 30}
stages:
  mql: {enter: %(enter)s, exit: 20}
personas:
  - {id: decision_maker, when: {traits.seniority: vp}}
  - {id: technical_evaluator, when: {traits.department: engineering}}
"""

#: (name, domain, page views, VP, webinar)
PEOPLE = [
    ("ann", "acme.com", 4, True, False),
    ("ben", "acme.com", 6, False, False),
    ("cid", "beta.com", 5, False, False),
    ("dee", "beta.com", 4, False, False),
    ("eve", "gamma.com", 2, True, False),
    ("fay", "gamma.com", 4, False, True),
    ("gus", "rival.io", 8, False, False),
    ("hal", "delta.com", 3, False, False),
    ("ivy", "delta.com", 7, False, False),
    ("jon", "omega.com", 2, False, False),
]

#: (name, CRM event, hours after T, fields)
OUTCOMES: list[tuple[str, str, float, dict[str, Any]]] = [
    ("ann", "sales_accepted", 24, {}),
    ("ann", "opportunity_created", 48, {"opportunity_id": "opp-1", "amount": 50000}),
    ("ann", "opportunity_won", 240, {"opportunity_id": "opp-1", "amount": 40000}),
    ("ben", "sales_rejected", 12, {"reason": "Bad timing"}),
    ("cid", "sales_rejected", 12, {"reason": "not now"}),
    ("dee", "sales_accepted", 5, {}),
    ("eve", "sales_rejected", 6, {"reason": "Chose competitor"}),
    ("fay", "sales_accepted", 72, {}),
    ("hal", "disqualified", 2, {"reason": "duplicate"}),
    ("jon", "sales_rejected", 8, {"reason": "reorg at client"}),
]


def _email(name: str, domain: str) -> str:
    return f"{name}@{domain}"


def _web(event_id: str, at: datetime, email: str, **fields: Any) -> dict[str, Any]:
    return {
        "schema_version": 1, "channel": "web", "event_id": event_id,
        "occurred_at": at.isoformat(), "identity": {"email": email}, **fields,
    }  # fmt: skip


def _crm(event_id: str, at: datetime, email: str, name: str, **fields: Any) -> dict[str, Any]:
    return {
        "schema_version": 1, "channel": "crm", "event_id": event_id, "name": name,
        "occurred_at": at.isoformat(), "identity": {"email": email}, **fields,
    }  # fmt: skip


def _person(name: str, domain: str, views: int, vp: bool, webinar: bool, at: datetime) -> list[Any]:
    email = _email(name, domain)
    traits = {"seniority": "vp" if vp else "manager"}
    if name == "cid":
        traits["department"] = "engineering"
    events = [_web(f"{name}-id", at, email, type="identify", traits=traits)]
    events += [_web(f"{name}-p{i}", at, email, type="page", name="Pricing") for i in range(views)]
    if webinar:
        events.append(_web(f"{name}-w", at, email, type="track", name="Webinar Attended"))
    return events


def events() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, domain, views, vp, webinar in PEOPLE:
        found += _person(name, domain, views, vp, webinar, T)
    domains = {name: domain for name, domain, *_ in PEOPLE}
    for i, (name, event, hours, fields) in enumerate(OUTCOMES):
        at = T + timedelta(hours=hours)
        found.append(_crm(f"crm-{i}", at, _email(name, domains[name]), event, **fields))
    found += _person("kim", "zeta.com", 6, False, False, APRIL)
    found.append(
        _crm("crm-kim", APRIL + timedelta(days=1), "kim@zeta.com", "sales_rejected",
             reason="No budget")
    )  # fmt: skip
    return found


def write(directory: Path, enter: int = 50) -> tuple[Path, Path]:
    """The events file and a rules file with MQL ``enter``; returns (rules, events)."""
    rules = directory / f"rules-{enter}.yaml"
    rules.write_text(RULES % {"enter": enter})
    path = directory / "history.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events()))
    return rules, path
