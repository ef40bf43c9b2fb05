"""The review report (``leadq report --json``): one JSON object, this model.

Counts are of distinct leads unless named otherwise; rates are ``None`` when their
denominator is zero. The period selects events by event time; conversions that follow a
lead (MQL→SQL, lead→opportunity, times to acceptance and opportunity) follow it to the
end of the data, so a review of a past quarter sees how its leads turned out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import Contract


class Durations(Contract):
    """Hours from a lead's routing to an outcome: how many, median and 90th percentile."""

    count: int
    median_hours: float | None
    p90_hours: float | None


class ConversionRow(Contract):
    """What became of the leads routed with one value of a dimension."""

    key: str
    routed: int
    sales_accepted: int
    sales_rejected: int
    sal_rate: float | None
    opportunities: int
    won: int
    won_amount: float


class Conversion(Contract):
    #: Score at routing in bands of ``band_width`` points (``"100-120"``: 100 ≤ s < 120).
    by_score_band: tuple[ConversionRow, ...]
    band_width: float
    by_fit_grade: tuple[ConversionRow, ...]
    by_persona: tuple[ConversionRow, ...]
    #: A lead counts under every intent rule among its top signals at routing.
    by_intent_rule: tuple[ConversionRow, ...]


class ThresholdPoint(Contract):
    """Had the MQL entry threshold been ``threshold``: the leads with a sales verdict
    that would have been MQLs before it, and all leads that would have been MQLs."""

    threshold: float
    mqls: int
    sales_accepted: int
    sales_rejected: int
    sal_rate: float | None


class ThresholdSuggestion(Contract):
    target_sal_rate: float
    current_threshold: float
    current: ThresholdPoint
    #: The threshold capturing the most accepted leads at a SAL rate ≥ the target
    #: (``None``: no threshold reaches the target).
    suggested: ThresholdPoint | None
    curve: tuple[ThresholdPoint, ...]


class ChangedLeads(Contract):
    """Leads that are MQLs under one rules file and not the other, and their verdicts."""

    leads: int
    sales_accepted: int
    sales_rejected: int
    no_verdict: int
    #: Rejection reason code → count, among these leads.
    rejection_reasons: dict[str, int]
    lead_ids: tuple[str, ...]


class Backtest(Contract):
    rules_a: str
    rules_b: str
    mql_a: int
    mql_b: int
    #: MQLs under B, not under A.
    gained: ChangedLeads
    #: MQLs under A, not under B.
    lost: ChangedLeads


class ReviewReport(Contract):
    schema_version: Literal[1] = 1
    rules_version: str
    period_from: AwareDatetime | None
    period_until: AwareDatetime | None
    #: Known leads (an email or user id) first seen in the period.
    leads: int
    mql: int
    sql: int
    sales_accepted: int
    sales_rejected: int
    #: Accepted / (accepted + rejected): of the leads sales ruled on, the share accepted.
    sal_rate: float | None
    mql_to_sql: float | None
    lead_to_opportunity: float | None
    #: Opportunities created in the period (events), and won, with their amount.
    opportunities: int
    won: int
    won_amount: float
    lost: int
    time_to_acceptance: Durations
    time_to_opportunity: Durations
    #: Reason code → count, for each lead's first rejection in the period.
    rejection_reasons: dict[str, int]
    #: Reason code → count: CRM disqualifications by code, rules ones as ``rule:<id>``.
    disqualification_reasons: dict[str, int]
    loss_reasons: dict[str, int]
    #: Raw texts filed under ``other`` (rejections, disqualifications, losses) → count.
    other_reasons: dict[str, int]
    #: Period label (ISO week ``2026-W03`` or month ``2026-01``) → code → rejections.
    rejection_reasons_over_time: dict[str, dict[str, int]]
    conversion: Conversion
    thresholds: ThresholdSuggestion
    backtest: Backtest | None = None
    #: Funnel stages in order, for charts: (label, count).
    funnel: tuple[tuple[str, int], ...] = Field(default=())
