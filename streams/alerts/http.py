"""One POST of a message to a webhook, and what its answer means for a retry.

Contract: :func:`post_message` never raises for an HTTP or network failure; it returns
an :class:`Answer`: ``delivered`` (2xx), ``retry_after`` (429: Slack's rate limit, with
the wait its ``Retry-After`` header asks for, seconds or an HTTP date), ``transient``
(5xx, a timeout, a refused or broken connection: worth retrying with backoff) or
``permanent`` (any other status: 4xx such as a revoked webhook's 404/410 or Slack's
400 ``invalid_payload``, redirects, which are not followed, and a URL that is not
http(s)). Reasons never contain
the URL (it carries a secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

import aiohttp

Verdict = Literal["delivered", "retry_after", "transient", "permanent"]
#: The part of an error answer's body kept in a reason (Slack's answers are short codes).
BODY_CHARS = 120
UNUSABLE_URL = "not a usable http(s) webhook URL"


@dataclass(frozen=True, slots=True)
class Answer:
    verdict: Verdict
    reason: str
    status: int | None = None
    #: For ``retry_after``: seconds to wait (``None``: the header was missing or invalid).
    wait_s: float | None = None


async def post_message(
    session: aiohttp.ClientSession, url: str, body: bytes, timeout_s: float
) -> Answer:
    """POST ``body`` (JSON) to ``url`` once (see the module docstring)."""
    if not usable_url(url):
        return Answer("permanent", UNUSABLE_URL)
    try:
        async with session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as response:
            text = (await response.text(errors="replace"))[:BODY_CHARS]
            return judge(response.status, text, response.headers.get("Retry-After"))
    except TimeoutError:
        return Answer("transient", f"no answer within {timeout_s:g}s")
    except aiohttp.ClientError as error:
        return Answer("transient", f"connection failed: {type(error).__name__}")


def usable_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def judge(status: int, body: str, retry_after: str | None) -> Answer:
    """The verdict on an HTTP answer."""
    said = f"HTTP {status}" + (f" {body.strip()!r}" if body.strip() else "")
    if 200 <= status < 300:
        return Answer("delivered", said, status)
    if status == 429:
        return Answer("retry_after", said, status, parse_retry_after(retry_after))
    if status >= 500:
        return Answer("transient", said, status)
    return Answer("permanent", said, status)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
