"""Running a gateway: start-up checks, serving, and a clean stop.

:func:`running_gateway` (tests, the benchmark, the demo) and :func:`serve` (``leadq
ingest``) both start the same way: wait for the broker (up to
``LEADQ_INGEST__STARTUP_TIMEOUT_S``), check that the inbound and dead-letter topics
exist (a metadata request naming a missing topic would have some brokers create it
with a default partition count that can never be changed), start the producer, listen.
On stop the listener closes first and in-flight requests finish (their records
acknowledged and answered) before the producer stops: a stop loses nothing answered 2xx.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from gateway.app import build_app
from gateway.context import Context
from streams.kafka.admin import describe_partitions, wait_for_kafka
from streams.settings import Settings

log = logging.getLogger("leadq.gateway")
#: How long in-flight requests get to finish when the gateway stops.
SHUTDOWN_TIMEOUT_S = 15.0


class GatewayStartError(RuntimeError):
    """The gateway cannot start; the message says why, for people."""


@dataclass(frozen=True)
class RunningGateway:
    url: str
    context: Context


async def check_topics(settings: Settings, deadline_s: float) -> None:
    """Raise ``GatewayStartError`` unless the broker answers and the topics exist."""
    topics = settings.topics
    wanted = [topics.web, topics.product, topics.email, topics.dead_letter]
    try:
        await wait_for_kafka(settings.kafka_bootstrap, deadline_s, security=settings.kafka)
        found = await describe_partitions(settings.kafka_bootstrap, wanted, settings.kafka)
    except Exception as error:
        raise GatewayStartError(
            f"cannot reach Kafka at {settings.kafka_bootstrap} (LEADQ_KAFKA_BOOTSTRAP): {error}"
        ) from error
    missing = [name for name in wanted if name not in found]
    if missing:
        raise GatewayStartError(f"topics missing on {settings.kafka_bootstrap}: {missing}")


@asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    """A gateway listening on ``settings.ingest.host:port`` for the block."""
    await check_topics(settings, settings.ingest.startup_timeout_s)
    ctx = Context.build(settings)
    await ctx.producer.start()
    runner = web.AppRunner(
        build_app(ctx), access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S
    )
    try:
        await runner.setup()
        site = web.TCPSite(runner, settings.ingest.host, settings.ingest.port, backlog=1024)
        await site.start()
        yield RunningGateway(f"http://{settings.ingest.host}:{settings.ingest.port}", ctx)
    finally:
        await runner.cleanup()
        await ctx.producer.stop()
        if ctx.tokens is not None:
            await ctx.tokens.close()


async def serve(settings: Settings, announce: bool = True) -> None:
    """Run until SIGTERM or SIGINT (``leadq ingest``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_gateway(settings) as gateway:
        if announce:
            print(f"leadq ingest: listening on {gateway.url} ({describe(settings)})", flush=True)
        await stop.wait()
        log.info("stopping: finishing in-flight requests")


def describe(settings: Settings) -> str:
    """What is configured, without a single secret."""
    ingest = settings.ingest
    channels = sorted(set(ingest.write_keys.values()))
    verifiers = [
        name
        for name, value in (
            ("sendgrid", ingest.sendgrid_public_key),
            ("mailgun", ingest.mailgun_signing_key),
            ("postmark", ingest.postmark_basic_auth),
            ("hubspot", ingest.hubspot_client_secret),
        )
        if value
    ]
    return (
        f"{len(ingest.write_keys)} write key(s) for {', '.join(channels) or 'no channel'}; "
        f"webhooks: {', '.join(verifiers) or 'none'}; broker {settings.kafka_bootstrap}"
    )
