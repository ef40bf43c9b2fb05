"""The review report as one self-contained HTML page (``leadq report --html FILE``).

Inline CSS and inline SVG charts (``cli.report_svg``): no script, no font, no request to
any network, so the file can be mailed or attached to a ticket and opens anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cli.report_svg import band_chart, funnel_chart, reasons_chart, threshold_chart
from cli.report_text import hours, money, percent
from schemas.review import Backtest, ChangedLeads, ConversionRow, ReviewReport

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:980px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}.sub{color:#666}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:.6rem;margin:1rem 0}
.tile{border:1px solid #ddd;border-radius:6px;padding:.5rem .7rem}
.tile b{display:block;font-size:1.35rem}.tile span{color:#666;font-size:.85rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;
border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
.never{color:#c9453e}.chart{width:100%;height:auto;max-width:720px;display:block}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    empty = f'<tr><td colspan="{len(headers)}">none</td></tr>' if not rows else ""
    return f'<table class="{cls}"><tr>{head}</tr>{body}{empty}</table>'


def _tiles(report: ReviewReport) -> str:
    tiles = [
        ("MQLs", f"{report.mql:,}"), ("SQLs", f"{report.sql:,}"),
        ("sales accepted", f"{report.sales_accepted:,}"),
        ("sales rejected", f"{report.sales_rejected:,}"),
        ("SAL rate", percent(report.sal_rate)), ("MQL → SQL", percent(report.mql_to_sql)),
        ("lead → opportunity", percent(report.lead_to_opportunity)),
        ("won", f"{report.won:,} ({money(report.won_amount)})"),
    ]  # fmt: skip
    cells = "".join(
        f'<div class="tile" data-metric="{escape(name)}"><b>{escape(value)}</b>'
        f"<span>{escape(name)}</span></div>"
        for name, value in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _counts(title: str, counts: dict[str, int]) -> str:
    return (
        f"<div><h3>{escape(title)}</h3>"
        + _table(["code", "count"], [[k, str(v)] for k, v in counts.items()])
        + "</div>"
    )


def _conversion(title: str, rows: Sequence[ConversionRow]) -> str:
    body = [
        [r.key, str(r.routed), str(r.sales_accepted), str(r.sales_rejected), percent(r.sal_rate),
         str(r.opportunities), str(r.won), money(r.won_amount),
         "never converts" if r.sales_accepted == 0 and r.opportunities == 0 else ""]
        for r in rows
    ]  # fmt: skip
    headers = [title, "routed", "accepted", "rejected", "SAL", "opps", "won", "amount", ""]
    return _table(headers, body, "conversion")


def _thresholds(report: ReviewReport) -> str:
    suggestion = report.thresholds
    best = suggestion.suggested
    target = percent(suggestion.target_sal_rate)
    if best is None:
        verdict = f"No threshold reaches a SAL rate of {target} on these outcomes."
    else:
        verdict = (
            f"Suggested MQL entry threshold: {best.threshold:g} (now "
            f"{suggestion.current_threshold:g}): {best.sales_accepted} accepted and "
            f"{best.sales_rejected} rejected, SAL rate {percent(best.sal_rate)} "
            f"(target {target})."
        )
    rows = [
        [f"{p.threshold:g}", str(p.mqls), str(p.sales_accepted), str(p.sales_rejected),
         percent(p.sal_rate),
         "current" if p == suggestion.current else "suggested" if p == best else ""]
        for p in suggestion.curve
    ]  # fmt: skip
    return (
        f'<p class="suggestion">{escape(verdict)}</p>{threshold_chart(suggestion)}'
        "<details><summary>The whole curve</summary>"
        + _table(["threshold", "MQLs", "accepted", "rejected", "SAL", ""], rows)
        + "</details>"
    )


def _changed(title: str, changed: ChangedLeads) -> list[str]:
    reasons = ", ".join(f"{k} {v}" for k, v in changed.rejection_reasons.items()) or "-"
    return [title, str(changed.leads), str(changed.sales_accepted),
            str(changed.sales_rejected), reasons, str(changed.no_verdict)]  # fmt: skip


def _backtest(backtest: Backtest) -> str:
    headers = ["MQLs", "leads", "accepted", "rejected", "rejection reasons", "no verdict"]
    return (
        f"<h2>Backtest</h2><p>Rules {escape(backtest.rules_b)} against "
        f"{escape(backtest.rules_a)}: MQLs {backtest.mql_a} → {backtest.mql_b}.</p>"
        + _table(headers, [_changed("gained", backtest.gained), _changed("lost", backtest.lost)])
    )


def render_html(report: ReviewReport) -> str:
    start = report.period_from.date().isoformat() if report.period_from else "first event"
    end = report.period_until.date().isoformat() if report.period_until else "last event"
    title = f"leadq review: {start} to {end}"
    conversion = report.conversion
    times = [
        ["to acceptance", hours(report.time_to_acceptance.median_hours),
         hours(report.time_to_acceptance.p90_hours), str(report.time_to_acceptance.count)],
        ["to opportunity", hours(report.time_to_opportunity.median_hours),
         hours(report.time_to_opportunity.p90_hours), str(report.time_to_opportunity.count)],
    ]  # fmt: skip
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">Rules {escape(report.rules_version)}</p>',
        _tiles(report),
        "<h2>Funnel</h2>", funnel_chart(report.funnel),
        "<h3>Time from routing</h3>", _table(["", "median", "p90", "leads"], times),
        "<h2>Why sales said no</h2>", reasons_chart(report.rejection_reasons_over_time),
        '<div class="cols">', _counts("Rejection reasons", report.rejection_reasons),
        _counts("Disqualification reasons", report.disqualification_reasons), "</div>",
        _counts("Loss reasons", report.loss_reasons) if report.loss_reasons else "",
        _counts("Filed under other", report.other_reasons) if report.other_reasons else "",
        "<h2>Conversion of routed leads</h2>", band_chart(conversion.by_score_band),
        _conversion(f"score band (width {conversion.band_width:g})", conversion.by_score_band),
        _conversion("fit grade", conversion.by_fit_grade),
        _conversion("persona", conversion.by_persona),
        _conversion("intent rule", conversion.by_intent_rule),
        "<h2>MQL entry threshold</h2>", _thresholds(report),
        _backtest(report.backtest) if report.backtest is not None else "",
    ]  # fmt: skip
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
