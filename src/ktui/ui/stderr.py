"""Keep TensorFlow's C++ warnings off the screen the TUI draws on."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

from ktui.ui.safety import cache_dir


@contextlib.contextmanager
def native_stderr_to_log() -> Iterator[None]:
    """Let Textual draw on a private copy of the terminal's stderr, and point file
    descriptor 2 at a log file while the app runs.

    TensorFlow's C++ runtime writes warnings straight to fd 2, whatever Python's
    ``sys.stderr`` is; on the terminal Textual draws on (stderr), they would tear the
    screen. Textual takes ``sys.__stderr__`` when the app is created, so it must be swapped
    before. The log is ``$XDG_CACHE_HOME/ktui/native-stderr.log`` (or ~/.cache/...).
    """
    if not sys.__stderr__ or not sys.__stderr__.isatty():
        yield
        return
    cache = cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(cache / "native-stderr.log",
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        log_fd = os.open(os.devnull, os.O_WRONLY)
    original = sys.__stderr__
    tty_fd = os.dup(2)
    tty = os.fdopen(tty_fd, "w", encoding=original.encoding, errors=original.errors)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.__stderr__ = sys.stderr = tty
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            tty.flush()
        os.dup2(tty_fd, 2)
        sys.__stderr__ = sys.stderr = original
        with contextlib.suppress(OSError):
            tty.close()


__all__ = ["native_stderr_to_log"]
