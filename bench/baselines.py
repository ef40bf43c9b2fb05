"""The baselines (a), (b), (c): each runs in a child process of its own.

- ``raw``: a plain aiokafka consumer (no group, every inbound partition assigned) that
  decodes each value with orjson and does nothing else: the ceiling for Python. One
  pass over a small workload takes a few tens of ms, so it reads the topics again from
  the beginning (``--pass-size`` records per pass) until it has ``--expect`` records.
- ``noop``: a Faust agent on the inbound topics that does nothing per event: Faust's
  own floor.
- ``naive``: the obvious Faust agent: decode each event with orjson and await one Redis
  script call (a decayed-score update) per event.

All three run on uvloop when ``LEADQ_UVLOOP`` is on (the default), and the Faust ones
are built by ``streams.kafka.app.create_app`` from the same settings as leadq's worker, so
only the per-event design differs. The child reads its settings from ``LEADQ_*`` like
the worker, counts events until ``--expect``, then writes one JSON object to
``--result``: ``count``, ``errors`` (values that are not JSON), ``first``/``last``
(wall clock when the first event arrived and when the last one was done) and ``cpu_s``
(this process's CPU time in between). At the first event it also creates
``<result>.started``, so the parent can read the broker's and Redis's CPU counters
then. The parent then stops it.

``python -m bench.baselines {raw,noop,naive} --expect N --result FILE``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from streams.settings import Settings

KINDS = ("raw", "noop", "naive")

#: The naive agent's per-event script: a decayed score per key, S·2^(−Δt/h) + p.
NAIVE_SCRIPT = """
local state = redis.call('HMGET', KEYS[1], 's', 't')
local now, points, half_life = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local score = tonumber(state[1]) or 0
local at = tonumber(state[2]) or now
if now >= at then
  score = score * math.pow(2, -(now - at) / half_life) + points
  at = now
else
  score = score + points * math.pow(2, -(at - now) / half_life)
end
redis.call('HSET', KEYS[1], 's', tostring(score), 't', tostring(at))
return tostring(score)
"""
HALF_LIFE_MS = 14 * 86_400_000


class Progress:
    """Counts events; when ``expect`` are done, writes the result file once."""

    def __init__(self, expect: int, result: Path) -> None:
        self.expect = expect
        self.result = result
        self.count = 0
        self.errors = 0
        self.first = 0.0
        self.cpu_first = 0.0

    def start(self) -> None:
        if self.first == 0.0:
            self.first = time.time()
            self.cpu_first = time.process_time()
            # Tells the parent to read the servers' CPU counters now.
            self.result.with_suffix(".started").touch()

    def done(self, events: int = 1, errors: int = 0) -> None:
        before = self.count
        self.count += events
        self.errors += errors
        if before < self.expect <= self.count:
            report = {
                "count": self.count,
                "errors": self.errors,
                "first": self.first,
                "last": time.time(),
                "cpu_s": time.process_time() - self.cpu_first,
            }
            partial = self.result.with_suffix(".partial")
            partial.write_bytes(orjson.dumps(report))
            partial.rename(self.result)  # the parent never reads half a file


# ---------------------------------------------------------------- (a) raw consumer
async def run_raw(settings: Settings, progress: Progress, pass_size: int) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers(),
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in settings.topics.inbound()
            for p in range(settings.partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        this_pass = 0
        while progress.count < progress.expect:
            if this_pass >= pass_size:  # the whole workload read: read it again
                await consumer.seek_to_beginning(*partitions)
                this_pass = 0
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                this_pass += len(records)
                progress.start()
                errors = 0
                for record in records:
                    try:
                        orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        errors += 1
                progress.done(len(records), errors)
        await asyncio.Event().wait()  # until the parent stops us
    finally:
        await consumer.stop()


# ------------------------------------------------------------- (b), (c) Faust agents
def noop_agent(progress: Progress) -> Any:
    async def noop(stream: AsyncIterator[bytes]) -> None:
        async for _ in stream:
            progress.start()
            progress.done()

    return noop


def naive_agent(settings: Settings, progress: Progress) -> Any:
    async def naive(stream: Any) -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(settings.redis_url, socket_timeout=5.0)
        script = client.register_script(NAIVE_SCRIPT)
        async for value in stream:
            progress.start()
            event = stream.current_event
            try:
                orjson.loads(value)
            except orjson.JSONDecodeError:
                progress.done(errors=1)
                continue
            key = b"naive:" + (event.message.key or b"-")
            at_ms = int(event.message.timestamp * 1000)
            await script(keys=[key], args=[at_ms, 1.0, HALF_LIFE_MS])
            progress.done()

    return naive


def run_faust(kind: str, settings: Settings, progress: Progress) -> int:
    import faust

    from streams.kafka.app import create_app
    from streams.kafka.topics import declare_topics

    if settings.uvloop:
        import mode.loop

        mode.loop.use("uvloop")
    app = create_app(settings)
    topics = declare_topics(app, settings)
    agent = noop_agent(progress) if kind == "noop" else naive_agent(settings, progress)
    app.agent(topics.inbound, name=kind)(agent)
    worker = faust.Worker(app, loglevel=settings.log_level.upper(), redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--expect", type=int, required=True, help="events to count")
    parser.add_argument("--result", type=Path, required=True, help="JSON result file")
    parser.add_argument(
        "--pass-size", type=int, default=0, help="raw: records in the topics (re-read after)"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    progress = Progress(args.expect, args.result)
    if args.kind != "raw":
        return run_faust(args.kind, settings, progress)
    if settings.uvloop:
        import uvloop

        uvloop.run(run_raw(settings, progress, args.pass_size or args.expect))
    else:
        asyncio.run(run_raw(settings, progress, args.pass_size or args.expect))
    return 0


if __name__ == "__main__":
    sys.exit(main())
