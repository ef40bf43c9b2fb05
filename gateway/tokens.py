"""Mailgun tokens already used, shared by every gateway replica through Redis.

A gateway is stateless and runs as several replicas, so a token seen by one must be
refused by all: each used token is a Redis key ``lq:ingest:mailgun-token:<token>`` set
with ``SET NX EX`` for as long as its timestamp is acceptable (``mailgun_max_age_s``);
past that the timestamp check refuses it anyway, so the key may expire. One key per
webhook of the window: ~100 bytes each in Redis.

Order, for no loss: the handler checks :meth:`used` before producing and calls
:meth:`remember` only after the broker acknowledged the record. A delivery that failed
(503) can therefore be retried by Mailgun with the same token; two concurrent
deliveries of one token may both be produced, which the worker de-duplicates by event
id. Redis unreachable → 503 with ``Retry-After`` (fail closed, Mailgun retries).
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.responses import HttpError

KEY_PREFIX = "lq:ingest:mailgun-token:"


class TokenLedger:
    """Used Mailgun tokens in Redis (see the module docstring)."""

    def __init__(self, redis_url: str, ttl_s: int, retry_after_s: int) -> None:
        self.client = aioredis.Redis.from_url(
            redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s

    async def used(self, token: str) -> bool:
        """Whether ``token`` was already accepted by some replica."""
        try:
            return bool(await self.client.exists(KEY_PREFIX + token))
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def remember(self, token: str) -> None:
        """Record ``token`` as used (its record is acknowledged)."""
        try:
            await self.client.set(KEY_PREFIX + token, b"1", nx=True, ex=self.ttl_s)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from None

    async def close(self) -> None:
        await self.client.aclose()

    def _unavailable(self, error: Exception) -> HttpError:
        return HttpError(
            503,
            "token_store_unavailable",
            f"cannot check Mailgun replay tokens in Redis ({type(error).__name__}); retry",
            {"Retry-After": str(self.retry_after_s)},
        )
