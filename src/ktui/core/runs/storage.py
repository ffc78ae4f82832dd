"""Where runs live and what goes wrong with them, said as a user reads it.

The crash-safe writes every run file goes through are :mod:`ktui.core.files`.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ktui.core.files import cause
from ktui.core.text import clean

RUNS_ENV = "KTUI_RUNS_DIR"
DEFAULT_RUNS_DIR = "ktui-runs"


class RunError(Exception):
    """A run directory that cannot be used; the message says which and why (one line)."""


class RunBusy(RunError):
    """The run is being trained by another process (its lock is held); the message says who."""


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """``--runs-dir``, else ``$KTUI_RUNS_DIR``, else ``./ktui-runs``."""
    return Path(explicit or os.environ.get(RUNS_ENV) or DEFAULT_RUNS_DIR)


def _in_the_way(path: Path) -> Path | None:
    """The first component of ``path`` that exists and is not a folder (a file in the way)."""
    for part in reversed((path, *path.parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def cannot(what: str, path: Path, err: OSError,
           hint: str = "choose another place with --runs-dir or $KTUI_RUNS_DIR") -> str:
    """``cannot create the run directory P: Read-only file system; ...`` with a file in the
    way named as such (``FileExistsError`` from ``mkdir -p`` says only "File exists")."""
    blocker = _in_the_way(path) if isinstance(err, (FileExistsError, NotADirectoryError)) \
        else None
    reason = f"{clean(str(blocker))} is a file, not a folder" if blocker else cause(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some space"
    return f"cannot {what} {clean(str(path))}: {reason}; {hint}"
