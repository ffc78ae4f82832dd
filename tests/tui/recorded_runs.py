"""Real run directories for the runs-list tests, written without TensorFlow.

The files are written by the core's own :class:`RunRecorder` from the scripted event streams,
so they have exactly the layout ``ktui train`` leaves (spec.toml, summary.json, metrics.csv,
events.jsonl); only the model files are missing, which the UI never reads.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ktui.core.events import EpochDone, Event, RunFailed, RunFinished, StepDone
from ktui.core.files import atomic_write
from ktui.core.runs import RunDir
from ktui.core.runs.recorder import RunRecorder
from ktui.core.spec import ExperimentSpec, dumps
from ktui.core.spec.presets import get_preset

from .fakes import classifier_events, linear_events

#: A pid no process has (above Linux's largest pid_max), so a "running" run reads as
#: interrupted.
GONE_PID = 2**22 + 12_345


def scaled(events: Iterable[Event], factor: float) -> Iterator[Event]:
    """The same run with losses and metrics multiplied by ``factor`` (another curve)."""
    for ev in events:
        if isinstance(ev, EpochDone):
            ev = dataclasses.replace(
                ev, loss=ev.loss * factor,
                val_loss=None if ev.val_loss is None else ev.val_loss * factor,
                metrics={k: v * factor for k, v in ev.metrics.items()},
                val_metrics={k: v * factor for k, v in ev.val_metrics.items()})
        elif isinstance(ev, StepDone):
            ev = dataclasses.replace(ev, loss=ev.loss * factor)
        yield ev


def write_run(root: Path, spec: ExperimentSpec, events: Iterable[Event],
              name: str | None = None) -> RunDir:
    """A run directory holding ``events`` as ktui records them (fixed ``name`` if given,
    else a time-stamped one from :meth:`RunDir.create`)."""
    if name is None:
        run = RunDir.create(root, spec)
    else:
        (root / name).mkdir(parents=True)
        run = RunDir(root / name)
        atomic_write(run.spec_file, dumps(spec))
        run.write_summary({"status": "running", "epochs_done": 0})
    recorder = RunRecorder(run)
    for event in events:
        recorder(event)
    recorder.close()
    return run


def finish(events: Iterable[Event], test: dict[str, float] | None = None) -> Iterator[Event]:
    """``events`` followed by a finished ending, as the trainer sends it."""
    epochs = 0
    for ev in events:
        epochs += isinstance(ev, EpochDone)
        yield ev
    yield RunFinished("finished", epochs, test or {}, 1.0)


def make_runs_root(root: Path) -> dict[str, RunDir]:
    """Four runs of every kind and one broken directory, with fixed names (for snapshots)."""
    linear, fashion = get_preset("linear-gd"), get_preset("fashion-mlp")
    runs = {
        "best": write_run(root, linear, finish(scaled(linear_events(), 0.9),
                                               {"loss": 0.95, "mae": 0.78}),
                          "20260103-101500-linear-gd"),
        "worse": write_run(root, linear, finish(scaled(linear_events(), 1.3),
                                                {"loss": 1.3, "mae": 0.9}),
                           "20260104-093000-linear-gd"),
        "fashion": write_run(root, fashion, finish(classifier_events(),
                                                   {"loss": 0.40, "accuracy": 0.86}),
                             "20260105-120000-fashion-mlp"),
        "failed": write_run(root, linear, [
            *[ev for ev in linear_events(epochs=10) if not isinstance(ev, EpochDone)
              or ev.epoch <= 2][:11],
            RunFailed("nan", "loss is nan at epoch 3, step 1", epoch=3, step=1)],
            "20260106-080000-linear-gd"),
    }
    # Killed at epoch 4: summary still says running, and its process is gone.
    interrupted = write_run(root, linear, [ev for ev in linear_events()
                                           if not isinstance(ev, EpochDone) or ev.epoch <= 4][:21],
                            "20260107-170000-linear-gd")
    summary = json.loads(interrupted.summary_file.read_text())
    summary["pid"] = GONE_PID
    interrupted.summary_file.write_text(json.dumps(summary))
    runs["interrupted"] = interrupted
    (root / "20260108-000000-broken").mkdir()
    (root / "20260108-000000-broken" / "summary.json").write_text("{not json")
    return runs
