"""A worker: trials of a study, one after another in this process, until the study has its
trials; and the reaping of trials whose worker died.

TensorFlow is imported once per worker (quietly, :func:`ktui.core.tfenv.import_tf`); memory
grows a few MB a trial, so a worker leaves after :data:`TRIALS_PER_WORKER` trials and the
sweep starts a fresh one. The journal file has no heartbeat: a trial still RUNNING whose
worker process is gone (same host) and whose run's lock nobody holds is failed here, by
every worker before each trial and by ``ktui sweep`` and ``sweep status``.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ktui.core.processes import pid_alive
from ktui.core.runs.lock import lock_held
from ktui.core.sweep.steer import stop_requested, total_trials
from ktui.core.sweep.study import config_of, load, make_pruner, make_sampler, quiet
from ktui.core.sweep.trial import HOST_ATTR, PID_ATTR, REASON_ATTR, RUN_ATTR, Objective

#: Trials one worker process runs before it leaves (memory grows ~3 MB a trial).
TRIALS_PER_WORKER = 40
#: What counts toward the study's trial total (not a queued one): a failed trial is run again
#: (up to the total of failures, so a sweep whose every trial fails still ends).
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


def stale_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """RUNNING trials of this host whose worker is gone and whose run is not locked."""
    host = socket.gethostname()
    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        attrs = t.user_attrs
        if attrs.get(HOST_ATTR) != host or PID_ATTR not in attrs or pid_alive(attrs[PID_ATTR]):
            continue  # another box's (the RDB heartbeat covers it), or its worker lives
        run = attrs.get(RUN_ATTR)
        if isinstance(run, str) and lock_held(Path(run)):
            continue
        out.append(t)
    return out


def fail_stale(study: optuna.Study) -> list[int]:
    """Mark the stale trials failed; their numbers."""
    failed = []
    for t in stale_trials(study):
        try:
            study._storage.set_trial_user_attr(  # noqa: SLF001 - no public way for a
                t._trial_id, REASON_ATTR,       # trial another process began
                f"its worker (pid {t.user_attrs.get(PID_ATTR)}) died")
            study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
        except (RuntimeError, ValueError):
            continue  # finished meanwhile
        failed.append(t.number)
    return failed


def remaining(study: optuna.Study, total: int) -> int:
    """How many trials are still to start (0 once enough ran, or failed)."""
    trials = study.get_trials(deepcopy=False)
    counted = sum(t.state in COUNTED for t in trials)
    failed = sum(t.state == TrialState.FAIL for t in trials)
    return 0 if failed >= total else max(0, total - counted)


def run_worker(url: str, study_name: str, runs_root: Path, worker: int | None = None,
               max_trials: int = TRIALS_PER_WORKER, isolate: bool = False,
               train_args: Sequence[str] = ()) -> int:
    """Run trials of the study until it has its total (or ``max_trials`` here); how many
    this worker ran. ``isolate``: each trial a ``ktui train`` subprocess given
    ``train_args`` (the study's own setting may ask for it too)."""
    from ktui.core.tfenv import import_tf

    quiet()
    # A failed trial's traceback is Optuna's warning; its reason is in the trial, and the
    # sweep prints it.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    config = config_of(load(url, study_name))
    isolate = isolate or config.isolate
    if not isolate:  # trials here: TensorFlow once, quietly (an isolated trial's process
        import_tf()  # imports its own; this one then never touches a GPU)
    study = load(url, study_name, sampler=make_sampler(config, worker),
                 pruner=make_pruner(config.pruner))
    fail_stale(study)
    if stop_requested(study) or not remaining(study, total_trials(study)):
        return 0
    ran = 0

    def enough(study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
        nonlocal ran
        ran += 1
        fail_stale(study)
        # The total and a stop are read again: the sweep view adds trials or stops the sweep.
        if stop_requested(study) or not remaining(study, total_trials(study)) \
                or ran >= max_trials:
            study.stop()

    objective = Objective(config, runs_root, isolate, train_args)
    study.optimize(objective, callbacks=[enough], catch=(RuntimeError,), gc_after_trial=False)
    return ran
