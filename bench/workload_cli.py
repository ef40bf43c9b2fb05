"""``python -m bench.workload``: write the workload as JSON lines and/or produce it.

``--out FILE`` writes every message value on its own line (a SendGrid array stays one
line): what ``leadq replay`` reads. ``--by-topic DIR`` writes ``DIR/<topic>.jsonl``.
``--produce`` sends the records to the inbound topics of ``streams.settings.Settings``
(``LEADQ_KAFKA_BOOTSTRAP``, ``LEADQ_TOPICS__*``). Counts and speed go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bench.workload import (
    DEFAULT_START,
    TOPICS,
    LabelledRecord,
    Record,
    WorkloadConfig,
    generate_labelled,
    produce,
)


class Sinks:
    """Where the CLI writes records: one JSON-lines file, and/or one file per topic."""

    def __init__(self, out: Path | None, by_topic: Path | None) -> None:
        self.files: list[BinaryIO] = []
        self.all = self._open(out) if out else None
        self.topics: dict[str, BinaryIO] = {}
        if by_topic:
            by_topic.mkdir(parents=True, exist_ok=True)
            self.topics = {t: self._open(by_topic / f"{t}.jsonl") for t in TOPICS}
        self.counts: Counter[str] = Counter()

    def _open(self, path: Path) -> BinaryIO:
        handle = path.open("wb", buffering=1 << 20)
        self.files.append(handle)
        return handle

    def write(self, labelled: LabelledRecord) -> Record:
        record = labelled.record
        self.counts[record.topic] += 1
        self.counts["malformed"] += labelled.malformed is not None
        line = record.value + b"\n"
        if self.all:
            self.all.write(line)
        if self.topics:
            self.topics[record.topic].write(line)
        return record

    def close(self) -> None:
        for handle in self.files:
            handle.close()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workload", description="Generate a seeded B2B event workload."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, default=20_000, help="exact number of records")
    parser.add_argument("--accounts", type=int, help="companies (default: events / 40)")
    parser.add_argument("--start", default=DEFAULT_START.isoformat(), help="ISO-8601 start")
    parser.add_argument("--days", type=float, default=90.0, help="time span in days")
    parser.add_argument("--malformed-rate", type=float, default=0.002)
    parser.add_argument("--out", type=Path, help="write every message value as JSON lines")
    parser.add_argument("--by-topic", type=Path, help="write DIR/<topic>.jsonl per topic")
    parser.add_argument("--produce", action="store_true", help="send to the LEADQ_ topics")
    args = parser.parse_args(argv)
    if not (args.out or args.by_topic or args.produce):
        parser.error("give at least one of --out, --by-topic, --produce")
    return args


def config_from(args: argparse.Namespace) -> WorkloadConfig:
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    return WorkloadConfig(
        seed=args.seed,
        events=args.events,
        accounts=args.accounts,
        start=start if start.tzinfo else start.replace(tzinfo=UTC),
        span=timedelta(days=args.days),
        malformed_rate=args.malformed_rate,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: 0 on success, 1 if producing failed, 2 for bad arguments."""
    args = parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as error:
        print(f"bench.workload: {error}", file=sys.stderr)
        return 2
    sinks = Sinks(args.out, args.by_topic)
    began = time.perf_counter()
    try:
        code = _drain((sinks.write(item) for item in generate_labelled(config)), args.produce)
    finally:
        sinks.close()
    _report(sinks.counts, time.perf_counter() - began)
    return code


def _drain(records: Iterator[Record], send: bool) -> int:
    """Consume ``records`` (writing them as a side effect), producing them if ``send``."""
    if not send:
        collections.deque(records, maxlen=0)
        return 0
    from aiokafka.errors import KafkaError

    from streams.settings import get_settings

    try:
        asyncio.run(produce(records, get_settings()))
    except (RuntimeError, KafkaError) as error:
        print(f"bench.workload: producing failed: {error}", file=sys.stderr)
        return 1
    return 0


def _report(counts: Counter[str], elapsed: float) -> None:
    total = sum(counts[t] for t in TOPICS)
    detail = ", ".join(f"{t} {counts[t]}" for t in (*TOPICS, "malformed"))
    rate = total / max(elapsed, 1e-9)
    print(f"{total} records ({detail}) in {elapsed:.2f} s, {rate:,.0f}/s", file=sys.stderr)
