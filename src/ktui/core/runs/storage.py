"""Where runs live, what goes wrong with them, and how their files are written crash-safe.

Logs are appended a whole line at a time (a failed write is cut back, so a full disk never
leaves half a line); everything else is written to a temporary file and renamed over the old
one, so a ``kill -9`` or a full disk leaves every file readable and complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

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


def cause(err: OSError) -> str:
    """An OSError as a reader would say it: ``No space left on device``, not ``[Errno 28]``."""
    return err.strerror or str(err) or type(err).__name__


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


def write_all(fd: int, data: bytes) -> None:
    """Write every byte or none: a failed append (disk full) is cut back to the old size, so
    a log never ends in half a line."""
    size = os.fstat(fd).st_size
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def append_whole(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` whole or not at all (see :func:`write_all`)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        write_all(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename: readers see the old file or the new one, never half of one; a
    failed write (disk full) removes its temporary file and leaves the old one as it was."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


#: What the OS says when a write cannot happen; TensorFlow's errors carry the same words.
_IO_CAUSES = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
              "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES,
              "Input/output error": errno.EIO, "File name too long": errno.ENAMETOOLONG,
              "Stale file handle": errno.ESTALE}


def io_cause(err: BaseException) -> str | None:
    """``No space left on device`` when ``err`` (an OSError or a TF error wrapping one) is
    about a write that the disk refused; None otherwise."""
    if isinstance(err, OSError) and err.errno is not None:
        return cause(err)
    text = str(err)
    return next((c for c in _IO_CAUSES if c in text), None)


def as_oserror(err: BaseException, reason: str) -> OSError:
    """``err`` as the OSError it stands for (a TF error only names the cause in its text)."""
    if isinstance(err, OSError) and err.errno is not None:
        return err
    return OSError(_IO_CAUSES.get(reason, errno.EIO), reason)
