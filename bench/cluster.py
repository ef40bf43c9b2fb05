"""Servers and settings for one benchmark scenario.

Every scenario gets a fresh embedded cluster (Tansu keeps every record in RAM, so an
earlier scenario's topics would cost memory and time), and every process of it gets its
own app id (= consumer group), web port and data dir. Everything else comes from one
base :class:`Settings`, so every Faust process of a run, leadq's or a baseline, runs
with the same settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from streams.devcluster import DevCluster
from streams.process import free_port
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[1]
RULES_PATH = REPO / "rules" / "example.yaml"
#: Event times of the benchmark workload start here, a Monday in the future: no
#: decay-driven transition falls due while a run lasts, so the worker's 1 s decay timer
#: finds nothing to fire and every transition is caused by an event of the run. (With
#: the workload's default 2026 start, the timer would fire months of decay during the
#: run, work whose rate depends on the wall clock, not on the events.)
BENCH_START = datetime(2036, 1, 7, tzinfo=UTC)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def base_settings(partitions: int) -> Settings:
    """``LEADQ_*`` settings from the environment with ``partitions`` and the repo's
    example rules (by absolute path, so children may run anywhere)."""
    return Settings().with_changes(partitions=partitions, rules_path=RULES_PATH)


@contextmanager
def fresh_cluster(base: Settings) -> Iterator[DevCluster]:
    """A new broker and Redis with every leadq topic of ``base``; stopped on exit."""
    cluster = DevCluster(base.topic_partitions()).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def scenario_settings(base: Settings, cluster: DevCluster, name: str, workdir: Path) -> Settings:
    """``base`` pointed at ``cluster``, with app id ``bench-<name>``, a free web port and
    a data dir of its own under ``workdir``."""
    return base.with_changes(
        kafka_bootstrap=cluster.bootstrap,
        redis_url=cluster.redis_url,
        app_id=f"bench-{name}",
        web_port=free_port(),
        data_dir=workdir / name,
    )


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time a live process has used so far (0.0 if unknown)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name (which may contain spaces) start at index 2.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def raw(value: object) -> bytes | None:
    """A Redis reply as bytes (the benchmark's clients never decode responses)."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"expected bytes from Redis, got {type(value).__name__}")


def text(value: object) -> str | None:
    data = raw(value)
    return data.decode() if data is not None else None
