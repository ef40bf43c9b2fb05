"""A Redis client for a URL: a single Redis, or a Redis Cluster (``redis+cluster://``)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from streams.state.scripts import Client

CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
#: Every command waits at most this long for an answer (a frozen Redis is noticed).
SOCKET_TIMEOUT_S = 5.0


def redis_client(url: str) -> Client:
    """A client that returns bytes; ``redis+cluster://host:port`` starts from one node
    of a Redis Cluster and discovers the others."""
    for scheme in CLUSTER_SCHEMES:
        if url.startswith(scheme):
            plain = url.replace("+cluster", "", 1)
            return RedisCluster.from_url(
                plain, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=2.0
            )
    return Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=2.0)


def redacted_url(url: str) -> str:
    """``url`` as logs and messages may show it: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
