"""``python -m bench``: every benchmark scenario on this machine, a table, a JSON line.

See docs/performance.md for what each figure measures and how to read it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.report import figures, json_line, table
from bench.runner import SCENARIOS, BenchConfig, run


def _rates(text: str) -> tuple[tuple[float, float], ...]:
    """``RATE:SECONDS,...`` → ((rate, seconds), ...)."""
    phases = []
    for part in text.split(","):
        rate, _, seconds = part.partition(":")
        phases.append((float(rate), float(seconds)))
    return tuple(phases)


def parse_args(argv: Sequence[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure leadq against its baselines on embedded servers; prints a "
        "table and, as the last line, one JSON object.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: done within 3 minutes on 2 cores"
    )
    parser.add_argument("--events", type=int, help="throughput workload size")
    parser.add_argument("--seed", type=int, help="workload seed (default 7)")
    parser.add_argument("--partitions", type=int, help="partitions of every topic (default 4)")
    parser.add_argument("--repeat", type=int, help="throughput runs per figure (median)")
    parser.add_argument("--known-small", type=int, help="known leads for (d) (default 10000)")
    parser.add_argument("--known-large", type=int, help="known leads for the scale run")
    parser.add_argument(
        "--latency", type=_rates, help="latency phases RATE:SECONDS,... e.g. 1000:30,5000:15"
    )
    parser.add_argument(
        "--latency-workers", type=int, help="worker processes during the latency phases (1)"
    )
    parser.add_argument(
        "--only", help=f"comma-separated scenarios to run, of: {','.join(SCENARIOS)}"
    )
    parser.add_argument("--profile", type=Path, help="also profile a worker with py-spy into DIR")
    parser.add_argument("--keep", type=Path, help="keep process logs in a new dir under DIR")
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig.full()
    changes: dict[str, object] = {
        "events": args.events,
        "seed": args.seed,
        "partitions": args.partitions,
        "repeat": args.repeat,
        "known_small": args.known_small,
        "known_large": args.known_large,
        "latency": args.latency,
        "latency_workers": args.latency_workers,
        "profile_dir": args.profile,
        "keep_dir": args.keep,
    }
    if args.only:
        chosen = frozenset(name.strip() for name in args.only.split(",") if name.strip())
        unknown = chosen - set(SCENARIOS)
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
        changes["only"] = chosen
    return config.with_changes(**{k: v for k, v in changes.items() if v is not None})


def main(argv: Sequence[str] | None = None) -> int:
    results = run(parse_args(argv))
    values = figures(results)
    print(table(results, values))
    print(json_line(values), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
