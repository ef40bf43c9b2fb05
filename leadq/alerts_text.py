"""Text helpers for Slack-compatible messages (pure): escaping, cutting, plain words.

Slack treats ``&``, ``<`` and ``>`` as control characters in every text object (links,
mentions such as ``<!channel>``, dates), so a value from an event is always escaped as
``&amp;``, ``&lt;``, ``&gt;``: a lead named ``<!channel>`` cannot ping a whole channel.
Nothing else is escaped (Slack decodes only those three entities).
"""

from __future__ import annotations

from datetime import UTC, datetime

ELLIPSIS = "…"


def escape(text: str) -> str:
    """``text`` with Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_escaped(text: str, limit: int) -> str:
    """``text`` escaped, cut (with an ellipsis) so that the escaped form has at most
    ``limit`` characters; an entity is never split."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    size = 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + ELLIPSIS


def plain_rule(name: str) -> str:
    """A rule or persona name in plain words: ``demo-request`` → ``demo request``."""
    return " ".join(name.replace("_", " ").replace("-", " ").replace(".", " ").split())


def ago(then: datetime, now: datetime) -> str:
    """How long before ``now`` ``then`` was, roughly: "just now", "5 min ago", "2 h ago"."""
    seconds = (now - then).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86_400), ("h", 3_600)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds // 60)} min ago"


def slack_date(at: datetime) -> str:
    """A Slack date token: shown in each reader's own time zone, with a UTC fallback."""
    fallback = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
