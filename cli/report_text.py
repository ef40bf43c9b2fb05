"""The review report as text tables (``leadq report`` without ``--json``/``--html``)."""

from __future__ import annotations

from collections.abc import Sequence

from schemas.review import (
    Backtest,
    ChangedLeads,
    ConversionRow,
    Durations,
    ReviewReport,
    ThresholdPoint,
    ThresholdSuggestion,
)

#: Curve rows printed in text (the JSON and the HTML chart have them all).
CURVE_ROWS = 15


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def money(value: float) -> str:
    return f"{value:,.0f}"


def period_line(report: ReviewReport) -> str:
    start = report.period_from.isoformat() if report.period_from else "the first event"
    end = report.period_until.isoformat() if report.period_until else "the last event"
    return f"Review of {start} to {end} (rules {report.rules_version})"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others, widths from the content."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [f"{first:<{widths[0]}}"] + [
            f"{c:>{w}}" for c, w in zip(rest, widths[1:], strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(headers), *(line(r) for r in rows)] if rows else ["  (none)"]


def _durations(name: str, value: Durations) -> list[str]:
    return [name, hours(value.median_hours), hours(value.p90_hours), str(value.count)]


def _funnel(report: ReviewReport) -> list[str]:
    lines = ["", "Funnel"]
    lines += table(
        ["", "count"],
        [[label, str(count)] for label, count in report.funnel]
        + [
            ["sales rejected", str(report.sales_rejected)],
            ["opportunities lost", str(report.lost)],
        ],
    )
    lines += ["", "Rates"]
    lines += table(
        ["", "rate"],
        [
            ["SAL rate (accepted / ruled on)", percent(report.sal_rate)],
            ["MQL → SQL", percent(report.mql_to_sql)],
            ["lead → opportunity", percent(report.lead_to_opportunity)],
        ],
    )
    lines.append(f"  won amount: {money(report.won_amount)}")
    lines += ["", "Time from routing"]
    lines += table(
        ["", "median", "p90", "leads"],
        [
            _durations("to acceptance", report.time_to_acceptance),
            _durations("to opportunity", report.time_to_opportunity),
        ],
    )
    return lines


def _reasons(title: str, counts: dict[str, int]) -> list[str]:
    return ["", title, *table(["code", "count"], [[k, str(v)] for k, v in counts.items()])]


def _conversion_rows(title: str, rows: Sequence[ConversionRow]) -> list[str]:
    body = [
        [
            r.key, str(r.routed), str(r.sales_accepted), str(r.sales_rejected),
            percent(r.sal_rate), str(r.opportunities), str(r.won), money(r.won_amount),
            "never converts" if r.sales_accepted == 0 and r.opportunities == 0 else "",
        ]
        for r in rows
    ]  # fmt: skip
    headers = [title, "routed", "accepted", "rejected", "SAL", "opps", "won", "amount", ""]
    return ["", *table(headers, body)]


def _point_row(point: ThresholdPoint, mark: str) -> list[str]:
    return [
        f"{point.threshold:g}", str(point.mqls), str(point.sales_accepted),
        str(point.sales_rejected), percent(point.sal_rate), mark,
    ]  # fmt: skip


def _thresholds(suggestion: ThresholdSuggestion) -> list[str]:
    best = suggestion.suggested
    target = percent(suggestion.target_sal_rate)
    if best is None:
        verdict = f"  no threshold reaches a SAL rate of {target} on these outcomes"
    else:
        verdict = (
            f"  suggested MQL entry threshold: {best.threshold:g} (now "
            f"{suggestion.current_threshold:g}): {best.sales_accepted} accepted, "
            f"{best.sales_rejected} rejected, SAL {percent(best.sal_rate)} (target {target})"
        )
    curve = list(suggestion.curve)
    if len(curve) > CURVE_ROWS:
        keep = {round(i * (len(curve) - 1) / (CURVE_ROWS - 1)) for i in range(CURVE_ROWS)}
        keep |= {curve.index(suggestion.current)} | ({curve.index(best)} if best else set())
        curve = [curve[i] for i in sorted(keep)]
    rows = [
        _point_row(p, "current" if p == suggestion.current else "suggested" if p == best else "")
        for p in curve
    ]
    headers = ["threshold", "MQLs", "accepted", "rejected", "SAL", ""]
    return ["", "Threshold trade-off (leads with a sales verdict, by peak score)", verdict,
            *table(headers, rows)]  # fmt: skip


def _changed(title: str, changed: ChangedLeads) -> list[str]:
    reasons = ", ".join(f"{k} {v}" for k, v in changed.rejection_reasons.items()) or "-"
    return [
        f"  {title}: {changed.leads} lead(s): {changed.sales_accepted} accepted, "
        f"{changed.sales_rejected} rejected ({reasons}), {changed.no_verdict} without a verdict"
    ]


def _backtest(backtest: Backtest) -> list[str]:
    return [
        "",
        f"Backtest: rules {backtest.rules_b} against {backtest.rules_a}",
        f"  MQLs: {backtest.mql_a} → {backtest.mql_b}",
        *_changed("gained", backtest.gained),
        *_changed("lost", backtest.lost),
    ]


def render_text(report: ReviewReport) -> str:
    lines = [period_line(report), *_funnel(report)]
    lines += _reasons("Rejection reasons", report.rejection_reasons)
    lines += _reasons("Disqualification reasons", report.disqualification_reasons)
    if report.loss_reasons:
        lines += _reasons("Loss reasons", report.loss_reasons)
    if report.other_reasons:
        lines += ["", "Filed under other (add synonyms in the rules' outcomes: section)"]
        lines += table(["text", "count"], [[k, str(v)] for k, v in report.other_reasons.items()])
    conversion = report.conversion
    lines += ["", "Conversion of routed leads"]
    lines += _conversion_rows(
        f"score band (width {conversion.band_width:g})", conversion.by_score_band
    )
    lines += _conversion_rows("fit grade", conversion.by_fit_grade)
    lines += _conversion_rows("persona", conversion.by_persona)
    lines += _conversion_rows("intent rule", conversion.by_intent_rule)
    lines += _thresholds(report.thresholds)
    if report.backtest is not None:
        lines += _backtest(report.backtest)
    return "\n".join(lines)
