"""Run ``python -m cli worker`` as a child process (for the demo and tests).

Contract: the child gets the parent's environment plus ``settings.to_env()``, so it runs
with exactly ``settings`` whatever ``LEADQ_*`` the parent had. It is stopped like any
:class:`~streams.process.ServerProcess`: SIGTERM (Faust finishes in-flight batches and
commits), then SIGKILL after the timeout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from streams.process import ServerProcess
from streams.settings import Settings

#: A Faust worker needs a few seconds to flush, commit and leave its group.
WORKER_STOP_TIMEOUT_S = 20.0


def worker_process(settings: Settings, workdir: Path, name: str = "leadq worker") -> ServerProcess:
    """A not-yet-started worker child logging to ``workdir/<app id>-<web port>.log``."""
    env = {**os.environ, **settings.to_env()}
    log_path = workdir / f"{settings.app_id}-{settings.web_port}.log"
    argv = [sys.executable, "-m", "cli", "worker"]
    return ServerProcess(name, argv, log_path, Path.cwd(), env=env)
