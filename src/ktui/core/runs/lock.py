"""The lock that says a run is live: an exclusive ``flock`` on ``RUN/.lock`` while training.

The lock file says who holds it (pid, host, since, by), so a second ``ktui train --resume``
can say ``RUN is in use by pid 1234 on HOST since 12:03 (ktui train)``; the kernel drops the
lock when the holder dies (even by ``kill -9``), which is how a listing tells a live
``running`` run from an interrupted one, without trusting pids.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktui.core.runs.storage import RunBusy, RunError, cannot
from ktui.core.runs.summary import is_number
from ktui.core.text import clean

LOCK_NAME = ".lock"
#: How long a lock is retried before the run is declared busy: a listing that probes the lock
#: holds it for microseconds and must not make a starting run fail.
LOCK_WAIT_S = 0.5


@dataclass
class _Held:
    fd: int
    count: int


#: Locks this process holds, by resolved run path. flock conflicts between two open files of
#: one process too, so a second acquire here (the CLI, then the session) must reuse the first.
_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


def this_process() -> str:
    """This process as its user typed it, ``ktui train --preset linear-gd``, cut short."""
    argv = list(sys.argv) or ["ktui"]
    first = Path(argv[0]).name
    argv[0] = "ktui" if first in ("__main__.py", "-m", "") or first.startswith("ktui") else first
    words = " ".join(argv)
    return words if len(words) <= 80 else words[:79] + "…"


def holder_text(data: dict[str, Any]) -> str:
    """``pid 1234 on HOST since 12:03 (ktui train)`` from the lock file's JSON."""
    pid, host, by = data.get("pid"), data.get("host"), data.get("by")
    since = data.get("since")
    words = f"pid {pid}" if isinstance(pid, int) else "another process"
    if isinstance(host, str) and host:
        words += f" on {clean(host)}"
    if is_number(since):
        same_day = time.strftime("%Y%m%d", time.localtime(since)) == time.strftime("%Y%m%d")
        words += " since " + time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M",
                                           time.localtime(since))
    if isinstance(by, str) and by:
        words += f" ({clean(by)})"
    return words


class RunLock:
    """An exclusive ``flock`` on ``<path>/.lock`` for as long as a process trains into the
    run; re-entrant within a process. ``name`` is the run's name for messages."""

    def __init__(self, path: Path, name: str, by: str | None = None) -> None:
        self.path, self.name, self.by = path, name, by or this_process()
        self._key: Path | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunBusy` (held elsewhere) / :class:`RunError`."""
        if self._key is not None:
            return
        key = self.path.resolve()
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None:
                held.count += 1
                self._key = key
                return
            try:
                fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                             0o644)
            except OSError as err:
                raise RunError(cannot("use the run directory", self.path, err,
                                      "it must be writable to train into it")) from None
            try:
                self._flock(fd)
            except BaseException:
                os.close(fd)
                raise
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
                    "by": self.by}
            with contextlib.suppress(OSError):  # a full disk: locked, just unsigned
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
            _HELD[key] = _Held(fd, 1)
            self._key = key

    def _flock(self, fd: int) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunBusy(f"{clean(self.name)} is in use by "
                                  f"{holder_text(_read_holder(fd))}; wait for it or stop "
                                  "it") from None
                time.sleep(0.05)
            except OSError as err:
                raise RunError(cannot("lock the run directory", self.path, err,
                                      "its file system must support flock")) from None

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is None:
                return
            held.count -= 1
            if held.count:
                return
            del _HELD[key]
            with contextlib.suppress(OSError):
                os.ftruncate(held.fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_holder(path: Path) -> dict[str, Any]:
    """Who holds (or last held) the run's lock, as its lock file says: ``pid``, ``host``,
    ``since``, ``by``; {} when unsigned or unreadable (see :func:`lock_held` for whether
    it is held now)."""
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        return _read_holder(fd)
    finally:
        os.close(fd)


def lock_held(path: Path) -> bool | None:
    """Whether some process holds the run's lock; None when the run has no lock file (an
    older ktui) or it cannot be probed. Probing takes a shared lock for an instant."""
    with _HELD_GUARD:
        if path.resolve() in _HELD:
            return True
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
