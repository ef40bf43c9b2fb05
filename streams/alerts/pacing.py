"""When the next request to one webhook may start: the rate limit, 429s and backoff.

One :class:`Pacer` per webhook URL, used by that webhook's sender only (one request at
a time), so no lock is needed. Times are the event loop's monotonic clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable


class Pacer:
    def __init__(self, interval_s: float) -> None:
        #: Least time from the start of one request to the start of the next.
        self.interval_s = interval_s
        self._next_at = 0.0

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    async def wait(self) -> None:
        """Sleep until a request may start."""
        delay = self._next_at - self.now()
        if delay > 0:
            await asyncio.sleep(delay)

    def started(self) -> None:
        """A request starts now: the next waits at least ``interval_s``."""
        self._next_at = max(self._next_at, self.now() + self.interval_s)

    def hold(self, seconds: float) -> None:
        """No request before ``seconds`` from now (a 429's ``Retry-After``, a backoff)."""
        self._next_at = max(self._next_at, self.now() + seconds)


def backoff_s(
    attempt: int,
    base_s: float,
    max_s: float,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """The wait after failed attempt number ``attempt`` (1, 2...): exponential, capped,
    with "equal jitter" (between half and all of ``base·2^(attempt−1)``) so that the
    workers retrying one webhook after an outage do not all come back at once."""
    ceiling = min(max_s, base_s * 2 ** (attempt - 1))
    return uniform(ceiling / 2, ceiling)
