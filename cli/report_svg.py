"""Inline SVG charts for the HTML review report: no script, no network, no library.

Each function returns one ``<svg class="chart" data-chart=NAME>`` element with a
``<title>``, sized by its ``viewBox`` (the page scales it to its column). Every text is
escaped; every number is formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from schemas.review import ConversionRow, ThresholdSuggestion

WIDTH = 640
PALETTE = (
    "#2f6db5", "#e07b39", "#3a9a5b", "#c9453e", "#8a63b8", "#8c6d3f", "#d46ab0",
    "#6f7a86", "#b5a82f", "#3fb0c0",
)  # fmt: skip


def _svg(name: str, title: str, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}">'
        f"{escape(text)}</text>"
    )


def _empty(name: str, title: str) -> str:
    return _svg(name, title, 60, [_text(WIDTH / 2, 35, "no data in this period", "middle")])


def funnel_chart(stages: Sequence[tuple[str, int]]) -> str:
    """Horizontal bars, one per funnel stage, widths relative to the first stage."""
    title = "Funnel"
    top = max((count for _, count in stages), default=0)
    if not stages or top == 0:
        return _empty("funnel", title)
    row, left, span = 34, 130, WIDTH - 130 - 70
    body = []
    for i, (label, count) in enumerate(stages):
        y = 10 + i * row
        width = max(span * count / top, 1.0)
        body += [
            _text(left - 8, y + 18, label, "end"),
            f'<rect class="bar" x="{left}" y="{y}" width="{width:.1f}" height="24" '
            f'fill="{PALETTE[0]}" opacity="{1 - i * 0.1:.2f}"/>',
            _text(left + width + 6, y + 17, f"{count:,}", size=13),
        ]
    return _svg("funnel", title, 20 + len(stages) * row, body)


def band_chart(rows: Sequence[ConversionRow]) -> str:
    """SAL rate per score band (bars), with the routed and accepted counts under each."""
    title = "Conversion by score band at routing"
    if not rows:
        return _empty("score-bands", title)
    left, bottom, height = 40, 200, 170
    step = (WIDTH - left - 10) / len(rows)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#999"/>']
    for tick in (0, 0.5, 1.0):
        y = bottom - tick * height
        body.append(_text(left - 4, y + 4, f"{tick:.0%}", "end", 10))
    for i, row in enumerate(rows):
        x = left + i * step + step * 0.15
        rate = row.sal_rate or 0.0
        bar = max(rate * height, 1.0)
        body += [
            f'<rect class="bar" x="{x:.1f}" y="{bottom - bar:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar:.1f}" fill="{PALETTE[2]}"><title>{escape(row.key)}: '
            f"{row.sales_accepted} of {row.sales_accepted + row.sales_rejected} accepted"
            "</title></rect>",
            _text(x + step * 0.35, bottom - bar - 4, "-" if row.sal_rate is None else f"{rate:.0%}",
                  "middle", 11),
            _text(x + step * 0.35, bottom + 14, row.key, "middle", 10),
            _text(x + step * 0.35, bottom + 28, f"{row.routed} routed", "middle", 9),
        ]  # fmt: skip
    return _svg("score-bands", title, bottom + 40, body)


def reasons_chart(over_time: dict[str, dict[str, int]]) -> str:
    """Rejections per period, stacked by reason code, with a legend."""
    title = "Rejection reasons over time"
    codes = sorted({code for counts in over_time.values() for code in counts})
    if not codes:
        return _empty("reasons", title)
    colour = {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(codes)}
    top = max(sum(counts.values()) for counts in over_time.values())
    left, bottom, height = 40, 190, 160
    step = (WIDTH - left - 150) / len(over_time)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 150}" y2="{bottom}" stroke="#999"/>',
            _text(left - 4, bottom - height + 4, str(top), "end", 10)]  # fmt: skip
    for i, (label, counts) in enumerate(over_time.items()):
        x, y = left + i * step + step * 0.15, float(bottom)
        for code in codes:
            part = counts.get(code, 0) * height / top
            if part:
                y -= part
                body.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{part:.1f}" fill="{colour[code]}"><title>{escape(label)} '
                    f"{escape(code)}: {counts[code]}</title></rect>"
                )
        # Many weeks: the week alone ("W07"); the full label is in each bar's title.
        shown = label.rpartition("-")[2] if len(over_time) > 6 else label
        body.append(_text(x + step * 0.35, bottom + 14, shown, "middle", 10))
    for i, code in enumerate(codes):
        y = 20 + i * 18
        body += [f'<rect x="{WIDTH - 140}" y="{y - 10}" width="12" height="12" '
                 f'fill="{colour[code]}"/>', _text(WIDTH - 122, y, code, size=11)]  # fmt: skip
    return _svg("reasons", title, max(bottom + 30, 30 + len(codes) * 18), body)


def threshold_chart(suggestion: ThresholdSuggestion) -> str:
    """Accepted leads captured (blue) and SAL rate (orange) by MQL entry threshold,
    with the target rate, the current threshold and the suggested one marked."""
    title = "Threshold trade-off: accepted leads captured and SAL rate"
    curve = suggestion.curve
    if len(curve) < 2:
        return _empty("thresholds", title)
    left, right, bottom, height = 50, WIDTH - 50, 230, 190
    low, high = curve[0].threshold, curve[-1].threshold
    most = max(max(p.sales_accepted for p in curve), 1)

    def x_of(threshold: float) -> float:
        return left + (threshold - low) / ((high - low) or 1) * (right - left)

    accepted = " ".join(f"{x_of(p.threshold):.1f},{bottom - p.sales_accepted / most * height:.1f}"
                        for p in curve)  # fmt: skip
    rates = " ".join(f"{x_of(p.threshold):.1f},{bottom - (p.sal_rate or 0) * height:.1f}"
                     for p in curve)  # fmt: skip
    target_y = bottom - suggestion.target_sal_rate * height
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#999"/>',
        f'<polyline class="line accepted" points="{accepted}" fill="none" '
        f'stroke="{PALETTE[0]}" stroke-width="2"/>',
        f'<polyline class="line sal-rate" points="{rates}" fill="none" '
        f'stroke="{PALETTE[1]}" stroke-width="2"/>',
        f'<line x1="{left}" y1="{target_y:.1f}" x2="{right}" y2="{target_y:.1f}" '
        f'stroke="{PALETTE[1]}" stroke-dasharray="4 3"/>',
        _text(right + 4, target_y + 4, f"{suggestion.target_sal_rate:.0%}", size=10),
        _text(left - 4, bottom - height + 4, str(most), "end", 10),
        _text(left, bottom + 16, f"{low:g}", "middle", 10),
        _text(right, bottom + 16, f"{high:g}", "middle", 10),
        _text((left + right) / 2, bottom + 30, "MQL entry threshold", "middle", 11),
        _text(right + 4, bottom - height + 4, "100%", size=10),
        _text(right + 4, bottom + 4, "0%", size=10),
        f'<rect x="{right - 190}" y="{bottom - height - 14}" width="10" height="10" '
        f'fill="{PALETTE[0]}"/>',
        _text(right - 176, bottom - height - 5, "accepted captured", size=10),
        f'<rect x="{right - 80}" y="{bottom - height - 14}" width="10" height="10" '
        f'fill="{PALETTE[1]}"/>',
        _text(right - 66, bottom - height - 5, "SAL rate", size=10),
    ]
    marks = [(suggestion.current.threshold, "current", "#555")]
    if suggestion.suggested is not None:
        marks.append((suggestion.suggested.threshold, "suggested", PALETTE[2]))
    for i, (threshold, label, stroke) in enumerate(marks):
        x = x_of(threshold)
        label_y = bottom - height + 12 + 12 * i
        body += [
            f'<line class="mark {label}" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" '
            f'y2="{bottom - height:.1f}" stroke="{stroke}" stroke-dasharray="2 2"/>',
            _text(x + 3, label_y, f"{label} {threshold:g}", size=10),
        ]
    return _svg("thresholds", title, bottom + 40, body)
