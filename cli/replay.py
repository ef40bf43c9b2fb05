"""``leadq replay --rules FILE EVENTS...``: the batch reference run of the engine.

Reads events in any accepted format (JSON lines or one JSON document per file), sorts
them by event time (ties by event id), and prints every transition as a CloudEvents
JSON line; ``--summary`` prints stage counts and final scores instead. Rejected input is
reported on stderr and skipped; ``--strict`` turns it into exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.errors import UserError
from cli.inputs import iter_documents
from cli.rules import load_rules_argument
from leadq.adapters import FORMATS as ADAPTER_FORMATS
from leadq.adapters import normalize_bytes
from leadq.compiled import compile_rules
from leadq.replay import replay
from leadq.summary import render_summary
from schemas.signal import Signal
from schemas.transition import to_cloudevent

#: Every input format the adapters accept (``auto`` detects per item).
FORMATS = ADAPTER_FORMATS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay", help="run events through the engine in event-time order; print transitions"
    )
    parser.add_argument("--rules", required=True, help="rules file (.yaml or .toml)")
    parser.add_argument(
        "events",
        nargs="+",
        metavar="[CHANNEL=]FILE",
        help="event files (JSON lines or one JSON document; - for stdin); prefix a file "
        "with its topic's channel (web=, email=, product=, crm=) when its format does "
        "not say, e.g. product=product.jsonl for Segment track calls from the product topic",
    )
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format")
    parser.add_argument(
        "--channel",
        choices=("web", "email", "product", "crm"),
        help="channel for formats that do not say (Segment track calls)",
    )
    parser.add_argument(
        "--until",
        help="also fire decay-driven transitions up to this "
        "time (ISO-8601 or 'now'); default: the last event's time",
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print stage counts and final scores instead of transitions",
    )
    parser.add_argument("--strict", action="store_true", help="exit 2 if any input was rejected")
    parser.set_defaults(func=run)


def parse_until(text: str | None) -> int | None:
    """``--until`` as epoch ms; ``now`` reads the clock (only the CLI ever does);
    :class:`UserError` for anything else that is not an ISO-8601 time."""
    if text is None:
        return None
    if text == "now":
        moment = datetime.now(UTC)
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as error:
            raise UserError(f"--until {text!r}: not an ISO-8601 time or 'now' ({error})") from error
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


CHANNELS = ("web", "email", "product", "crm")


def split_channel(argument: str, default: str | None) -> tuple[str, str | None]:
    """``product=events.jsonl`` → (``events.jsonl``, ``product``); else the default."""
    prefix, sep, rest = argument.partition("=")
    if sep and prefix in CHANNELS:
        return rest, prefix
    return argument, default


def read_file(path: str) -> bytes:
    """The bytes of an events file, or a :class:`UserError` saying why not."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UserError(f"cannot read events file {path}: {error.strerror or error}") from error


def read_signals(
    paths: list[str], fmt: str, channel: str | None, prog: str = "leadq replay"
) -> tuple[list[Signal], int]:
    """Every signal in ``paths``; rejects are reported on stderr (as ``prog``) and counted."""
    signals: list[Signal] = []
    rejected = 0
    for argument in paths:
        path, file_channel = split_channel(argument, channel)
        raw = sys.stdin.buffer.read() if path == "-" else read_file(path)
        for label, document in iter_documents(raw):
            result = normalize_bytes(document, fmt=fmt, channel=file_channel)  # type: ignore[arg-type]
            signals += result.signals
            for reject in result.rejects:
                rejected += 1
                where = label if reject.index is None else f"{label}, item {reject.index}"
                print(f"{prog}: {path}, {where}: {reject.reason}", file=sys.stderr)
    return signals, rejected


def run(args: argparse.Namespace) -> int:
    rules = compile_rules(load_rules_argument(args.rules, "--rules"))
    until_ms = parse_until(args.until)
    signals, rejected = read_signals(args.events, args.format, args.channel)
    result = asyncio.run(replay(signals, rules, until_ms))
    out = sys.stdout
    if args.summary:
        out.write(render_summary(result) + "\n")
    else:
        out.writelines(to_cloudevent(t).model_dump_json() + "\n" for t in result.transitions)
    if rejected:
        print(f"{rejected} input item(s) rejected", file=sys.stderr)
    return 2 if rejected and args.strict else 0
