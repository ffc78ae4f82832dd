"""``ktui train --detach``: the same run, trained by a background process no terminal owns.

The spec is checked here first (a bad one exits 2, nothing started); a new run's folder is
made here (so its name can be said at once) and handed to the background ``ktui train``
with the internal ``--into-run FOLDER``. That process is ``sys.executable -m ktui train ...``
(the same arguments, no shell, no reliance on ``PATH``) in its own session (no SIGHUP when
the terminal closes), stdin from /dev/null, stdout and stderr appended to ``RUN/train.log``.
It listens on ``RUN/control.sock`` like any trainer: ``ktui watch`` and ``ktui control``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from ktui.cli.errors import EXIT_FAILED, EXIT_OK, Refused, UsageError
from ktui.core import spec as specmod
from ktui.core.runs.rundir import RunDir
from ktui.core.text import clean

LOG_NAME = "train.log"
#: How long ``--detach`` waits for the background process to hold the run's lock (so a
#: ``ktui watch`` right after finds it training); a slow start is said, not waited for.
START_WAIT_S = 20.0


def into_run(args: argparse.Namespace) -> RunDir | None:
    """The background process's run folder (``--into-run``), made by ``--detach``."""
    folder = getattr(args, "into_run", None)
    if not folder:
        return None
    run = RunDir(Path(folder))
    if not run.spec_file.is_file():
        raise UsageError(f"--into-run {clean(folder)}: not a run folder made by --detach")
    return run


def detach(args: argparse.Namespace, spec: specmod.ExperimentSpec, root: os.PathLike,
           run: RunDir | None) -> int:
    """Start the background ``ktui train``; say the run's name, folder and how to watch it."""
    from ktui.core.runs.lock import lock_held
    from ktui.core.runs.storage import RunError

    if spec.train.strategy == "multiworker":
        raise UsageError("--detach trains on this machine: start each multiworker process "
                         "yourself (nohup, systemd, a job scheduler)")
    argv = [a for a in getattr(args, "argv", None) or sys.argv[1:] if a != "--detach"]
    if run is None:
        try:
            run = RunDir.create(Path(root), spec)
        except RunError as err:
            raise Refused(EXIT_FAILED, str(err)) from None
        argv += ["--into-run", str(run.path.resolve())]
    log = run.path / LOG_NAME
    try:
        with open(log, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "ktui", *argv],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    close_fds=True)
    except OSError as err:
        raise Refused(EXIT_FAILED, f"cannot start the background process: "
                      f"{err.strerror or err}") from None
    deadline = time.monotonic() + START_WAIT_S
    while proc.poll() is None and not lock_held(run.path) and time.monotonic() < deadline:
        time.sleep(0.05)
    code = proc.poll()
    if code is not None and not lock_held(run.path):
        tail = _tail(log)
        raise Refused(code or EXIT_FAILED, f"the background run ended at once (exit {code}); "
                      f"{clean(str(log))} says:\n{tail}")
    name = clean(run.name)
    print(f"{name}: training in the background (pid {proc.pid})\n"
          f"  folder  {clean(str(run.path))}\n"
          f"  log     {clean(str(log))}\n"
          f"  watch   ktui watch {name}\n"
          f"  steer   ktui control {name} pause|resume|step|stop|lr X")
    sys.stdout.flush()
    return EXIT_OK


def _tail(log: Path, lines: int = 12) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(unreadable)"
    return clean("\n".join(text.splitlines()[-lines:]), keep_newlines=True)
