"""The ``ingest`` scenario: one ``leadq ingest`` process between HTTP senders and Kafka.

- **Throughput**: Segment ``/v1/batch`` requests of 100 workload web messages (~360 B
  each), ``CONCURRENCY`` requests in flight, as fast as the gateway answers; events/s =
  events acknowledged (2xx) / seconds from the first request to the last answer. The
  gateway answers only after the broker acknowledged every record, so this is the
  rate events reach the topic. CPU µs per event of the gateway and the broker too.
- **Latency**: open loop at a fixed offered rate (2,000 events/s): a request is sent on
  its schedule whether or not earlier ones were answered, and its latency is measured
  from that scheduled time (so a stall counts fully, no coordinated omission).

The load generator runs in the benchmark process on the same 2 cores; the gateway is a
separate process started like production (``python -m cli ingest``).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench.cluster import cpu_seconds
from bench.stats import LatencySummary
from bench.workload import Record
from streams.devcluster import DevCluster
from streams.process import ServerProcess, free_port
from streams.settings import IngestSettings, Settings

WRITE_KEY = "wk_bench"
BATCH = 100
CONCURRENCY = 8
LATENCY_RATE = 2000.0
#: (events per request, label) of the latency phases.
LATENCY_BATCHES = (100, 10)


@dataclass
class IngestLatency:
    batch: int
    offered: float
    achieved: float
    summary: LatencySummary
    failed: int = 0


@dataclass
class IngestFigures:
    """What the ingest scenario measured; ``rates`` has one value per run."""

    rates: list[float] = field(default_factory=list)
    cpu_us: dict[str, float] = field(default_factory=dict)
    latency: list[IngestLatency] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def batch_bodies(records: Sequence[Record], events: int, size: int = BATCH) -> list[bytes]:
    """``{"batch": [...]}`` bodies of ``size`` web messages, ``events`` in all (the
    workload's web messages, repeated if needed)."""
    messages = [m for r in records if r.topic == "web" for m in _message(r.value)]
    if not messages:
        raise ValueError("the workload has no web messages")
    cycle = itertools.cycle(messages)
    count = math.ceil(events / size)
    return [orjson.dumps({"batch": [next(cycle) for _ in range(size)]}) for _ in range(count)]


def _message(value: bytes) -> list[object]:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return []  # the workload's deliberately malformed lines are not HTTP requests
    return [parsed] if isinstance(parsed, dict) else []


def gateway_settings(cluster: DevCluster, base: Settings) -> Settings:
    return base.with_changes(
        kafka_bootstrap=cluster.bootstrap,
        redis_url=cluster.redis_url,
        ingest=IngestSettings(port=free_port(), write_keys={WRITE_KEY: "web"}),
    )


def gateway_process(settings: Settings, workdir: Path) -> ServerProcess:
    env = {**os.environ, **settings.to_env()}
    log = workdir / f"ingest-{settings.ingest.port}.log"
    argv = [sys.executable, "-m", "cli", "ingest"]
    return ServerProcess("leadq ingest", argv, log, Path.cwd(), env=env)


class Sender:
    """An aiohttp client posting prepared bodies to one gateway."""

    def __init__(self, settings: Settings) -> None:
        ingest = settings.ingest
        self.url = f"http://{ingest.host}:{ingest.port}/v1/batch"
        auth = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        self.headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

    async def post(self, body: bytes) -> int:
        """Events accepted by one request (0 when not answered 2xx)."""
        async with self.session.post(self.url, data=body, headers=self.headers) as response:
            answer = orjson.loads(await response.read())
            return int(answer.get("accepted", 0)) + len(answer.get("rejected", []))

    async def close(self) -> None:
        await self.session.close()

    async def wait_ready(self, deadline_s: float, alive: Callable[[], bool]) -> None:
        give_up = time.monotonic() + deadline_s
        health = self.url.replace("/v1/batch", "/health")
        while True:
            try:
                async with self.session.get(health) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > give_up or not alive():
                raise TimeoutError("the gateway did not become ready")
            await asyncio.sleep(0.05)


async def throughput(sender: Sender, bodies: Sequence[bytes]) -> tuple[int, float]:
    """(events acknowledged, seconds) with ``CONCURRENCY`` requests in flight."""
    queue = iter(bodies)
    done = 0

    async def lane() -> None:
        nonlocal done
        for body in queue:
            accepted = await sender.post(body)
            done += accepted  # not `done += await ...`: that reads done before awaiting

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
    return done, time.perf_counter() - started


async def open_loop(
    sender: Sender, bodies: Sequence[bytes], per_request: int, rate: float
) -> IngestLatency:
    """Send ``bodies`` on a fixed schedule (``rate`` events/s); latency per request."""
    interval = per_request / rate
    latencies: list[float] = []
    failed = 0
    start = time.perf_counter() + 0.05

    async def one(index: int, body: bytes) -> None:
        nonlocal failed
        scheduled = start + index * interval
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            await sender.post(body)
        except (aiohttp.ClientError, ValueError):
            failed += 1
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)

    await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
    seconds = time.perf_counter() - start
    achieved = len(latencies) * per_request / seconds if seconds > 0 else math.nan
    return IngestLatency(per_request, rate, achieved, LatencySummary.of(latencies), failed)


async def measure(
    cluster: DevCluster,
    base: Settings,
    records: Sequence[Record],
    events: int,
    latency_s: float,
    repeat: int,
    workdir: Path,
) -> IngestFigures:
    """The whole scenario on ``cluster`` (see the module docstring)."""
    figures = IngestFigures()
    settings = gateway_settings(cluster, base)
    gateway = gateway_process(settings, workdir)
    gateway.start()
    sender = Sender(settings)
    try:
        await sender.wait_ready(60.0, gateway.running)
        warm = batch_bodies(records, 20 * BATCH)
        await throughput(sender, warm)  # open connections, fetch topic metadata
        bodies = batch_bodies(records, events)
        cpu_before = {
            "gateway": cpu_seconds(gateway.pid),
            "broker": cpu_seconds(cluster.broker.pid),
        }
        total = 0
        for _ in range(repeat):
            done, seconds = await throughput(sender, bodies)
            figures.rates.append(done / seconds)
            total += done
        figures.cpu_us = {
            "gateway": (cpu_seconds(gateway.pid) - cpu_before["gateway"]) / total * 1e6,
            "broker": (cpu_seconds(cluster.broker.pid) - cpu_before["broker"]) / total * 1e6,
        }
        for per_request in LATENCY_BATCHES:
            phase = batch_bodies(records, int(LATENCY_RATE * latency_s), per_request)
            figures.latency.append(await open_loop(sender, phase, per_request, LATENCY_RATE))
    except (TimeoutError, aiohttp.ClientError, ValueError) as error:
        figures.errors.append(f"{error!r}\n{gateway.log_tail(10)}")
    finally:
        await sender.close()
        gateway.stop()
    return figures
