"""What ``GET /health`` and ``GET /ready`` answer, on a worker and on the ingest gateway.

- ``/health`` (liveness): 200 ``{"status": "alive"}`` while the process serves HTTP at
  all; a supervisor restarts a process that stops answering it. (The gateway's
  ``/health`` predates this and answers like its ``/ready``: see docs/ingest.md.)
- ``/ready`` (readiness): 200 ``{"status": "ready", "checks": {...}}`` when every
  dependency answers (each check says ``"ok"``), else 503 ``{"status": "not_ready",
  "checks": {...}}`` where each failing check holds the reason in words. A balancer or
  an orchestrator sends no traffic to (and a deploy waits for) a process not ready.
"""

from __future__ import annotations

from typing import Literal

from schemas.base import Contract

#: The value of a check that passed; any other value is the reason it failed.
CHECK_OK = "ok"


class Alive(Contract):
    status: Literal["alive"] = "alive"


class Readiness(Contract):
    status: Literal["ready", "not_ready"]
    #: Check name (``broker``, ``redis``, ``partitions``, ``stopping``) → ``"ok"`` or why not.
    checks: dict[str, str]

    @classmethod
    def of(cls, checks: dict[str, str]) -> Readiness:
        ready = all(value == CHECK_OK for value in checks.values())
        return cls(status="ready" if ready else "not_ready", checks=checks)

    @property
    def ready(self) -> bool:
        return self.status == "ready"
