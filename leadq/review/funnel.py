"""The funnel over a period: volumes, rates, times to outcomes and reasons.

Definitions (also in the README, "Reviewing the rules"): a lead counts once per line.
``mql``/``sql``: leads that entered the stage in the period. ``sales_accepted`` /
``sales_rejected``: each lead's first sales verdict in the period. ``sal_rate`` =
accepted / (accepted + rejected). ``mql_to_sql``: of the period's MQLs, the share that
became SQL at or after that MQL (by the end of the data). ``leads``: known leads (an
email or user id) first seen in the period; ``lead_to_opportunity``: the share of them
with an opportunity by the end of the data. Times run from the latest routing (an
entry into MQL or SQL made by the rules) before the acceptance or opportunity.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from leadq.review.history import History, LeadHistory
from leadq.review.period import (
    HOUR_MS,
    WEEKLY_UP_TO_MS,
    Period,
    durations,
    rate,
    routing_before,
    sales_verdict,
    time_label,
)
from schemas.outcomes import OTHER
from schemas.review import Durations

NO_REASON = "(none given)"


@dataclass
class Funnel:
    leads: int = 0
    mql: int = 0
    sql: int = 0
    sales_accepted: int = 0
    sales_rejected: int = 0
    #: Of the period's MQLs, how many became SQL; of its leads, how many got an opportunity.
    mql_became_sql: int = 0
    leads_with_opportunity: int = 0
    opportunities: int = 0
    won: int = 0
    won_amount: float = 0.0
    lost: int = 0
    time_to_acceptance: Durations = field(default_factory=lambda: durations([]))
    time_to_opportunity: Durations = field(default_factory=lambda: durations([]))
    rejection_reasons: Counter[str] = field(default_factory=Counter)
    disqualification_reasons: Counter[str] = field(default_factory=Counter)
    loss_reasons: Counter[str] = field(default_factory=Counter)
    other_reasons: Counter[str] = field(default_factory=Counter)
    over_time: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def sal_rate(self) -> float | None:
        return rate(self.sales_accepted, self.sales_accepted + self.sales_rejected)

    @property
    def mql_to_sql(self) -> float | None:
        return rate(self.mql_became_sql, self.mql)

    @property
    def lead_to_opportunity(self) -> float | None:
        return rate(self.leads_with_opportunity, self.leads)


def _entered(lead: LeadHistory, stage: str, period: Period) -> int | None:
    """When the lead first entered ``stage`` in the period."""
    return next((at for at, to in lead.moves if to == stage and period.holds(at)), None)


def _file_other(funnel: Funnel, code: str, raw: str | None) -> None:
    if code == OTHER:
        funnel.other_reasons[raw.strip() if raw and raw.strip() else NO_REASON] += 1


def _count_lead(
    funnel: Funnel, lead: LeadHistory, period: Period, weekly: bool
) -> tuple[list[float], list[float]]:
    to_accept: list[float] = []
    to_opportunity: list[float] = []
    known = not lead.lead_id.startswith("a:")
    opportunity_ms = [o.at_ms for o in lead.outcomes if o.name == "opportunity_created"]
    if known and period.holds(lead.first_ms):
        funnel.leads += 1
        funnel.leads_with_opportunity += any(at >= lead.first_ms for at in opportunity_ms)
    mql_at = _entered(lead, "mql", period)
    if mql_at is not None:
        funnel.mql += 1
        funnel.mql_became_sql += any(to == "sql" and at >= mql_at for at, to in lead.moves)
    funnel.sql += _entered(lead, "sql", period) is not None
    verdict = sales_verdict(lead, period)
    if verdict is not None and verdict.name == "sales_accepted":
        funnel.sales_accepted += 1
        routed = routing_before(lead, verdict.at_ms)
        if routed is not None:
            to_accept.append((verdict.at_ms - routed.at_ms) / HOUR_MS)
    elif verdict is not None:
        funnel.sales_rejected += 1
        funnel.rejection_reasons[verdict.reason.code] += 1
        label = time_label(verdict.at_ms, weekly)
        funnel.over_time.setdefault(label, Counter())[verdict.reason.code] += 1
        _file_other(funnel, verdict.reason.code, verdict.reason.raw)
    for outcome in (o for o in lead.outcomes if period.holds(o.at_ms)):
        code, raw = outcome.reason.code, outcome.reason.raw
        if outcome.name == "opportunity_created":
            funnel.opportunities += 1
            routed = routing_before(lead, outcome.at_ms)
            if routed is not None:
                to_opportunity.append((outcome.at_ms - routed.at_ms) / HOUR_MS)
        elif outcome.name == "opportunity_won":
            funnel.won += 1
            funnel.won_amount += outcome.amount or 0.0
        elif outcome.name == "opportunity_lost":
            funnel.lost += 1
            funnel.loss_reasons[code] += 1
            _file_other(funnel, code, raw)
        elif outcome.name == "disqualified":
            funnel.disqualification_reasons[code] += 1
            _file_other(funnel, code, raw)
    for at, code in lead.disqualifications:
        if period.holds(at):
            funnel.disqualification_reasons[code] += 1
    return to_accept, to_opportunity


def funnel_of(history: History, period: Period) -> Funnel:
    """The funnel of ``history`` over ``period`` (see the module docstring)."""
    funnel = Funnel()
    start = period.from_ms if period.from_ms is not None else _first_ms(history)
    end = period.until_ms if period.until_ms is not None else (history.end_ms or 0)
    weekly = end - start <= WEEKLY_UP_TO_MS
    accept_hours: list[float] = []
    opportunity_hours: list[float] = []
    for lead in history.leads.values():
        to_accept, to_opportunity = _count_lead(funnel, lead, period, weekly)
        accept_hours += to_accept
        opportunity_hours += to_opportunity
    funnel.time_to_acceptance = durations(accept_hours)
    funnel.time_to_opportunity = durations(opportunity_hours)
    return funnel


def _first_ms(history: History) -> int:
    return min((lead.first_ms for lead in history.leads.values()), default=0)
