"""The pure-Python steps alone, in this process, no servers: where a worker's CPU goes.

- ``normalize_records``: ``leadq.adapters.normalize_bytes`` per inbound record (what
  the normalize agent does per message before Redis and Kafka), records/s;
- ``routed_json_signals``: a routed signal serialized (normalizer, ``encode_routed``) and
  validated back (qualifier, ``decode_routed``), the signals hop's own Python cost,
  signals/s;
- ``engine_signals``: ``leadq.replay`` (identity, scoring, decay, stages, explanations
  for every signal, in memory), signals/s.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bench.reference import signals_of
from bench.workload import Record
from leadq.adapters import normalize_bytes
from leadq.compiled import CompiledRules
from leadq.replay import replay
from schemas.routed import RoutedSignal, decode_routed, encode_routed


def _per_second(count: int, started: float) -> float:
    elapsed = time.perf_counter() - started
    return count / elapsed if elapsed > 0 else float("nan")


def normalize_rate(records: Sequence[Record]) -> float:
    started = time.perf_counter()
    for record in records:
        normalize_bytes(record.value, channel=record.topic)
    return _per_second(len(records), started)


def routed_json_rate(records: Sequence[Record]) -> float:
    signals, _ = signals_of(records)
    routed = [
        RoutedSignal(lead_id=f"u:{s.event_id}", account_id=s.account.id, bucket=7, signal=s)
        for s in signals
    ]
    started = time.perf_counter()
    for item in routed:
        decode_routed(encode_routed(item))
    return _per_second(len(routed), started)


async def engine_rate(records: Sequence[Record], rules: CompiledRules) -> float:
    signals, _ = signals_of(records)
    started = time.perf_counter()
    await replay(signals, rules)
    return _per_second(len(signals), started)
