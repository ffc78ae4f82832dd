"""Where a run's data came from: path, size, modification time and a SHA-256 of the content.

A run records it in ``summary.json`` (``data``) when it starts, so ``ktui train --resume``
can refuse to continue on a file that changed since (a resumed model would silently train on
other data). The hash is streamed, 1 MiB at a time; a folder of images hashes its files'
relative paths and contents in sorted order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ktui.core.datasets.base import DataError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DataSource:
    """A file's (or folder's) identity: ``summary.json``'s ``data``."""

    path: str
    #: Bytes (a folder: of the files it holds that are used).
    size: int
    #: Seconds since the epoch (a folder: its newest file's).
    mtime: float
    sha256: str
    files: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stream(digest: Any, path: Path) -> None:
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)


def fingerprint(path: str | Path, files: Iterable[Path] | None = None) -> DataSource:
    """The identity of a file, or of the ``files`` under folder ``path`` (those a loader
    reads), by content.

    Raises:
        DataError: A file cannot be read (the message names it).
    """
    root = Path(path).expanduser()
    digest = hashlib.sha256()
    try:
        if files is None:
            info = root.stat()
            _stream(digest, root)
            return DataSource(str(root.resolve()), info.st_size, info.st_mtime,
                              digest.hexdigest())
        size, newest, count = 0, 0.0, 0
        for file in sorted(files):
            info = file.stat()
            rel = os.fsencode(file.relative_to(root))
            digest.update(len(rel).to_bytes(4, "big") + rel + info.st_size.to_bytes(8, "big"))
            _stream(digest, file)
            size, newest, count = size + info.st_size, max(newest, info.st_mtime), count + 1
    except OSError as err:
        raise DataError(f"{err.filename or root}: cannot read ({err.strerror or err})") \
            from None
    return DataSource(str(root.resolve()), size, newest, digest.hexdigest(), count)


def source_change(recorded: Any, current: DataSource) -> str | None:
    """Why the data is not what a run recorded (``summary.json``'s ``data``), or None when it
    is the same content (a copy with a new time stamp is the same data)."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("sha256"), str):
        return None  # nothing recorded (a run of built-in data, or an older ktui)
    if recorded["sha256"] == current.sha256:
        return None
    then = recorded.get("size")
    sizes = (f"{then:,} bytes then, {current.size:,} now" if isinstance(then, int)
             and then != current.size else "the same size, other content")
    return (f"the data {current.path} has changed since the run started ({sizes}; sha256 "
            f"{recorded['sha256'][:12]}… then, {current.sha256[:12]}… now)")
