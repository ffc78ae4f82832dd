"""``ktui train --detach``: the same run, trained by a background process no terminal owns.

The spec is checked here first (a bad one exits 2, nothing started); a new run's folder is
made here (so its name can be said at once) and handed to the background ``ktui train``
with the internal ``--into-run FOLDER``, the same arguments otherwise
(:mod:`ktui.core.runs.background` starts it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ktui.cli.errors import EXIT_FAILED, EXIT_OK, Refused, UsageError
from ktui.core import spec as specmod
from ktui.core.runs.rundir import RunDir
from ktui.core.text import clean


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
    from ktui.core.runs.background import EndedAtOnce, start_trainer
    from ktui.core.runs.storage import RunError

    if spec.train.strategy == "multiworker":
        raise UsageError("--detach trains on this machine: start each multiworker process "
                         "yourself (nohup, systemd, a job scheduler)")
    argv = [a for a in getattr(args, "argv", None) or sys.argv[1:] if a != "--detach"]
    try:
        if run is None:
            run = RunDir.create(Path(root), spec)
            argv += ["--into-run", str(run.path.resolve())]
        started = start_trainer(argv, run)
    except EndedAtOnce as err:
        raise Refused(err.code or EXIT_FAILED, str(err)) from None
    except RunError as err:
        raise Refused(EXIT_FAILED, str(err)) from None
    name = clean(run.name)
    print(f"{name}: training in the background (pid {started.pid})\n"
          f"  folder  {clean(str(run.path))}\n"
          f"  log     {clean(str(started.log))}\n"
          f"  watch   ktui watch {name}\n"
          f"  steer   ktui control {name} pause|resume|step|stop|lr X")
    sys.stdout.flush()
    return EXIT_OK
