"""The process that watches a sweep's workers: it starts K worker processes (``python -m ktui
sweep join --worker-index I``, each in its own session, so a Ctrl+C reaches them once,
forwarded from here), prints a line per trial as it ends, fails trials whose worker died,
starts a fresh worker when one leaves while trials remain (a worker leaves after a few dozen
trials: memory), and prints the study at the end."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ktui.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, say
from ktui.core.sweep.study import SweepConfig, config_of, load
from ktui.core.text import clean

#: How often the study is read (under 1 ms for a journal of hundreds of trials).
POLL_S = 0.5
#: A worker that exits with an error is replaced at most this many times per worker slot.
RESTARTS = 3


@dataclass(frozen=True)
class Workers:
    """How this box's workers start: how many, the arguments each gets besides the study
    (``--layers F``, ``--isolate``) and the GPU ids they share, one each
    (:mod:`ktui.core.sweep.gpus`; none: every worker sees what this process sees)."""

    count: int
    args: tuple[str, ...] = ()
    gpus: tuple[str, ...] = ()

    def argv(self, url: str, study: str, index: int, root: Path) -> list[str]:
        return [sys.executable, "-m", "ktui", "sweep", "join", "--storage", url, "--study",
                study, "--worker-index", str(index), "--runs-dir", str(root), *self.args]

    def env(self, slot: int) -> dict[str, str] | None:
        from ktui.core.sweep.gpus import worker_env

        return worker_env(self.gpus, slot)


def _spawn(workers: Workers, url: str, study: str, slot: int, index: int, root: Path
           ) -> subprocess.Popen:
    return subprocess.Popen(workers.argv(url, study, index, root), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, start_new_session=True,
                            env=workers.env(slot))


def supervise(url: str, study_name: str, workers: Workers, root: Path, config: SweepConfig,
              start: bool = True) -> int:
    """Run the worker processes until the study has its trials; the exit code."""
    from ktui.core.sweep.report import status_lines, trial_line
    from ktui.core.sweep.steer import stop_requested, total_trials
    from ktui.core.sweep.worker import fail_stale, remaining

    study = load(url, study_name)
    offset = 1000 * (int(time.time()) % 1000) if not start else 0  # a join: other seeds
    procs = {i: _spawn(workers, url, study_name, i, offset + i, root)
             for i in range(workers.count)}
    crashes = dict.fromkeys(procs, 0)
    told = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while procs:
            try:
                for number in fail_stale(study):
                    say(f"ktui: trial {number} failed: its worker died\n")
                for t in study.get_trials(deepcopy=False):
                    if t.state.is_finished() and t.number not in told:
                        told.add(t.number)
                        print(trial_line(t, config), flush=True)
                for i, proc in list(procs.items()):
                    code = proc.poll()
                    if code is None:
                        continue
                    del procs[i]
                    if code != 0 and not interrupted:
                        crashes[i] += 1
                        say(f"ktui: worker {i} exited with code {code}\n")
                    if not interrupted and crashes[i] <= RESTARTS and not \
                            stop_requested(study) and remaining(study, total_trials(study)):
                        procs[i] = _spawn(workers, url, study_name, i,
                                          offset + i + 100 * crashes[i], root)
                time.sleep(POLL_S)
            except KeyboardInterrupt:
                if interrupted:
                    raise
                interrupted = True
                say("ktui: interrupted: each worker stops its trial after the batch "
                    "(again to leave at once)\n")
                for proc in procs.values():
                    with contextlib.suppress(OSError):
                        proc.send_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
    fail_stale(study)
    config = config_of(study)  # its total as it ended (the sweep view may have added trials)
    print("", *status_lines(study, config, url), sep="\n", flush=True)
    if interrupted:
        return EXIT_INTERRUPTED
    done = any(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
    if not done:
        say(f"ktui: no trial of {clean(study_name)} completed\n")
    return EXIT_OK if done else EXIT_FAILED


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
