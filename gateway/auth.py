"""Who sent a request: write keys (Segment, RudderStack, PostHog) and HTTP basic auth.

Every failure is a 401 :class:`HttpError` whose message names what was missing or wrong
but never echoes a credential. Comparisons of secrets run in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from gateway.responses import HttpError
from streams.settings import TrackingChannel

#: Sent with a 401 for basic auth, as RFC 7617 asks.
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="leadq ingest"'}


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic …`` header; None when there is no
    header or it is another scheme; 401 when it is Basic but unreadable."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HttpError(
            401, "unauthorized", "the Authorization header is not valid Basic auth"
        ) from None
    user, _, password = decoded.partition(":")
    return user, password


def channel_of_key(write_keys: Mapping[str, TrackingChannel], key: str | None) -> TrackingChannel:
    """The channel a write key feeds; 401 when there is none or it is unknown."""
    if not key:
        raise HttpError(
            401,
            "unauthorized",
            "no write key: send it as the Basic auth user name (empty password) or as "
            "writeKey / api_key in the body",
        )
    channel = write_keys.get(key)
    if channel is None:
        raise HttpError(401, "invalid_write_key", "the write key is not one this gateway knows")
    return channel


def require_basic(header: str | None, expected: SecretStr) -> None:
    """Pass only when ``header`` carries exactly ``expected`` (``user:password``)."""
    credentials = basic_credentials(header)
    if credentials is None:
        raise HttpError(401, "unauthorized", "HTTP basic auth required", BASIC_CHALLENGE)
    given = ":".join(credentials).encode()
    if not hmac.compare_digest(given, expected.get_secret_value().encode()):
        raise HttpError(401, "unauthorized", "wrong basic auth credentials", BASIC_CHALLENGE)
