"""Shared fixtures: real servers for integration tests, isolated settings per test.

- ``servers`` (session): one embedded dev cluster (Tansu broker + redis-server) for the
  whole run, or the external servers named by ``LEADQ_KAFKA_BOOTSTRAP`` and
  ``LEADQ_REDIS_URL`` when both are set. A server that cannot start or answer fails
  the run loudly; nothing is ever skipped or faked.
- ``redis_url`` / ``kafka_bootstrap`` (session): the same servers, as plain strings.
- ``leadq_settings`` (per test): settings pointing at those servers with topics, app id
  (= consumer group), web port and data dir of the test's own, topics already created.
- ``private_cluster`` (per test): a dev cluster of the test's own, for tests that
  restart or stop servers and must not disturb the others; ``persistent_private_cluster``
  is the same with Redis persistence on (an AOF fsynced on every write, as in
  production), for tests where a restarted Redis must keep its data.
- ``qualifier_settings`` (per test): ``leadq_settings`` with a Redis database of the
  test's own (flushed), for tests that run the qualifier: a worker's decay timer scans
  every bucket of its database, so leads other tests left behind must not be in it.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from streams.devcluster import ClusterStartError, DevCluster, run_async
from streams.kafka.admin import ensure_topics, wait_for_kafka
from streams.process import free_port
from streams.settings import Settings, TopicNames
from tests import harness

EXTERNAL_ENV = ("LEADQ_KAFKA_BOOTSTRAP", "LEADQ_REDIS_URL")


@dataclass(frozen=True)
class Servers:
    """Where the session's broker and Redis are."""

    bootstrap: str
    redis_url: str
    #: The embedded cluster, or None when the run uses external servers.
    cluster: DevCluster | None


def _external_servers() -> Servers:
    bootstrap, redis_url = (os.environ[name] for name in EXTERNAL_ENV)
    try:
        run_async(lambda: wait_for_kafka(bootstrap, 15.0))
        redis.Redis.from_url(redis_url, socket_timeout=5.0).ping()
    except Exception as exc:
        pytest.fail(f"external servers from {EXTERNAL_ENV} do not answer: {exc}", pytrace=False)
    return Servers(bootstrap, redis_url, None)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The session's real servers (see the module docstring); default topics created."""
    if all(os.environ.get(name) for name in EXTERNAL_ENV):
        found = _external_servers()
        run_async(lambda: ensure_topics(found.bootstrap, Settings().topic_partitions()))
        yield found
        return
    try:
        cluster = DevCluster(Settings().topic_partitions()).start()
    except ClusterStartError as exc:
        pytest.fail(f"cannot start the embedded dev cluster: {exc}", pytrace=False)
    try:
        yield Servers(cluster.bootstrap, cluster.redis_url, cluster)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_url(servers: Servers) -> str:
    """URL of the session's real Redis (shared: use keys of the test's own)."""
    return servers.redis_url


@pytest.fixture(scope="session")
def kafka_bootstrap(servers: Servers) -> str:
    """Bootstrap servers of the session's real broker."""
    return servers.bootstrap


def unique_topics(prefix: str) -> TopicNames:
    """Every leadq topic name, prefixed so a test's topics are its own."""
    defaults = TopicNames()
    return TopicNames(**{field: f"{prefix}.{name}" for field, name in defaults})


def isolated_settings(bootstrap: str, redis_url: str, data_dir: Path) -> Settings:
    """Settings of one test: own topics, group, web port and data dir; short timeouts."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return Settings().with_changes(
        kafka_bootstrap=bootstrap,
        redis_url=redis_url,
        topics=unique_topics(prefix),
        app_id=f"leadq-test-{prefix}",
        web_port=free_port(),
        data_dir=data_dir,
        broker_session_timeout_s=6.0,
        # The ABM consumer's own group join adds ~3 s to every app's start on the
        # embedded broker; only the tests about ABM signals turn it on.
        abm={"enabled": False},
    )


@pytest.fixture
async def leadq_settings(servers: Servers, tmp_path: Path) -> Settings:
    """Settings isolated to this test (see :func:`isolated_settings`), topics created."""
    settings = isolated_settings(servers.bootstrap, servers.redis_url, tmp_path)
    await ensure_topics(settings.kafka_bootstrap, settings.topic_partitions())
    return settings


def _private_cluster(redis_persistence: bool) -> Iterator[DevCluster]:
    try:
        cluster = DevCluster(
            Settings().topic_partitions(), redis_persistence=redis_persistence
        ).start()
    except ClusterStartError as exc:
        pytest.fail(f"cannot start a private dev cluster: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def private_cluster() -> Iterator[DevCluster]:
    """A dev cluster for this test only, with the default topics."""
    yield from _private_cluster(redis_persistence=False)


@pytest.fixture
def persistent_private_cluster() -> Iterator[DevCluster]:
    """A dev cluster for this test only whose Redis keeps its data across restarts."""
    yield from _private_cluster(redis_persistence=True)


#: Logical Redis databases handed out in turn by :func:`own_redis_database` (0 is left to
#: tests that use the shared database with keys of their own).
_REDIS_DATABASES = itertools.cycle(range(1, 16))


def own_redis_database(redis_url: str) -> str:
    """``redis_url`` pointing at the next logical database of the same server, flushed.

    Tests run one at a time and each flushes its database first, so fifteen in turn are
    enough; a test's leftovers are gone by the time its database comes round again.
    With external servers (``LEADQ_REDIS_URL``) this flushes databases 1-15 there too:
    point the tests only at a Redis they own (a single Redis: a cluster has only db 0).
    """
    parts = urlsplit(redis_url)
    url = urlunsplit(parts._replace(path=f"/{next(_REDIS_DATABASES)}"))
    client = redis.Redis.from_url(url, socket_timeout=5.0)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


@pytest.fixture
def qualifier_settings(leadq_settings: Settings) -> Settings:
    """``leadq_settings`` with a Redis database of this test's own (see the docstring)."""
    return leadq_settings.with_changes(redis_url=own_redis_database(leadq_settings.redis_url))


@pytest.fixture(params=["memory", "redis"])
async def store_kind(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Run the test once on the in-memory store and once on the session's real Redis
    (``tests.harness.new_world`` uses it): the engine's scenarios hold on both."""
    if request.param == "redis":
        harness.use_redis(request.getfixturevalue("redis_url"))
    else:
        harness.use_memory()
    try:
        yield str(request.param)
    finally:
        harness.use_memory()
        await harness.close_clients()
