"""Log lines for people (text, the default) or for collectors (``LEADQ_LOG_FORMAT=json``).

Contract of the JSON format: one object per line, with ``time`` (ISO 8601, UTC, ms),
``level``, ``logger`` and ``message``, plus every field a call passed in ``extra``
(``topic``, ``partition``, ``offset``, ``lead``, ``reason``...) and ``exception`` (the
formatted traceback) when there is one. The text format (``leadq ingest``) appends those
fields as ``key=value`` after the message; a worker's text lines are Faust's own.

Personal data stays out of logs: leadq logs ids and reasons, never names, traits or
payloads, and a lead id or reason that holds an email address is logged through
:func:`safe_id` / :func:`redact`, which replace each address by ``email:<hash>`` (the
first 12 hex digits of its SHA-256): the same address gives the same hash, so lines of
one person can still be found and joined, but the address is not in the log. As a
second line of defence the JSON format also redacts the message and the traceback of
every line (a library's error message may quote an input); extra fields are written as
given, so callers pass ids through :func:`safe_id` and reasons through :func:`redact`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import time
from typing import Any, Final

import orjson

from streams.settings import LogFormat

#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra``.
_STANDARD: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)
_EMAIL: Final = re.compile(r"[^\s@<>()\[\],;:\"'/]+@[^\s@<>()\[\],;:\"'/]+\.[A-Za-z]{2,}")
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _email_ref(match: re.Match[str]) -> str:
    digest = hashlib.sha256(match.group(0).lower().encode()).hexdigest()[:12]
    return f"email:{digest}"


def redact(text: str) -> str:
    """``text`` with every email address replaced by ``email:<hash>`` (module docstring)."""
    return _EMAIL.sub(_email_ref, text) if "@" in text else text


def safe_id(lead_or_key: str | None) -> str | None:
    """A lead id fit for a log line: as is, unless it holds an email address."""
    return None if lead_or_key is None else redact(lead_or_key)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k[0] != "_"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso_utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...`` (fields from ``extra`` appended)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _fields(record)
        if not fields:
            return text
        head, newline, rest = text.partition("\n")  # keep a traceback after the fields
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def _iso_utc(created: float) -> str:
    seconds = int(created)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{int((created - seconds) * 1000):03d}Z"


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def log_handler(log_format: LogFormat, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing ``log_format`` lines."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(log_format))
    return handler


def setup_logging(level: str, log_format: LogFormat, stream: Any = None) -> None:
    """Route every logger of the process to one handler of ``log_format`` lines on
    ``stream`` (stderr by default)."""
    root = logging.getLogger()
    root.handlers.clear()
    root.addHandler(log_handler(log_format, stream))
    root.setLevel(level.upper())
