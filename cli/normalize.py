"""``leadq normalize``: inbound events on stdin → canonical signals as JSON lines on stdout.

Input is either ONE JSON document (an object or an array, possibly pretty-printed) or
JSON lines (one document per line). Output: one ``Signal`` JSON per line, in input
order. Whatever cannot be accepted is reported on stderr with its line and item number;
the command keeps going, and exits 2 if anything was rejected, 0 otherwise.

Each JSON line is its own delivery: batch rules (scanner click bursts) look within one
document, never across lines, exactly as the stream sees one Kafka message at a time.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, get_args

from cli.inputs import iter_documents
from leadq.adapters import DEFAULT_MAX_BYTES, FORMATS, Reject, normalize_bytes
from schemas.signal import Channel

EXIT_OK = 0
EXIT_REJECTED = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``normalize`` sub-command to the ``leadq`` parser."""
    parser = subparsers.add_parser(
        "normalize",
        help="convert inbound events (stdin) to canonical signals (stdout, JSON lines)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        default="auto",
        help="input format (default: auto-detect per item)",
    )
    parser.add_argument(
        "--channel",
        choices=get_args(Channel),
        default=None,
        help="the channel (topic) the events came from; picks web or product for "
        "Segment/RudderStack and rejects events that cannot belong to it",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help=f"largest document (or line) accepted, in bytes (default: {DEFAULT_MAX_BYTES})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Normalize stdin to stdout; the exit code says whether anything was rejected."""
    return normalize_stream(
        sys.stdin.buffer, sys.stdout, sys.stderr, args.fmt, args.channel, args.max_bytes
    )


def normalize_stream(
    source: IO[bytes],
    out: IO[str],
    err: IO[str],
    fmt: str = "auto",
    channel: Channel | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """The command's work on explicit streams (what ``run`` wires to stdin/out/err)."""
    rejected = 0
    for label, raw in iter_documents(source.read()):
        result = normalize_bytes(raw, fmt, channel, max_bytes=max_bytes)
        for signal in result.signals:
            out.write(signal.model_dump_json() + "\n")
        for reject in result.rejects:
            err.write(f"leadq normalize: {_where(label, reject)}: {reject.reason}\n")
        rejected += len(result.rejects)
    return EXIT_REJECTED if rejected else EXIT_OK


def _where(label: str, reject: Reject) -> str:
    return label if reject.index is None else f"{label}, item {reject.index}"
