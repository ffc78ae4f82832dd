"""``ktui sweep ... --view``: the sweep starts in the background and its view opens here.

The workers' supervisor is ``python -m ktui sweep join --storage URL --study NAME`` with
this sweep's workers (no shell), in its own session as ``ktui train --detach`` starts a
trainer (:mod:`ktui.core.runs.background`): stdin from /dev/null, its lines appended to
``RUNS/.sweeps/STUDY.log``, no SIGHUP when the terminal closes. The view follows the study;
leaving it while the sweep runs asks whether to stop the sweep or leave it running (Ctrl+C
leaves it running: it never throws work away).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ktui.cli.errors import EXIT_FAILED, EXIT_OK, Refused, say
from ktui.cli.sweep_run import Workers
from ktui.core.sweep.study import SWEEPS_DIR
from ktui.core.text import clean


def log_path(root: Path, study: str) -> Path:
    return root / SWEEPS_DIR / f"{study}.log"


def start_supervisor(url: str, study: str, workers: Workers, root: Path) -> subprocess.Popen:
    """The sweep's supervisor (and so its workers), detached from this terminal."""
    argv = [sys.executable, "-m", "ktui", "sweep", "join", "--storage", url, "--study", study,
            "--workers", str(workers.count), "--runs-dir", str(root), *workers.args]
    log = log_path(root, study)
    try:  # (it finds the same GPUs as this process, and shares them out the same way)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    close_fds=True)
    except OSError as err:
        raise Refused(EXIT_FAILED, f"cannot start the sweep in the background: "
                      f"{err.strerror or err}") from None


def view_while_running(study, url: str, workers: Workers, root: Path,  # noqa: ANN001
                       runs_dir: str | None) -> int:
    """Start the sweep in the background, open its view; what became of it, said after."""
    from ktui.ui.sweep_app import run_sweep_view

    name = study.study_name
    proc = start_supervisor(url, name, workers, root)
    app = run_sweep_view(study, url, runs_dir, running=lambda: proc.poll() is None)
    log = clean(str(log_path(root, name)))
    if proc.poll() is not None:
        from ktui.core.sweep.report import status_lines
        from ktui.core.sweep.study import config_of

        print("\n".join(status_lines(study, config_of(study), url)), flush=True)
        say(f"ktui: the sweep's log: {log}\n")
    elif app.choice == "stop":
        say(f"ktui: sweep {clean(name)} stops: no trial starts now, each running trial "
            f"stops after its batch (pid {proc.pid}; log {log})\n")
    else:
        say(f"ktui: sweep {clean(name)} goes on in the background (pid {proc.pid}; log "
            f"{log})\n  follow  ktui sweep view --storage {clean(url)} --study {clean(name)}"
            f"\n  status  ktui sweep status --storage {clean(url)} --study {clean(name)}\n")
    return app.return_code or EXIT_OK
