"""``leadq demo``: sample events through a real worker, Kafka and Redis, end to end.

Steps: use the servers named by ``LEADQ_KAFKA_BOOTSTRAP`` + ``LEADQ_REDIS_URL`` (both set)
or start the embedded dev cluster; start ``leadq worker`` as a child; send the sample
events one by one, each after the previous one's output (routing record or dead-letter
record, matched by source topic/partition/offset) arrived, all within one deadline;
print those outputs as JSON lines on stdout; stop the worker and the cluster. Progress
and per-event latency go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import orjson
from aiokafka import AIOKafkaProducer

from streams.dead_letter import REASON_HEADER
from streams.devcluster import DevCluster, run_async
from streams.kafka_admin import ensure_topics
from streams.process import ServerProcess, free_port
from streams.settings import Settings
from streams.topic_reader import Record, TopicReader
from streams.worker_process import WORKER_STOP_TIMEOUT_S, worker_process

SAMPLE_EVENTS = Path(__file__).resolve().parent.parent / "docs" / "sample-events.jsonl"
EXTERNAL_ENV = ("LEADQ_KAFKA_BOOTSTRAP", "LEADQ_REDIS_URL")
#: Where a record came from: (topic, partition, offset).
Source = tuple[str, int, int]


class DemoError(RuntimeError):
    """The demo could not complete; the message says why."""


@dataclass(frozen=True)
class Sample:
    """One sample event: the channel (topic) it goes to and its exact bytes."""

    channel: str
    payload: bytes


def load_samples(path: Path) -> list[Sample]:
    """Read ``{"channel": ..., "event": {...}}`` or ``{"channel": ..., "raw": "..."}`` lines."""
    samples = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            item = orjson.loads(line)
            payload = item["raw"].encode() if "raw" in item else orjson.dumps(item["event"])
            samples.append(Sample(item["channel"], payload))
    return samples


@contextlib.contextmanager
def demo_servers(settings: Settings, log: TextIO) -> Iterator[Settings]:
    """Settings pointing at external servers (both env vars set) or an embedded cluster."""
    given = [name for name in EXTERNAL_ENV if os.environ.get(name)]
    if len(given) == len(EXTERNAL_ENV):
        print(f"using {settings.kafka_bootstrap} and {settings.redis_url}", file=log)
        run_async(lambda: ensure_topics(settings.kafka_bootstrap, settings.topic_partitions()))
        yield settings
    elif given:
        raise DemoError(f"set both {' and '.join(EXTERNAL_ENV)}, or neither (only {given[0]})")
    else:
        with DevCluster(settings.topic_partitions()) as cluster:
            print(f"embedded cluster: kafka {cluster.bootstrap}, {cluster.redis_url}", file=log)
            yield settings.with_changes(
                kafka_bootstrap=cluster.bootstrap, redis_url=cluster.redis_url
            )


def source_of(record: Record, settings: Settings) -> Source | None:
    """The inbound coordinates an output record answers (routing JSON or DLQ headers)."""
    if record.topic == settings.topics.dead_letter:
        h = record.headers
        return (
            h["leadq.source.topic"].decode(),
            int(h["leadq.source.partition"]),
            int(h["leadq.source.offset"]),
        )
    try:
        src = orjson.loads(record.value or b"{}")["source"]
        return (str(src["topic"]), int(src["partition"]), int(src["offset"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None  # not a record of the first pipeline


def render(record: Record, settings: Settings) -> bytes:
    """One JSON line for a routing or dead-letter record."""
    if record.topic == settings.topics.dead_letter:
        reason = record.headers.get(REASON_HEADER, b"").decode()
        original = (record.value or b"").decode("utf-8", "replace")
        return orjson.dumps({"dead_letter": {"reason": reason, "original": original}})
    return record.value or b"{}"


async def drive(
    settings: Settings, samples: Sequence[Sample], worker: ServerProcess, deadline_s: float
) -> list[Record]:
    """Send the samples one at a time, each once the previous one's output has arrived,
    so per-lead counts read in order; return the outputs in sending order."""
    give_up = time.monotonic() + deadline_s
    topics = [settings.topics.routing, settings.topics.dead_letter]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        async with TopicReader(settings.kafka_bootstrap, topics) as reader:
            return [
                await _send_and_await(settings, producer, reader, sample, worker, give_up)
                for sample in samples
            ]
    finally:
        await producer.stop()


async def _send_and_await(
    settings: Settings,
    producer: AIOKafkaProducer,
    reader: TopicReader,
    sample: Sample,
    worker: ServerProcess,
    give_up: float,
) -> Record:
    sent_at = time.monotonic()
    topic = settings.topics.model_dump()[sample.channel]
    meta = await producer.send_and_wait(topic, sample.payload)
    source = (meta.topic, meta.partition, meta.offset)

    def arrived(records: Sequence[Record]) -> bool:
        return any(source_of(r, settings) == source for r in records)

    records = await reader.read_until(arrived, give_up - sent_at, alive=worker.running)
    took_ms = (time.monotonic() - sent_at) * 1000
    print(
        f"{sample.channel:8} {source[1]}:{source[2]:<4} -> output in {took_ms:6.1f} ms",
        file=sys.stderr,
    )
    return next(r for r in records if source_of(r, settings) == source)


def run_demo(settings: Settings, samples_path: Path, deadline_s: float) -> int:
    """Run the whole demo (see the module docstring); return the exit code."""
    log = sys.stderr
    samples = load_samples(samples_path)
    with (
        tempfile.TemporaryDirectory(prefix="leadq-demo-") as tmp,
        demo_servers(settings, log) as live,
    ):
        worker_settings = live.with_changes(web_port=free_port(), data_dir=tmp)
        worker = worker_process(worker_settings, Path(tmp))
        worker.start()
        try:
            print(f"worker pid {worker.pid}; sending {len(samples)} sample events", file=log)
            outputs = asyncio.run(drive(live, samples, worker, deadline_s))
        except (TimeoutError, RuntimeError) as error:
            raise DemoError(f"{error}\n--- worker log ---\n{worker.log_tail(40)}") from error
        finally:
            code = worker.stop(WORKER_STOP_TIMEOUT_S)
            print(f"worker stopped (exit code {code})", file=log)
    for record in outputs:
        sys.stdout.buffer.write(render(record, settings) + b"\n")
    sys.stdout.flush()
    return 0
