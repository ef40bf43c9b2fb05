"""``leadq report --rules R EVENTS...``: the review report (funnel, reasons, conversion,
threshold suggestion), and with ``--compare B`` a backtest of another rules file.

Runs the same engine as ``leadq replay`` over the events and the CRM outcomes among
them (``leadq.review``), then prints text tables, or ``--json`` one object
(``schemas.review.ReviewReport``), and ``--html FILE`` writes one self-contained page.
The period defaults to all the data; ``--quarter 2026Q3`` (or ``last``: the last full
calendar quarter before the data's last event) or ``--from``/``--until`` narrow it. A
user mistake (a missing file, invalid rules, a bad date) is one line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.replay import FORMATS, read_signals, split_channel
from cli.report_html import render_html
from cli.report_text import render_text
from leadq.compiled import CompiledRules, compile_rules
from leadq.review.history import History, collect
from leadq.review.period import Period
from leadq.review.report import build_report
from leadq.review.thresholds import DEFAULT_TARGET_SAL_RATE
from schemas.rules import RulesError, load_rules
from schemas.signal import Signal

PROG = "leadq report"


class UsageError(Exception):
    """A mistake on the command line: one line for the user, no traceback."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="review report: funnel, SAL rate, reasons, conversion, threshold suggestion",
    )
    parser.add_argument("--rules", required=True, help="rules file (.yaml or .toml)")
    parser.add_argument(
        "events", nargs="+", metavar="[CHANNEL=]FILE",
        help="event files with the CRM outcomes among them, as for leadq replay",
    )  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format")
    parser.add_argument(
        "--channel", choices=("web", "email", "product", "crm"),
        help="channel for formats that do not say (Segment track calls)",
    )  # fmt: skip
    parser.add_argument("--from", dest="start", help="period start (ISO-8601; inclusive)")
    parser.add_argument("--until", help="period end (ISO-8601; exclusive)")
    parser.add_argument(
        "--quarter", help="a calendar quarter, e.g. 2026Q3, or 'last' (the last full one)"
    )
    parser.add_argument("--compare", metavar="RULES_B", help="backtest: a second rules file")
    parser.add_argument(
        "--target-sal", type=float, default=DEFAULT_TARGET_SAL_RATE,
        help="SAL rate the suggested threshold must reach (default 0.6)",
    )  # fmt: skip
    parser.add_argument(
        "--band-width", type=float, default=20.0, help="score band width (default 20)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    parser.set_defaults(func=run)


def parse_moment(text: str, option: str) -> int:
    """ISO-8601 date or date-time (naive = UTC) as epoch ms."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an ISO-8601 date or time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def quarter_period(text: str, last_event_ms: int | None) -> Period:
    """``2026Q3`` → [Jul 1, Oct 1); ``last`` → the last quarter ending by the last event."""
    if text == "last":
        if last_event_ms is None:
            raise UsageError("--quarter last: there are no events")
        end = datetime.fromtimestamp(last_event_ms / 1000, tz=UTC)
        year, quarter = end.year, (end.month - 1) // 3  # the current quarter, 0-based
        year, quarter = (year - 1, 3) if quarter == 0 else (year, quarter - 1)
    else:
        head, sep, tail = text.upper().partition("Q")
        if not (sep and head.isdigit() and tail in ("1", "2", "3", "4")):
            raise UsageError(f"--quarter: {text!r} is not like 2026Q3 or 'last'")
        year, quarter = int(head), int(tail) - 1
    start = datetime(year, 3 * quarter + 1, 1, tzinfo=UTC)
    end_year, end_month = (year + 1, 1) if quarter == 3 else (year, 3 * quarter + 4)
    stop = datetime(end_year, end_month, 1, tzinfo=UTC)
    return Period(int(start.timestamp() * 1000), int(stop.timestamp() * 1000))


def load(path: str) -> CompiledRules:
    try:
        return compile_rules(load_rules(path))
    except RulesError as error:
        more = len(error.problems) - 1
        extra = f" (+{more} more; 'leadq rules check {path}' lists all)" if more > 0 else ""
        raise UsageError(f"{error.path}: invalid rules: {error.problems[0]}{extra}") from None


def read_events(paths: list[str], fmt: str, channel: str | None) -> list[Signal]:
    for argument in paths:
        path, _ = split_channel(argument, None)
        if path != "-" and not Path(path).is_file():
            raise UsageError(f"cannot read events file {path}: no such file")
    try:
        signals, _ = read_signals(paths, fmt, channel, prog=PROG)
    except OSError as error:
        raise UsageError(f"cannot read events: {error}") from None
    return signals


def period_of(args: argparse.Namespace, end_ms: int | None) -> Period:
    if args.quarter and (args.start or args.until):
        raise UsageError("--quarter and --from/--until: give one or the other")
    if args.quarter:
        return quarter_period(args.quarter, end_ms)
    start = parse_moment(args.start, "--from") if args.start else None
    until = parse_moment(args.until, "--until") if args.until else None
    if start is not None and until is not None and until <= start:
        raise UsageError("--until must be after --from")
    return Period(start, until)


async def _histories(
    signals: list[Signal], rules: CompiledRules, other: CompiledRules | None
) -> tuple[History, History | None]:
    history = await collect(signals, rules)
    return history, (await collect(signals, other) if other is not None else None)


def run(args: argparse.Namespace) -> int:
    try:
        if not 0 < args.target_sal <= 1:
            raise UsageError(f"--target-sal: {args.target_sal} is not a rate in (0, 1]")
        if args.band_width <= 0:
            raise UsageError(f"--band-width: {args.band_width} must be positive")
        rules = load(args.rules)
        other = load(args.compare) if args.compare else None
        signals = read_events(args.events, args.format, args.channel)
        history, compared = asyncio.run(_histories(signals, rules, other))
        period = period_of(args, history.end_ms)
        report = build_report(
            history, period, target_sal_rate=args.target_sal,
            band_width=args.band_width, compare=compared,
        )  # fmt: skip
        if args.html:
            write_html(Path(args.html), render_html(report))
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write((report.model_dump_json() if args.json else render_text(report)) + "\n")
    return 0


def write_html(path: Path, page: str) -> None:
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--html: cannot write {path}: {error.strerror}") from None
