"""Crash-safe file writes, for every file ktui writes (runs, layer-file copies, logs).

Logs are appended a whole line at a time (a failed write is cut back, so a full disk never
leaves half a line); everything else is written to a temporary file and renamed over the old
one, so a ``kill -9`` or a full disk leaves every file readable and complete. An OS error is
said as a reader would say it (:func:`cause`, :func:`io_cause`).
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path


def cause(err: OSError) -> str:
    """An OSError as a reader would say it: ``No space left on device``, not ``[Errno 28]``."""
    return err.strerror or str(err) or type(err).__name__


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
