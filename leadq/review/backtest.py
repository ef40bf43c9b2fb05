"""Backtest: the same history under two rules files, MQLs gained and lost.

A lead is an MQL under a rules file if it entered ``mql`` in the period when the history
ran under that file. Sales' verdicts come from the history itself (the CRM events), so
they are the same under both: for the leads one file makes MQLs and the other does not,
the report shows how many sales accepted and rejected (each lead's first verdict in the
period) and the rejection reasons. Gained leads that sales rejected are noise the new
rules would add; lost leads that sales accepted are pipeline they would miss.
"""

from __future__ import annotations

from collections import Counter

from leadq.review.history import History
from leadq.review.period import Period, sales_verdict
from schemas.review import Backtest, ChangedLeads


def mqls(history: History, period: Period) -> set[str]:
    return {
        lead.lead_id
        for lead in history.leads.values()
        if any(to == "mql" and period.holds(at) for at, to in lead.moves)
    }


def _changed(lead_ids: set[str], history: History, period: Period) -> ChangedLeads:
    accepted = rejected = 0
    reasons: Counter[str] = Counter()
    for lead_id in lead_ids:
        verdict = sales_verdict(history.leads[lead_id], period)
        if verdict is None:
            continue
        if verdict.name == "sales_accepted":
            accepted += 1
        else:
            rejected += 1
            reasons[verdict.reason.code] += 1
    return ChangedLeads(
        leads=len(lead_ids),
        sales_accepted=accepted,
        sales_rejected=rejected,
        no_verdict=len(lead_ids) - accepted - rejected,
        rejection_reasons=dict(sorted(reasons.items())),
        lead_ids=tuple(sorted(lead_ids)),
    )


def backtest(a: History, b: History, period: Period) -> Backtest:
    """MQLs under ``b`` compared with ``a`` (the rules in use)."""
    under_a, under_b = mqls(a, period), mqls(b, period)
    return Backtest(
        rules_a=a.rules.version,
        rules_b=b.rules.version,
        mql_a=len(under_a),
        mql_b=len(under_b),
        gained=_changed(under_b - under_a, b, period),
        lost=_changed(under_a - under_b, a, period),
    )
