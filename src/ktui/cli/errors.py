"""How a ``ktui`` command ends: exit codes, the two ways a command refuses, and writing to a
stderr or stdout that may be gone (an SSH session that dropped, ``| head``)."""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments or spec: printed without a traceback, exit 2."""


class Refused(Exception):
    """A command cannot go on: ``message`` (one line) goes to stderr, ``code`` is the exit
    status (1: the run directory cannot be used now; 2: the request makes no sense)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def say(text: str) -> None:
    """Write to stderr, which may be gone (an SSH session that dropped): never raise."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of a broken
    stdout (``| head``, a dead terminal) cannot print "Exception ignored" noise."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)
