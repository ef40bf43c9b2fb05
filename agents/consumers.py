"""The consumers of the worker's outputs, and how a worker picks which ones it runs.

Each consumer (router, alerts, ABM...) is registered on a worker's Faust app by one
function ``register(app, runtime)``, named below. It reads its topics as a consumer
group of its own (``streams.kafka.group_consumer``: ``<LEADQ_APP_ID>.<name>``), so every
consumer sees every message whatever else the process runs, and its members share the
partitions. ``leadq worker`` runs the qualifier and every consumer that is configured;
``leadq worker --only router`` (or ``--only qualifier,alerts``) runs just those, e.g. as
separate processes scaled on their own.

Adding a consumer is one line here: ``"name": "module:function"``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence

import faust

from agents.runtime import Runtime

log = logging.getLogger("leadq.worker")

#: The worker's own pipeline (normalize, qualify, timers, read API).
QUALIFIER = "qualifier"
#: name → "module:function" registering that consumer on an app.
CONSUMERS: dict[str, str] = {
    "router": "agents.router_app:register_router",
    "alerts": "agents.alerts_app:register_alerts",
    "abm": "agents.abm_consumer:register_abm_consumer",
}

Register = Callable[[faust.App, Runtime], None]


class ConsumerConfigError(RuntimeError):
    """A consumer cannot run with this configuration; the message says what to set."""


def part_names() -> tuple[str, ...]:
    """Everything ``--only`` accepts."""
    return (QUALIFIER, *CONSUMERS)


def check_only(only: Sequence[str]) -> None:
    """Raise ``ConsumerConfigError`` naming any unknown part."""
    unknown = [name for name in only if name not in part_names()]
    if unknown:
        raise ConsumerConfigError(
            f"unknown part(s) {', '.join(unknown)}: choose from {', '.join(part_names())}"
        )


def register_consumers(app: faust.App, runtime: Runtime, only: Sequence[str] | None) -> list[str]:
    """Register the consumers named in ``only`` (``None``: every configured one).

    A consumer named in ``only`` that cannot run raises ``ConsumerConfigError``; one that
    is merely not configured is skipped (logged) when running them all. Returns the names
    registered."""
    started = []
    for name, target in CONSUMERS.items():
        if only is not None and name not in only:
            continue
        module_name, _, function = target.partition(":")
        register: Register = getattr(importlib.import_module(module_name), function)
        try:
            register(app, runtime)
        except ConsumerConfigError as why:
            if only is not None:
                raise
            log.info("consumer %s not started: %s", name, why)
            continue
        started.append(name)
    return started
