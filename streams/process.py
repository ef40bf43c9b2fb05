"""A child server process that this program started and alone is allowed to stop.

Contract: :class:`ServerProcess` only ever signals the pid it spawned itself. ``stop()``
sends SIGTERM, waits, then SIGKILLs; it is idempotent. On Linux the child also gets
SIGKILL from the kernel if this process dies without cleaning up, so a crashed test run
never leaves servers behind. Output goes to a log file whose tail is used in errors.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel for SIGKILL when our parent exits."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ServerProcess:
    """One long-running server binary, started by :meth:`start`, stopped by :meth:`stop`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        cwd: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.cwd = cwd
        #: The child's whole environment; ``None`` inherits ours.
        self.env = dict(env) if env is not None else None
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    def start(self) -> None:
        """Spawn the server (appending to its log). Call from the thread that owns it:
        the parent-death signal fires when the *spawning thread* exits."""
        if self.running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session: a terminal's Ctrl-C reaches only us; we stop it in order.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM our pid, wait up to ``timeout`` s, then SIGKILL; return the exit code.
        Safe to call twice, and a no-op for a process that already exited."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            return self.exit_code()
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout)
        return popen.returncode

    def signal(self, number: int) -> None:
        """Send ``number`` (e.g. SIGTERM, SIGINT) to our pid, if it still runs."""
        if self._popen is not None and self._popen.poll() is None:
            self._popen.send_signal(number)

    def wait(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` s for our pid to exit; its exit code, or None."""
        if self._popen is None:
            return None
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def pause(self) -> None:
        """SIGSTOP our pid: the server freezes (connections stay open, nothing answers)."""
        if self._popen is not None and self._popen.poll() is None:
            self._popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT our pid after :meth:`pause`."""
        if self._popen is not None and self._popen.poll() is None:
            self._popen.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL our pid without a chance to clean up (crash tests)."""
        if self._popen is not None and self._popen.poll() is None:
            self._popen.kill()
            self._popen.wait()

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines the server wrote, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def describe(self) -> str:
        return f"{self.name} (pid {self.pid}, {' '.join(self.argv)}, log {self.log_path})"
