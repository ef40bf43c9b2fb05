"""Canary: the Faust, mode and aiokafka internals leadq's batch lanes rely on are there.

``streams/kafka`` (lanes, transport, outlet) and ``agents/worker.py`` use private
attributes of faust-streaming, mode-streaming and aiokafka (a fetch is handed to a lane
whole; a producer sends record batches; a stop gets a deadline). pyproject.toml pins the
ranges the tests ran on; on any other version this test names each attribute that is
missing and who uses it, instead of a worker failing at run time.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import aiokafka
import faust
import pytest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer

from streams.kafka.app import create_app
from streams.settings import Settings

#: (owner, attribute, who relies on it)
CLASS_ATTRIBUTES: list[tuple[Any, str, str]] = [
    (Consumer, "_drain_messages", "streams/kafka/transport.py overrides it"),
    (Consumer, "_wait_next_records", "streams/kafka/transport.py"),
    (Consumer, "_to_message", "streams/kafka/transport.py"),
    (Consumer, "_add_gap", "streams/kafka/transport.py"),
    (Consumer, "perform_seek", "streams/kafka/transport.py"),
    (Consumer, "wait_first", "streams/kafka/transport.py"),
    (Consumer, "_new_consumer_thread", "streams/kafka/transport.py overrides it"),
    (AIOKafkaConsumerThread, "_create_worker_consumer", "streams/kafka/transport.py"),
    (faust.App, "FlowControlQueue", "streams/kafka/lanes.py"),
    (faust.App, "consumer_generation_id", "streams/kafka/lanes.py"),
    (faust.Worker, "_schedule_shutdown", "agents/worker.py overrides it"),
]
#: Attributes set on instances (checked on a consumer and producer built, not started).
CONSUMER_ATTRIBUTES = [
    "_unacked_messages",
    "_read_offset",
    "_buffered_partitions",
    "_commit_every",
    "_n_acked",
    "flow_active",
    "suspend_flow",
    "consumer_stopped_errors",
    "_stopped",  # a mode Service's stop event (the fetcher's, in streams/kafka/transport.py)
    "_committed_offset",  # consumer lag on /metrics (agents/ops_pages.py)
]


def _missing(owner: Any, attribute: str) -> bool:
    return not hasattr(owner, attribute) and attribute not in getattr(owner, "__dict__", {})


def _versions() -> str:
    names = ("faust-streaming", "mode-streaming", "aiokafka")
    return ", ".join(f"{name} {version(name)}" for name in names)


def test_the_framework_classes_have_what_the_lanes_use() -> None:
    missing = [f"{o.__name__}.{a} ({who})" for o, a, who in CLASS_ATTRIBUTES if _missing(o, a)]
    assert not missing, (
        f"{_versions()} lack internals leadq's lanes rely on: {'; '.join(missing)}. "
        "Use the versions pyproject.toml pins, or port streams/kafka to this release."
    )


async def test_a_built_consumer_and_producer_have_what_the_lanes_use() -> None:
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:9"))
    consumer: Any = app.consumer
    missing = [f"Consumer.{a}" for a in CONSUMER_ATTRIBUTES if not hasattr(consumer, a)]
    thread_consumer = consumer._thread._create_worker_consumer(consumer.transport)
    if not hasattr(thread_consumer, "_fetch_max_wait_ms"):
        missing.append("AIOKafkaConsumer._fetch_max_wait_ms (streams/kafka/transport.py)")
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers="127.0.0.1:9")
    if not hasattr(producer, "_partitioner"):
        missing.append("AIOKafkaProducer._partitioner (streams/kafka/outlet.py)")
    if not hasattr(app.producer, "_ensure_producer"):
        missing.append("faust Producer._ensure_producer (streams/kafka/outlet.py)")
    if not hasattr(app.web.blueprints, "_enabled"):
        missing.append("faust BlueprintManager._enabled (streams/kafka/app.py)")
    assert not missing, f"{_versions()} lack internals leadq's lanes rely on: {missing}"


@pytest.mark.parametrize("name", ["faust-streaming", "mode-streaming", "aiokafka"])
def test_the_installed_versions_are_in_the_pinned_ranges(name: str) -> None:
    pinned = {"faust-streaming": "0.15.", "mode-streaming": "0.7.", "aiokafka": "0.14."}
    assert version(name).startswith(pinned[name]), (
        f"{name} {version(name)} is outside the range pyproject.toml pins (tested: {pinned[name]}x)"
    )


def test_the_canary_notices_a_missing_attribute() -> None:
    assert not _missing(Consumer, "_add_gap")  # inherited counts as present
    assert _missing(type("Bare", (), {}), "_add_gap")
