"""What every agent of one worker shares: settings, the current rules, the pipeline.

The Redis client is created lazily, on the worker's own event loop. Rules are reloaded
without a restart when the rules file changes (``reload_rules``); a file that fails
validation is reported and the current rules stay in force.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from leadq.compiled import CompiledRules, compile_rules
from leadq.qualifier import Qualifier
from leadq.router import Router
from schemas.rules import RulesError, load_rules
from streams.kafka.lanes import BatchAbandoned
from streams.settings import Settings
from streams.state.connect import redis_client
from streams.state.store import RedisStore, Retention

log = logging.getLogger("leadq.worker")
T = TypeVar("T")

#: Errors that mean "Redis is not reachable right now": wait and retry, never drop.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class WorkerStopping(BatchAbandoned):
    """The worker is stopping while a step waits for a server: the step gives up, and its
    batch is left unacknowledged (the partition's next owner reads it again).

    A ``BaseException`` so that no ``except Exception`` (dead-lettering, isolation of a
    failing message) mistakes it for a bad input."""


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules: CompiledRules = compile_rules(load_rules(settings.rules_path))
        self._rules_digest = _digest(settings.rules_path)
        self._store: RedisStore | None = None
        self._router: Router | None = None
        self._qualifier: Qualifier | None = None
        #: Whether the worker is stopping (set by the app: ``app.should_stop``).
        self.stopping: Callable[[], bool] = lambda: False

    @property
    def store(self) -> RedisStore:
        if self._store is None:
            retention = Retention(cold_s=round(self.settings.cold_lead_ttl_days * 86_400))
            self._store = RedisStore(redis_client(self.settings.redis_url), retention=retention)
        return self._store

    @property
    def router(self) -> Router:
        if self._router is None:
            self._router = Router(self.store, self.rules)
        return self._router

    @property
    def qualifier(self) -> Qualifier:
        if self._qualifier is None:
            self._qualifier = Qualifier(self.store, self.rules)
        return self._qualifier

    async def close(self) -> None:
        if self._store is not None:
            await self._store.client.aclose()
            self._store = self._router = self._qualifier = None

    def reload_rules(self) -> bool:
        """Load the rules file again if its content changed; returns whether it did."""
        digest = _digest(self.settings.rules_path)
        if digest == self._rules_digest:
            return False
        self._rules_digest = digest
        try:
            rules = compile_rules(load_rules(self.settings.rules_path))
        except RulesError as error:
            log.error("rules not reloaded, keeping version %s: %s", self.rules.version, error)
            return False
        self.rules = rules
        if self._router is not None:
            self._router.rules = rules
        if self._qualifier is not None:
            self._qualifier.set_rules(rules)
        log.info("rules reloaded: version %s", rules.version)
        return True

    async def until_redis_answers(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """Run ``call``; while Redis is unreachable, wait (backing off to 2 s) and retry.

        The lane holds its batch meanwhile, so nothing is consumed, lost or skipped; a
        worker told to stop gives up waiting (``WorkerStopping``: the batch is re-delivered).
        """
        delay = 0.05
        while True:
            try:
                return await call()
            except REDIS_DOWN as error:
                if self.stopping():
                    raise WorkerStopping(f"{what}: Redis unreachable while stopping") from error
                log.warning(
                    "Redis unreachable during %s (%s); retrying in %.2fs", what, error, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
