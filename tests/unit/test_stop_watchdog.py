"""A worker whose clean stop hangs is ended by its watchdog, by the deadline."""

from __future__ import annotations

import subprocess
import sys
import time


def test_the_watchdog_ends_a_process_whose_stop_hangs() -> None:
    code = (
        "import time\n"
        "from agents.worker import _start_stop_watchdog\n"
        "_start_stop_watchdog(0.5)\n"
        "time.sleep(30)  # a stop that hangs\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert time.monotonic() - started < 10
    assert "exiting now" in done.stderr
