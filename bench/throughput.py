"""Throughput scenarios: drain a pre-filled workload with one kind of consumer.

Each scenario runs on a cluster the caller made fresh for it: the workload is produced
to the inbound topics first, then the consumer process(es) start and drain it.

- Baselines (a)–(c) time themselves: from the first event they receive to the last one
  done (``bench.baselines``); the broker's and Redis's CPU is read over about the same
  interval (polled every 50 ms).
- leadq (d) runs as real ``python -m cli worker`` processes; the clock starts at the
  create timestamp of the first signal the normalizer sends (its first batch is done)
  and stops when :class:`bench.observe.PipelineObserver` sees every signal applied in
  Redis and every transition emitted. CPU time per event is read from ``/proc`` for the
  worker(s), the broker, Redis and this process (the observer) over that interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.cluster import REPO, cpu_seconds
from bench.observe import PipelineObserver
from bench.results import Throughput
from bench.workload import Record, produce
from streams.devcluster import DevCluster
from streams.process import ServerProcess, free_port
from streams.settings import Settings
from streams.worker_process import worker_process

NAMES = {
    "raw": "(a) raw aiokafka consumer + orjson",
    "noop": "(b) Faust agent, no-op",
    "naive": "(c) Faust agent, 1 Redis script/event",
}


async def run_baseline(
    kind: str,
    cluster: DevCluster,
    settings: Settings,
    records: Sequence[Record],
    workdir: Path,
    deadline_s: float,
    passes: int = 1,
) -> Throughput:
    """Pre-fill ``records``, run baseline ``kind`` in a child until it counted them all,
    ``passes`` times over: the raw consumer re-reads the topics, the others get the
    records produced ``passes`` times (a no-op agent does not care about repeats)."""
    expect = len(records) * passes
    result = Throughput(NAMES[kind], expect)
    for _ in range(1 if kind == "raw" else passes):
        await produce(records, settings)
    result_path = workdir / f"{settings.app_id}.json"
    argv = [sys.executable, "-m", "bench.baselines", kind, "--expect", str(expect)]
    if kind == "raw":
        argv += ["--pass-size", str(len(records))]
    child = ServerProcess(
        f"baseline {kind}",
        [*argv, "--result", str(result_path)],
        workdir / f"{settings.app_id}.log",
        REPO,
        env={**os.environ, **settings.to_env()},
    )
    child.start()
    give_up = time.monotonic() + deadline_s
    servers = {"broker": [cluster.broker.pid], "redis": [cluster.redis.pid]}
    before: dict[str, float] | None = None
    try:
        while not result_path.exists():
            if before is None and result_path.with_suffix(".started").exists():
                before = _cpu(servers)
            if not child.running():
                result.error = f"exited {child.exit_code()}: {child.log_tail(5)}"
                return result
            if time.monotonic() > give_up:
                result.error = f"not done within {deadline_s:.0f}s"
                return result
            await asyncio.sleep(0.05)
        after = _cpu(servers)
    finally:
        child.kill()  # measured; the cluster is thrown away: no need to wait
    report = orjson.loads(result_path.read_bytes())
    result.seconds = report["last"] - report["first"]
    result.cpu_us = {"process": report["cpu_s"] / expect * 1e6}
    if before is not None:
        result.cpu_us |= {
            name: (after[name] - before[name]) / expect * 1e6 for name in ("broker", "redis")
        }
    return result


@dataclass
class Profiler:
    """py-spy attached to a worker, writing collapsed stacks to ``output``."""

    output: Path
    rate_hz: int = 100


async def drain_with_workers(
    name: str,
    cluster: DevCluster,
    settings: Settings,
    records: Sequence[Record],
    expected_signals: int,
    workers: int,
    workdir: Path,
    deadline_s: float,
    profiler: Profiler | None = None,
) -> Throughput:
    """Pre-fill ``records``, start ``workers`` leadq workers (one consumer group) and
    time them until everything is applied and emitted (see the module docstring)."""
    result = Throughput(name, len(records))
    await produce(records, settings)
    children = [
        worker_process(
            settings.with_changes(web_port=free_port(), data_dir=settings.data_dir / f"w{i}"),
            workdir,
            f"leadq worker {i}",
        )
        for i in range(workers)
    ]
    async with PipelineObserver(settings) as observer:
        for child in children:
            child.start()
        try:
            await asyncio.wait_for(observer.started.wait(), timeout=deadline_s)
            pids = {
                "worker": [c.pid for c in children],
                "broker": [cluster.broker.pid],
                "redis": [cluster.redis.pid],
            }
            before = _cpu(pids)
            with _profiling(profiler, children[0].pid):
                done = await observer.wait_applied(
                    expected_signals, deadline_s, lambda: all(c.running() for c in children)
                )
            after = _cpu(pids)
        except (TimeoutError, RuntimeError) as error:
            tails = "\n".join(c.log_tail(8) for c in children)
            result.error = f"{type(error).__name__}: {error}\n{tails}"
            return result
        finally:
            for child in children:
                child.kill()  # measured; the cluster is thrown away: no need to wait
            result.worker_errors = sum((log_errors(c.log_path) for c in children), Counter())
        result.seconds = done - observer.first_signal_s
        result.applied_seconds = observer.applied_s - observer.first_signal_s
        result.signals = observer.signals
        result.transitions = observer.routing
        result.cpu_us = {k: (after[k] - before[k]) / len(records) * 1e6 for k in before}
    return result


def log_errors(path: Path) -> Counter[str]:
    """ERROR lines of a worker log, each with the exception that ended its traceback:
    ``{"qualifying failed on a batch of N → KeyError": count}`` (batch sizes folded)."""
    found: Counter[str] = Counter()
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return found
    for number, line in enumerate(lines):
        if "] [ERROR] " not in line:
            continue
        message = line.split("] [ERROR] ", 1)[1].split(";", 1)[0].strip()
        message = re.sub(r"\d+", "N", message)
        for follower in lines[number + 1 : number + 80]:
            if follower and not follower[0].isspace() and not follower.startswith("Traceback"):
                if not follower.startswith("["):
                    message += " → " + follower.split(":", 1)[0]
                break
        found[message] += 1
    return found


def _cpu(pids: dict[str, list[int | None]]) -> dict[str, float]:
    """CPU seconds used so far by each group of processes, and by this one ("bench")."""
    used = {group: sum(cpu_seconds(pid) for pid in members) for group, members in pids.items()}
    used["bench"] = time.process_time()
    return used


@contextlib.contextmanager
def _profiling(profiler: Profiler | None, pid: int | None) -> Iterator[None]:
    """Sample ``pid`` with py-spy while the block runs (nothing if ``profiler`` is None)."""
    if profiler is None or pid is None:
        yield
        return
    binary = Path(sys.executable).with_name("py-spy")
    argv = [str(binary) if binary.exists() else "py-spy", "record", "--pid", str(pid)]
    argv += ["--format", "raw", "--threads", "--full-filenames"]
    argv += ["--rate", str(profiler.rate_hz), "--output", str(profiler.output)]
    spy = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            spy.wait(30.0)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
