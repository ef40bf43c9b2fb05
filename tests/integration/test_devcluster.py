"""The embedded dev cluster: real servers that answer, topics sized, restarts, errors."""

from __future__ import annotations

import socket

import pytest
import redis

from streams.devcluster import ClusterStartError, DevCluster, run_async
from streams.kafka.admin import describe_partitions, ensure_topics
from streams.settings import Settings
from tests.conftest import Servers

pytestmark = pytest.mark.integration


def test_servers_answer_and_topics_have_final_partitions(servers: Servers) -> None:
    settings = Settings()
    counts = run_async(lambda: describe_partitions(servers.bootstrap, settings.topics.all()))
    assert counts == settings.topic_partitions()
    assert redis.Redis.from_url(servers.redis_url).ping()


def test_ensure_topics_creates_exact_counts_and_rejects_mismatch(servers: Servers) -> None:
    wanted = {"devcluster.one": 1, "devcluster.seven": 7}
    run_async(lambda: ensure_topics(servers.bootstrap, wanted))
    assert run_async(lambda: describe_partitions(servers.bootstrap, wanted)) == wanted
    with pytest.raises(RuntimeError, match="unexpected partition counts"):
        run_async(lambda: ensure_topics(servers.bootstrap, {"devcluster.one": 2}))


def test_restart_redis_keeps_port_and_loses_keys(private_cluster: DevCluster) -> None:
    client = redis.Redis.from_url(private_cluster.redis_url)
    client.set("k", "v")
    old_pid = private_cluster.redis.pid
    private_cluster.restart_redis()
    assert private_cluster.redis.pid != old_pid
    assert client.get("k") is None  # the client reconnects to the same port
    client.close()


def test_restart_broker_recreates_topics(private_cluster: DevCluster) -> None:
    private_cluster.create_topics({"devcluster.extra": 3})
    private_cluster.restart_broker()
    counts = run_async(
        lambda: describe_partitions(private_cluster.bootstrap, private_cluster.topics)
    )
    assert counts == private_cluster.topics


def test_stop_leaves_no_process_behind() -> None:
    cluster = DevCluster({"t": 1}).start()
    processes = [cluster.broker, cluster.redis]
    cluster.stop()
    cluster.stop()  # idempotent
    assert not any(process.running() for process in processes)


def test_start_failure_names_the_server_and_shows_its_log() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        cluster = DevCluster({"t": 1}, kafka_port=busy.getsockname()[1])
        with pytest.raises(ClusterStartError, match=r"kafka broker[\s\S]*last log lines"):
            cluster.start()
    assert not cluster.broker.running()
    assert not cluster.redis.running()
