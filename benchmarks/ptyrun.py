"""Running the real app in a pseudo-terminal: start it, read and time its output, quit it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Textual switches to the alternate screen before it draws its first frame.
ALT_SCREEN = b"\x1b[?1049h"


@dataclass
class PtyRun:
    """Output of a program in a pty: each read as (seconds since launch, bytes)."""

    chunks: list[tuple[float, int]] = field(default_factory=list)
    head: bytearray = field(default_factory=bytearray)  # the first bytes, for frame detection
    returncode: int | None = None
    rusage_maxrss_kb: int = 0
    killed: bool = False

    @property
    def total_bytes(self) -> int:
        return sum(n for _, n in self.chunks)

    def bytes_between(self, t0: float, t1: float) -> int:
        return sum(n for t, n in self.chunks if t0 <= t < t1)


class Pty:
    """A child process on a ``cols``×``rows`` pseudo-terminal."""

    def __init__(self, argv: list[str], *, cols: int = 120, rows: int = 40,
                 env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
                    "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     env=full_env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.run = PtyRun()
        self._eof = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def pump(self, timeout: float) -> bool:
        """Read what is there within ``timeout`` s; False at end of output."""
        if self._eof:
            return False
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            self._eof = True
            return False
        self.run.chunks.append((self.elapsed(), len(data)))
        if len(self.run.head) < 1 << 20:
            self.run.head += data
        return True

    def read_until(self, done: Callable[[PtyRun], bool], timeout: float) -> bool:
        """Pump output until ``done(run)`` or ``timeout`` s; whether ``done`` came true."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if done(self.run):
                return True
            if not self.pump(min(0.05, end - time.perf_counter())) and self.proc.poll() is not None:
                return done(self.run)
        return done(self.run)

    def send(self, keys: bytes) -> None:
        with _suppress_oserror():
            os.write(self.master, keys)

    def close(self, quit_keys: bytes = b"q", grace: float = 8.0) -> PtyRun:
        """Ask the app to quit (``quit_keys``, then ctrl+c), reap it, and return the record.

        Never leaves the child behind: after ``grace`` seconds it is killed (and ``killed``
        says so).
        """
        if self.proc.poll() is None and quit_keys:
            self.send(quit_keys)
        deadline = time.perf_counter() + grace
        sent_ctrl_c = False
        while self.proc.poll() is None and time.perf_counter() < deadline:
            self.pump(0.05)
            if not sent_ctrl_c and time.perf_counter() > deadline - grace / 2:
                self.send(b"\x03")
                sent_ctrl_c = True
        if self.proc.poll() is None:
            self.run.killed = True
            with _suppress_oserror():
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._reap()
        while self.pump(0.0):  # drain what is left
            pass
        os.close(self.master)
        return self.run

    def _reap(self) -> None:
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.run.rusage_maxrss_kb = usage.ru_maxrss
        except ChildProcessError:
            self.proc.wait()
        self.run.returncode = self.proc.returncode


class _suppress_oserror:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


def python() -> str:
    return sys.executable
