"""What each benchmark scenario reports (plain data, shared by the runners and the report)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from bench.ingest import IngestFigures
from bench.quality import Quality
from bench.stats import LatencySummary


@dataclass
class Throughput:
    """One drain of a pre-filled workload: ``events`` inbound records in ``seconds``.

    ``cpu_us`` is CPU time per inbound event, by process (``worker``, ``broker``,
    ``redis``...), over the measured interval. ``error`` says why a scenario has no
    figure (it is then NaN, and the run goes on).
    """

    name: str
    events: int
    seconds: float = math.nan
    cpu_us: dict[str, float] = field(default_factory=dict)
    signals: int = 0
    transitions: int = 0
    #: (d) only: seconds until every signal was applied, before the outbox drained.
    applied_seconds: float = math.nan
    error: str | None = None
    #: ERROR lines in the workers' logs (message → count), e.g. a batch re-run one
    #: event at a time after an exception: the run still counts, but is slower.
    worker_errors: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        if self.error is not None or not self.seconds > 0:
            return math.nan
        return self.events / self.seconds


@dataclass
class LatencyPhase:
    """Events produced at ``offered`` events/s for a while; transitions' latencies."""

    offered: float
    events: int
    achieved: float
    summary: LatencySummary
    #: Seconds from the last produce to everything applied: ~0 when the worker kept up.
    drain_s: float
    error: str | None = None


@dataclass
class Memory:
    """Redis memory of real pipeline state and of a population of known leads."""

    leads: int = 0
    accounts: int = 0
    #: used_memory growth while the pipeline created ``leads`` leads, per lead.
    bytes_per_lead: float = math.nan
    #: Mean MEMORY USAGE of one lead's blob, of its identity-key set, of an account blob.
    lead_blob: float = math.nan
    lead_blob_p99: float = math.nan
    lead_keys_set: float = math.nan
    account_blob: float = math.nan
    #: MEMORY USAGE of the identity index hash and the lead → account hash, per lead.
    index_per_lead: float = math.nan
    #: used_memory growth per known lead while the population was cloned.
    bytes_per_known_lead: float = math.nan
    used_memory_mb: float = math.nan


@dataclass
class ScalePoint:
    known_leads: int
    run: Throughput
    populate_s: float = math.nan


@dataclass
class EngineFigures:
    """Pure-Python steps alone, in one process (no Kafka, no Redis), per second."""

    normalize_records: float = math.nan
    routed_json_signals: float = math.nan
    engine_signals: float = math.nan
    #: The store's path without Kafka: resolve.lua + Python preparation + apply.lua,
    #: batches of 500, one client in this process.
    store_signals: float = math.nan


@dataclass
class RunResults:
    """Everything one ``python -m bench`` run measured; lists hold one item per repeat."""

    mode: str
    events: int
    signals: int
    partitions: int
    seed: int
    machine: dict[str, str] = field(default_factory=dict)
    raw: list[Throughput] = field(default_factory=list)
    noop: list[Throughput] = field(default_factory=list)
    naive: list[Throughput] = field(default_factory=list)
    leadq: list[Throughput] = field(default_factory=list)
    leadq2: list[Throughput] = field(default_factory=list)
    known_small: int = 0
    scale: list[ScalePoint] = field(default_factory=list)
    latency: list[LatencyPhase] = field(default_factory=list)
    latency_workers: int = 1
    memory: Memory | None = None
    engine: EngineFigures = field(default_factory=EngineFigures)
    profile: str | None = None
    ingest: IngestFigures | None = None
    quality: Quality | None = None
    duration_s: float = math.nan
