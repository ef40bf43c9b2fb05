"""Whether a rep can take a lead now: working hours in their time zone, out-of-office
dates, and the team's day (daily caps reset at midnight in the team's time zone).

Local times come from the IANA database (``zoneinfo``), so daylight-saving changes are
the zone's own: 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from schemas.routing import WEEKDAYS, Rep, Team, WorkingHours


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def rep_zone(team: Team, rep: Rep) -> ZoneInfo:
    return zone(rep.timezone or team.timezone)


def rep_hours(team: Team, rep: Rep) -> tuple[WorkingHours, ...]:
    return rep.working_hours if rep.working_hours is not None else team.working_hours


def unavailable_because(team: Team, rep: Rep, at: datetime) -> str | None:
    """Why ``rep`` cannot take a lead at ``at`` (aware), or ``None`` if they can."""
    local = at.astimezone(rep_zone(team, rep))
    today = local.date()
    if any(away.start <= today <= away.end for away in rep.out_of_office):
        return "out of office"
    weekday = WEEKDAYS[local.weekday()]
    now = local.time().replace(tzinfo=None)
    if any(weekday in w.days and w.start <= now < w.end for w in rep_hours(team, rep)):
        return None
    return "outside working hours"


def is_available(team: Team, rep: Rep, at: datetime) -> bool:
    return unavailable_because(team, rep, at) is None


def team_day(team: Team, at: datetime) -> str:
    """The team's calendar day at ``at`` (``YYYY-MM-DD``): the period of daily caps."""
    return at.astimezone(zone(team.timezone)).date().isoformat()
