"""Starting a run's trainer as a background process no terminal owns.

``ktui train --detach`` and the TUI's "train in the background" both end here: the process is
``sys.executable -m ktui train ...`` (no shell, no reliance on ``PATH``) in its own session
(no SIGHUP when the terminal closes), stdin from /dev/null, stdout and stderr appended to
``RUN/train.log``. It listens on the run's control socket like any trainer, so ``ktui
watch``, the runs list and ``ktui control`` reach it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ktui.core.runs.lock import lock_held
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.storage import RunError
from ktui.core.text import clean

LOG_NAME = "train.log"
#: How long a start waits for the background process to hold the run's lock (so a watcher
#: right after finds it training); a slower start is said, not waited for.
START_WAIT_S = 20.0


class EndedAtOnce(RunError):
    """The background process ended before it held the run (its exit code is ``code``)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Started:
    """A background trainer that was started: its pid and the log it writes to."""

    pid: int
    log: Path
    #: Whether it held the run's lock within the wait (False: still starting, say so).
    holding: bool


def start_trainer(argv: Sequence[str], run: RunDir,
                  wait_s: float = START_WAIT_S) -> Started:
    """Run ``ktui ARGV`` in the background for ``run``; return once it holds the run's lock
    (or ``wait_s`` passed).

    Raises:
        RunError: The process could not be started.
        EndedAtOnce: It ended at once (the message holds its exit code and the end of its
            log).
    """
    log = run.path / LOG_NAME
    try:
        with open(log, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "ktui", *argv],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    close_fds=True)
    except OSError as err:
        raise RunError(f"cannot start the background process: {err.strerror or err}") \
            from None
    deadline = time.monotonic() + wait_s
    while proc.poll() is None and not lock_held(run.path) and time.monotonic() < deadline:
        time.sleep(0.05)
    code = proc.poll()
    holding = bool(lock_held(run.path))
    if code is not None and not holding:
        raise EndedAtOnce(f"the background run ended at once (exit {code}); "
                          f"{clean(str(log))} says:\n{log_tail(log)}", code)
    return Started(proc.pid, log, holding)


def train_argv(run: RunDir, root: Path, layer_files: Sequence[Path] = (),
               data_dir: str | None = None) -> list[str]:
    """``ktui train`` arguments that train ``run`` (made with its spec.toml) in the
    background: the spec, the folder, the runs root, and the user's layer files and data
    folder when there are some."""
    argv = ["train", "--spec", str(run.spec_file.resolve()), "--into-run",
            str(run.path.resolve()), "--runs-dir", str(Path(root).resolve())]
    for path in layer_files:
        argv += ["--layers", str(Path(path).resolve())]
    if data_dir:
        argv += ["--data-dir", str(data_dir)]
    return argv


def log_tail(log: Path, lines: int = 12) -> str:
    """The last lines of a background run's log, cleaned for a terminal."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(unreadable)"
    return clean("\n".join(text.splitlines()[-lines:]), keep_newlines=True)


__all__ = ["LOG_NAME", "START_WAIT_S", "EndedAtOnce", "Started", "log_tail", "start_trainer",
           "train_argv"]
