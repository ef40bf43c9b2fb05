"""The batch reference for a workload: normalize each record on its topic's channel, replay.

``leadq replay FILE`` reads a mixed file with no topic, so a Segment ``track`` from the
product topic is taken as web and product rules never see it. This module gives what
the stream computes: every record is normalized with its own channel (the topic short
names are the channel names), then ``leadq.replay.replay`` runs on the signals.

From the command line the same is ``leadq replay --rules rules/example.yaml
web=DIR/web.jsonl email=DIR/email.jsonl product=DIR/product.jsonl crm=DIR/crm.jsonl``
on the files ``python -m bench.workload --by-topic DIR`` writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from bench.workload import TOPICS, Record
from leadq.adapters import normalize_bytes
from leadq.compiled import CompiledRules
from leadq.replay import ReplayResult, replay
from schemas.signal import Signal


def signals_of(records: Iterable[Record]) -> tuple[list[Signal], int]:
    """Every record's signals, normalized on its topic's channel, and the reject count."""
    signals: list[Signal] = []
    rejected = 0
    for record in records:
        result = normalize_bytes(record.value, channel=record.topic)
        signals += result.signals
        rejected += len(result.rejects)
    return signals, rejected


def replay_records(
    records: Iterable[Record], rules: CompiledRules, until_ms: int | None = None
) -> ReplayResult:
    """What the stream computes for ``records``: ``replay`` on their signals."""
    signals, _ = signals_of(records)
    return asyncio.run(replay(signals, rules, until_ms))


def read_topic_files(directory: Path) -> Iterable[Record]:
    """The records of ``directory/<topic>.jsonl`` files (missing files are skipped)."""
    for topic in TOPICS:
        path = directory / f"{topic}.jsonl"
        if path.exists():
            with path.open("rb") as lines:
                for line in lines:
                    if line.strip():
                        yield Record(topic, None, line.rstrip(b"\n"))
