"""One trial: the base spec with the trial's values, trained in this process as an ordinary
run (:func:`ktui.core.session.start_run`), each epoch's monitored value reported to the
trial, the run stopped when the pruner says so (its reason in ``summary.json``:
``stopped: pruned at epoch 3: val_loss 1.1000 > median 0.9900``).

The sink runs on ktui's trainer thread and only queues the epoch and end events; this
thread reports to Optuna. A diverged run (non-finite loss) returns ``inf`` (``-inf`` when
maximizing), which Optuna keeps as a result the sampler learns from; a NaN would fail the
trial. Every trial's run carries ``sweep`` in its ``summary.json``: the study, the trial's
number and its parameters.
"""

from __future__ import annotations

import math
import os
import queue
import socket
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna

from ktui.core import spec as specmod
from ktui.core.events import EpochDone, RunFailed, RunFinished
from ktui.core.runs.metrics_log import epoch_row
from ktui.core.spec.model import MAX_NAME
from ktui.core.sweep.isolated import TrialProcess, TrialProcessDied
from ktui.core.sweep.space import Param, apply_values
from ktui.core.sweep.study import SweepConfig, stopped_why
from ktui.core.text import metric_text
from ktui.core.training.stopping import monitored

#: Trial user attributes: where its run is, and the worker that trains it (stale trials).
RUN_ATTR, PID_ATTR, HOST_ATTR, REASON_ATTR = "run_dir", "pid", "host", "reason"


def suggest(trial: optuna.Trial, params: list[Param]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for p in params:
        if p.kind == "choice":
            values[p.path] = trial.suggest_categorical(p.path, list(p.choices))
        elif p.kind == "int":
            values[p.path] = trial.suggest_int(p.path, int(p.low), int(p.high),
                                               step=p.step or 1)
        else:
            values[p.path] = trial.suggest_float(p.path, float(p.low), float(p.high),
                                                 log=p.kind == "log")
    return values


def trial_name(study: str, number: int) -> str:
    tail = f"-t{number:03d}"
    return study[: MAX_NAME - len(tail)] + tail


def trial_spec(config: SweepConfig, study: str, number: int, values: dict[str, Any]
               ) -> specmod.ExperimentSpec:
    from ktui.core.user_layers import resolve_shapes

    data = apply_values(config.spec, values)
    data["name"] = trial_name(study, number)
    spec = specmod.parse_spec(data)
    resolve_shapes(spec)  # your layers' output shapes (TensorFlow; only for a layer file)
    return specmod.check(spec)


def sweep_block(study: str, number: int, values: dict[str, Any], **more: Any) -> dict[str, Any]:
    """``summary.json``'s ``sweep``: the study, the trial's number and parameters."""
    return {"study": study, "trial": number, "params": values, **more}


def prune_reason(trial: optuna.Trial, config: SweepConfig, epoch: int, value: float) -> str:
    """Why the pruner stopped the trial, in words: ``pruned at epoch 3: val_loss 1.1000 >
    median 0.9900``."""
    head = f"pruned at epoch {epoch}"
    kind = config.pruner.get("kind")
    if kind == "median":
        done = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        at = [t.intermediate_values[epoch] for t in done if epoch in t.intermediate_values]
        at = [v for v in at if math.isfinite(v)]
        if at:
            sign = "<" if config.direction == "maximize" else ">"
            return (f"{head}: {config.metric} {metric_text(value)} {sign} median "
                    f"{metric_text(statistics.median(at))}")
    if kind == "hyperband":
        return (f"{head} by hyperband: {config.metric} {metric_text(value)} not among the "
                "best of its bracket")
    return f"{head}: {config.metric} {metric_text(value)}"


def stopped_reason(trial: optuna.Trial, epoch: int, why: str) -> str:
    """A run stopped from outside (the sweep view's ``p`` or ``s``, ``ktui control RUN
    stop``): its trial counts as pruned, since a partial curve is no result to learn from."""
    if stopped_why(trial.study.user_attrs):
        return f"stopped with the sweep at epoch {epoch}"
    return f"pruned by hand at epoch {epoch}" + (f" ({why})" if why else "")


class Objective:
    """Optuna's objective: one trial per call, trained into ``runs_root``."""

    def __init__(self, config: SweepConfig, runs_root: Path, isolate: bool = False,
                 train_args: Sequence[str] = ()) -> None:
        self.config, self.runs_root = config, runs_root
        self.params = config.space()
        self.sign = -1.0 if config.direction == "maximize" else 1.0
        #: Each trial a ``ktui train`` subprocess given ``train_args`` (``--layers F``).
        self.isolate = isolate or config.isolate
        self.train_args = list(train_args)

    def __call__(self, trial: optuna.Trial) -> float:
        from ktui.core.runs.rundir import RunDir

        trial.set_user_attr(PID_ATTR, os.getpid())
        trial.set_user_attr(HOST_ATTR, socket.gethostname())
        study = trial.study.study_name
        values = suggest(trial, self.params)
        spec = trial_spec(self.config, study, trial.number, values)
        run = RunDir.create(self.runs_root, spec)
        run.write_summary({"sweep": sweep_block(study, trial.number, values)})
        trial.set_user_attr(RUN_ATTR, str(run.path.resolve()))
        if self.isolate:
            try:
                handle = events = control = TrialProcess(run, self.runs_root, self.train_args)
            except TrialProcessDied as err:
                run.write_summary({"status": "failed", "reason": str(err)})
                return self._result(trial, run, values, math.inf, "", None, err)
        else:
            handle, events, control = self._start_here(spec, run)
        try:
            best, pruned, final = self._follow(trial, handle, events, control)
        except BaseException:  # Ctrl+C, a storage error: the run stops, saved, then we go
            control.stop("the sweep was interrupted")
            handle.join(30)
            raise
        handle.join()
        if not pruned and isinstance(final, RunFinished) and final.status == "stopped":
            pruned = stopped_reason(trial, final.epochs_done, control.stop_reason)
        elif pruned and self.isolate:  # its trainer recorded who asked: the worker's pid
            run.write_summary({"reason": f"stopped: {pruned}"})
        error = handle.error
        if isinstance(error, TrialProcessDied):  # it could not say so itself
            run.write_summary({"status": "failed", "reason": str(error)})
        return self._result(trial, run, values, best, pruned, final, error)

    @staticmethod
    def _start_here(spec: specmod.ExperimentSpec, run: Any) -> tuple[Any, queue.Queue, Any]:
        """The trial trained in this process: its handle, its events, its control."""
        from ktui.core.session import start_run
        from ktui.core.training.control import TrainerControl

        events: queue.Queue = queue.Queue()

        def sink(event: object) -> None:  # the trainer's thread: queue, nothing more
            if isinstance(event, (EpochDone, RunFinished, RunFailed)):
                events.put(event)

        control = TrainerControl()
        return start_run(spec, [sink], run=run, control=control), events, control

    def _follow(self, trial: optuna.Trial, handle: Any, events: queue.Queue,
                control: Any) -> tuple[float, str, RunFinished | RunFailed | None]:
        best, pruned, final = math.inf, "", None
        while final is None:
            try:
                event = events.get(timeout=0.5)
            except queue.Empty:
                if handle.done and events.empty():
                    break  # the trainer crashed without a last event: handle.error says why
                continue
            if not isinstance(event, EpochDone):
                final = event
                continue
            value = monitored(epoch_row(event), self.config.metric)
            if pruned or value is None:
                continue  # a NaN ends the run as failed (nan): reported below
            best = min(best, self.sign * value)
            trial.report(value, event.epoch)
            if trial.should_prune():
                pruned = prune_reason(trial, self.config, event.epoch, self.sign * best)
                control.stop(pruned)  # after this batch; the run ends "stopped", saved
        return best, pruned, final

    def _result(self, trial: optuna.Trial, run: Any, values: dict[str, Any], best: float,
                pruned: str, final: RunFinished | RunFailed | None,
                error: BaseException | None) -> float:
        state, value, reason = "complete", self.sign * best, ""
        if isinstance(error, TrialProcessDied):
            state, reason = "failed", str(error)
        elif error is not None:
            state, reason = "failed", f"ktui crashed: {type(error).__name__}: {error}"
        elif pruned:
            state, reason = "pruned", pruned
        elif isinstance(final, RunFailed):
            if final.kind == "nan":
                state, value, reason = "diverged", self.sign * math.inf, final.message
            else:
                state, reason = "failed", f"{final.kind}: {final.message}"
        elif final is None:
            state, reason = "failed", "the run ended without a result"
        elif not math.isfinite(best):
            state, value, reason = "diverged", self.sign * math.inf, "no finite value"
        block = sweep_block(trial.study.study_name, trial.number, values, state=state,
                            metric=self.config.metric, direction=self.config.direction)
        if state in ("complete", "diverged"):
            block["value"] = value if math.isfinite(value) else None
        run.write_summary({"sweep": block})
        if reason:
            trial.set_user_attr(REASON_ATTR, reason[:500])
        if state == "pruned":
            raise optuna.TrialPruned(reason)
        if state == "failed":
            raise RuntimeError(reason)
        return value
