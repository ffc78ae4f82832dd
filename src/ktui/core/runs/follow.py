"""Following a run's ``events.jsonl`` as it grows: what ``ktui watch`` (and any viewer) reads.

A bounded poll, not a watch on the trainer: the reader opens the file read-only and reads
whatever whole lines were appended since its last poll, so a slow or killed reader never
slows or stops the trainer (which appends with ``O_APPEND`` and knows nothing of readers).
A line still being written waits for its newline; a file replaced underneath (a resumed run
rewinds its log) is read again from the start. Pure Python.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass

from ktui.core.events import Event, from_dict
from ktui.core.runs.rundir import RunDir

#: At most this much is read per poll (a reader far behind catches up over several polls).
CHUNK = 1 << 20


@dataclass
class Line:
    """One line of the log: its text, and its event (None: not an event this ktui reads)."""

    text: str
    event: Event | None


class EventFollower:
    """Reads ``run``'s events.jsonl incrementally; ``from_end`` skips what is there now."""

    def __init__(self, run: RunDir, from_end: bool = False) -> None:
        self.run = run
        self._fd = -1
        self._ino: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        #: Bytes read so far and the file's size at the last poll (how far behind a view is).
        self.size = 0
        #: How many times the file was replaced underneath (a resume rewinding it).
        self.restarts = 0
        if from_end:
            self._open()
            if self._fd >= 0:
                self._offset = os.fstat(self._fd).st_size

    def _open(self) -> None:
        try:
            fd = os.open(self.run.events_file, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return
        st = os.fstat(fd)
        self._fd, self._ino, self._offset, self._partial = fd, (st.st_dev, st.st_ino), 0, b""

    def _replaced(self) -> bool:
        try:
            st = os.stat(self.run.events_file)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) != self._ino or st.st_size < self._offset

    def poll(self) -> list[Line]:
        """The whole lines appended since the last poll (possibly none)."""
        if self._fd >= 0 and self._replaced():
            self.close()
            self.restarts += 1
        if self._fd < 0:
            self._open()
            if self._fd < 0:
                return []
        try:
            data = os.pread(self._fd, CHUNK, self._offset)
            self.size = os.fstat(self._fd).st_size
        except OSError:
            return []
        self._offset += len(data)
        data = self._partial + data
        *whole, self._partial = data.split(b"\n")
        lines = []
        for raw in whole:
            text = raw.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                event = from_dict(json.loads(text))
            except ValueError:
                event = None
            lines.append(Line(text, event))
        return lines

    @property
    def behind(self) -> int:
        """Bytes written by the trainer and not yet read (at the last poll)."""
        return max(self.size - self._offset, 0)

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
