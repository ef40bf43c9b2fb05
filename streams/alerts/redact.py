"""Webhook URLs carry their token: logs and dead letters show only a redacted form."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from schemas.assignment import Assignee, AssignmentEvent, TeamRef


def redact_url(url: str) -> str:
    """``https://hooks.example.com/…#1a2b3c4d``: scheme and host, and a fingerprint that
    tells webhooks apart in logs without revealing the path or query (the secret)."""
    parts = urlsplit(url)
    fingerprint = hashlib.sha256(url.encode()).hexdigest()[:8]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…#{fingerprint}"


def without_webhooks(event: AssignmentEvent) -> AssignmentEvent:
    """``event`` with every webhook URL in it (owner, previous owner, team) redacted."""
    data = event.data

    def hide(who: Assignee | TeamRef | None) -> Assignee | TeamRef | None:
        if who is None or who.webhook_url is None:
            return who
        return who.model_copy(update={"webhook_url": redact_url(who.webhook_url)})

    hidden = {"owner": hide(data.owner), "previous_owner": hide(data.previous_owner)}
    hidden["team"] = hide(data.team)
    return event.model_copy(update={"data": data.model_copy(update=hidden)})
