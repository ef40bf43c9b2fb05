"""Webhook URLs carry their token: logs and dead letters show only a redacted form."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit


def redact_url(url: str) -> str:
    """``https://hooks.example.com/…#1a2b3c4d``: scheme and host, and a fingerprint that
    tells webhooks apart in logs without revealing the path or query (the secret)."""
    parts = urlsplit(url)
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:8]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…#{fingerprint}"
