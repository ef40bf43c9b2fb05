"""Checks a server process runs before it starts: can it reach what its settings name?

Contract: each check returns ``None`` when the thing answers, else one line for a person
saying what is wrong and which ``LEADQ_*`` setting (or option) to change. Kafka and Redis
get until ``deadline_s`` to answer, so a process started beside its servers (compose,
systemd) waits for them rather than failing at once. Secrets never appear in a line:
Redis URLs are shown without their password.
"""

from __future__ import annotations

import asyncio
import socket
import time

from redis.exceptions import AuthenticationError, RedisError

from streams.kafka.admin import wait_for_kafka
from streams.settings import Settings
from streams.state.connect import redacted_url, redis_client


async def kafka_problem(settings: Settings, deadline_s: float) -> str | None:
    """Why the broker does not answer a metadata request within ``deadline_s``, if so."""
    try:
        await wait_for_kafka(settings.kafka_bootstrap, deadline_s, security=settings.kafka)
    except TimeoutError as error:
        # wait_for_kafka's message: "Kafka at X did not answer: <error>[; aiokafka: <why>]".
        why = str(error).partition(" did not answer: ")[2] or repr(error.__cause__)
        return (
            f"Kafka at {settings.kafka_bootstrap} did not answer within {deadline_s:g} s "
            f"({why}); set LEADQ_KAFKA_BOOTSTRAP "
            f"(security: LEADQ_KAFKA__SECURITY_PROTOCOL is {settings.kafka.security_protocol})"
        )
    return None


async def redis_problem(settings: Settings, deadline_s: float) -> str | None:
    """Why Redis does not answer PING within ``deadline_s`` (or refuses the login)."""
    shown = redacted_url(settings.redis_url)
    give_up = time.monotonic() + deadline_s
    while True:
        client = redis_client(settings.redis_url)
        try:
            await client.ping()
            return None
        except AuthenticationError as error:
            return (
                f"Redis at {shown} refused the login ({error}); put the password in "
                "LEADQ_REDIS_URL (redis://:PASSWORD@host:port/db)"
            )
        except (RedisError, OSError) as error:
            if time.monotonic() >= give_up:
                return (
                    f"Redis at {shown} did not answer within {deadline_s:g} s "
                    f"({type(error).__name__}: {error}); set LEADQ_REDIS_URL"
                )
        finally:
            await client.aclose()
        await asyncio.sleep(0.2)


def port_problem(host: str, port: int, setting: str) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, not an address here), if so."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return f"cannot listen on {host}:{port} ({error.strerror or error}); set {setting}"
    return None
