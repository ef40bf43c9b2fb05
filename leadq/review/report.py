"""The whole review report from one history (and optionally a second, for a backtest)."""

from __future__ import annotations

from collections import Counter

from leadq.review.backtest import backtest
from leadq.review.conversion import conversion_of
from leadq.review.funnel import funnel_of
from leadq.review.history import History
from leadq.review.period import Period
from leadq.review.thresholds import DEFAULT_TARGET_SAL_RATE, suggest_threshold
from schemas.review import ReviewReport
from schemas.transition import ms_to_datetime


def _counts(counter: Counter[str]) -> dict[str, int]:
    """Most frequent first, then by name: the order tables and charts show."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def build_report(
    history: History,
    period: Period,
    *,
    target_sal_rate: float = DEFAULT_TARGET_SAL_RATE,
    band_width: float = 20.0,
    compare: History | None = None,
) -> ReviewReport:
    funnel = funnel_of(history, period)
    return ReviewReport(
        rules_version=history.rules.version,
        period_from=ms_to_datetime(period.from_ms) if period.from_ms is not None else None,
        period_until=ms_to_datetime(period.until_ms) if period.until_ms is not None else None,
        leads=funnel.leads,
        mql=funnel.mql,
        sql=funnel.sql,
        sales_accepted=funnel.sales_accepted,
        sales_rejected=funnel.sales_rejected,
        sal_rate=funnel.sal_rate,
        mql_to_sql=funnel.mql_to_sql,
        lead_to_opportunity=funnel.lead_to_opportunity,
        opportunities=funnel.opportunities,
        won=funnel.won,
        won_amount=funnel.won_amount,
        lost=funnel.lost,
        time_to_acceptance=funnel.time_to_acceptance,
        time_to_opportunity=funnel.time_to_opportunity,
        rejection_reasons=_counts(funnel.rejection_reasons),
        disqualification_reasons=_counts(funnel.disqualification_reasons),
        loss_reasons=_counts(funnel.loss_reasons),
        other_reasons=_counts(funnel.other_reasons),
        rejection_reasons_over_time={
            label: _counts(funnel.over_time[label]) for label in sorted(funnel.over_time)
        },
        conversion=conversion_of(history, period, band_width),
        thresholds=suggest_threshold(history, period, target_sal_rate),
        backtest=backtest(history, compare, period) if compare is not None else None,
        funnel=(
            ("leads", funnel.leads),
            ("MQL", funnel.mql),
            ("SQL", funnel.sql),
            ("sales accepted", funnel.sales_accepted),
            ("opportunities", funnel.opportunities),
            ("won", funnel.won),
        ),
    )
