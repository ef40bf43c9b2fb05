"""One line a person can act on for every mistake a ``leadq`` command can meet.

Contract: :func:`describe` turns an exception into a single line that says what is wrong
and which argument or setting to change (a missing file, a bad ``LEADQ_*`` setting, an
invalid rules file, Kafka or Redis not answering), or returns ``None`` for an exception
that is not a user mistake. ``cli.main`` prints that line (or, for ``None``, the
exception's own one-line text with a hint to run again with ``--debug``) and exits
non-zero; only ``--debug`` shows the traceback. Nothing here prints a secret: Redis URLs
are shown without their password.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: The environment variable behind each top-level settings field a person sets most.
KAFKA_SETTING = "LEADQ_KAFKA_BOOTSTRAP"
REDIS_SETTING = "LEADQ_REDIS_URL"


class UserError(Exception):
    """A mistake the user can fix; its message is already the one line to print."""


def one_line(text: str) -> str:
    """``text`` with its lines joined by ``; `` (what a terminal shows as one line)."""
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def describe(error: BaseException) -> str | None:
    """The line for ``error`` if it is a known user mistake, else ``None``."""
    for kinds, render in _describers():
        if isinstance(error, kinds):
            return one_line(render(error))
    return None


def _describers() -> list[tuple[tuple[type[BaseException], ...], Callable[[Any], str]]]:
    # Imported here: the pure commands must not load redis or aiokafka just to start.
    from aiokafka.errors import KafkaConnectionError, KafkaError
    from pydantic import ValidationError
    from pydantic_settings import SettingsError
    from redis.exceptions import AuthenticationError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from schemas.rules import RulesError

    return [
        ((UserError,), str),
        ((RulesError,), rules_problem),
        ((ValidationError,), settings_problem),
        ((SettingsError,), unparsable_setting),
        ((AuthenticationError,), lambda e: f"Redis refused the login: {e} (set {REDIS_SETTING}"
         " to redis://:PASSWORD@host:port/db)"),
        ((RedisConnectionError, RedisTimeoutError), lambda e: f"cannot reach Redis: {e} "
         f"(set {REDIS_SETTING})"),
        ((KafkaConnectionError, KafkaError), lambda e: f"cannot reach Kafka: {e} "
         f"(set {KAFKA_SETTING} and the LEADQ_KAFKA__* security settings)"),
        ((OSError,), file_problem),
    ]  # fmt: skip


def rules_problem(error: Any) -> str:
    """The first problem of a rules file and how to see them all."""
    problems: list[str] = error.problems
    more = len(problems) - 1
    tail = f" (and {more} more: leadq rules check {error.path})" if more > 0 else ""
    return f"rules file {error.path}: {problems[0] if problems else 'invalid'}{tail}"


def settings_problem(error: Any) -> str:
    """A pydantic validation error as the ``LEADQ_*`` variable to fix (settings), or
    as the field path (any other model). A value is shown unless it may be a secret."""
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    if error.title != "Settings":
        return f"invalid {error.title}: {'.'.join(location) or 'input'}: {first['msg']}"
    name = "LEADQ_" + "__".join(location).upper() if location else "LEADQ_*"
    given = first.get("input")
    secret = any(word in name for word in SECRET_WORDS)
    shown = "" if secret or not location or isinstance(given, dict) else f" (got {given!r})"
    return f"bad setting {name}: {first['msg']}{shown}"


#: A setting whose name holds one of these is never echoed back.
SECRET_WORDS = ("PASSWORD", "KEY", "AUTH", "TOKEN", "SECRET", "URL")


def unparsable_setting(error: Exception) -> str:
    """pydantic-settings could not parse a variable (JSON of a nested setting, say)."""
    found = re.search(r'field "(\w+)"', str(error))
    name = f"LEADQ_{found.group(1).upper()}" if found else "LEADQ_*"
    return f"bad setting {name} (or one of its {name}__* variables): {error}"


def file_problem(error: OSError) -> str:
    """A file or network error as what could not be used and why."""
    reason = error.strerror or str(error) or type(error).__name__
    if error.filename is not None:
        return f"cannot use {error.filename}: {reason}"
    return reason
