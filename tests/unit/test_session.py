"""One way to start a run: run directory, lock, recording sinks, a thread, a handle.

A scripted trainer stands in for TensorFlow where the point is the session (fast); the real
trainer records through it in test_runs.py, test_bad_runs.py and the TUI's recording test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ktui.core.events import (
    EpochDone,
    Event,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
)
from ktui.core.runs import RunDir, RunError
from ktui.core.runs.lock import lock_held
from ktui.core.session import TRAIN_THREAD_NAME, start_run
from ktui.core.spec import ExperimentSpec, dumps
from ktui.core.spec.presets import get_preset
from ktui.core.training.control import TrainerControl


def scripted(epochs: int = 3, steps: int = 2, *, crash: bool = False):
    """A trainer with the real one's signature: obeys the control between steps."""
    seen: dict[str, Any] = {}

    def train(spec: ExperimentSpec, sink, control: TrainerControl, *, data_dir=None,
              model_sinks: Sequence[Any] = ()) -> RunFinished | RunFailed:
        seen.update(thread=threading.current_thread().name, data_dir=data_dir,
                    model_sinks=list(model_sinks))
        sink(RunStarted(name=spec.name, devices=("CPU",), layers=(), total_params=2,
                        trainable_params=2, epochs=epochs, start_epoch=0,
                        steps_per_epoch=steps, batch_size=1, train_samples=steps,
                        val_samples=0, test_samples=0, task="regression",
                        metric_names=("mae",), wb_model=True))
        if crash:
            raise RuntimeError("boom")
        g = 0
        for e in range(1, epochs + 1):
            for s in range(1, steps + 1):
                if not control.wait_turn(on_pause=lambda e=e, s=s: sink(Paused(e, s)),
                                         on_resume=lambda e=e, s=s: sink(Resumed(e, s))):
                    final = RunFinished("stopped", e - 1, {}, 0.1)
                    sink(final)
                    return final
                g += 1
                sink(StepDone(e, s, steps, g, 1.0 / g, 10.0))
            sink(EpochDone(e, epochs, 1.0 / e, None, {"mae": 0.5 / e}, {}, (), 0.01, 100.0))
        final = RunFinished("finished", epochs, {}, 0.1)
        sink(final)
        return final

    train.seen = seen  # type: ignore[attr-defined]
    return train


def spec_of(epochs: int = 3) -> ExperimentSpec:
    spec = get_preset("linear-gd")
    spec.train.epochs = epochs
    return spec


def test_an_unrecorded_run_sends_every_event_to_every_sink_in_order() -> None:
    first: list[Event] = []
    second: list[Event] = []
    trainer = scripted()
    handle = start_run(spec_of(), [first.append, second.append], record=False,
                       trainer=trainer, data_dir="/data")
    final = handle.join(10)
    assert isinstance(final, RunFinished) and final.status == "finished"
    assert handle.done and handle.run_dir is None and handle.error is None
    assert first == second and first[-1] is final and isinstance(first[0], RunStarted)
    assert trainer.seen["thread"] == TRAIN_THREAD_NAME and trainer.seen["data_dir"] == "/data"


def test_a_recorded_run_writes_its_logs_before_the_sinks_see_an_event(tmp_path: Path) -> None:
    logged_at_epoch: list[int] = []
    handle: Any = None

    def sink(event: Event) -> None:
        if isinstance(event, EpochDone):  # the log already holds this epoch
            rows = RunDir(next(tmp_path.iterdir())).epochs_logged()
            logged_at_epoch.append(len(rows))

    trainer = scripted()
    handle = start_run(spec_of(), [sink], runs_root=tmp_path, trainer=trainer)
    assert isinstance(handle.join(10), RunFinished)
    run = handle.run_dir
    assert run is not None and run.path.parent == tmp_path
    assert logged_at_epoch == [1, 2, 3]
    assert dumps(run.spec()) == dumps(spec_of()) and run.read_summary().status == "finished"
    lines = [json.loads(line) for line in run.events_file.read_text().splitlines()]
    assert lines[0]["event"] == "run_started" and lines[-1]["event"] == "run_finished"
    assert [type(s).__name__ for s in trainer.seen["model_sinks"]] == ["KerasSink"]


def test_the_handle_pauses_steps_resumes_and_stops_holding_the_lock(tmp_path: Path) -> None:
    events: list[Event] = []
    control = TrainerControl()
    control.pause()  # paused before the first step
    handle = start_run(spec_of(epochs=100), [events.append], runs_root=tmp_path,
                       trainer=scripted(epochs=100), control=control)
    assert handle.join(0.3) is None and not handle.done  # waiting in the pause
    run = handle.run_dir
    assert run is not None and lock_held(run.path) and run.status() == "running"
    handle.step(2)
    handle.resume()
    handle.pause()
    handle.stop()
    final = handle.join(10)
    assert isinstance(final, RunFinished) and final.status == "stopped"
    assert any(isinstance(e, Paused) for e in events)
    assert lock_held(run.path) is False and run.status() == "stopped"


def test_a_run_directory_that_cannot_be_made_raises_and_starts_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "runs"
    blocker.write_text("a file")
    threads = threading.active_count()
    with pytest.raises(RunError, match="is a file, not a folder"):
        start_run(spec_of(), [], runs_root=blocker, trainer=scripted())
    assert threading.active_count() == threads


def test_a_crash_is_kept_on_the_handle_and_the_lock_released(tmp_path: Path) -> None:
    handle = start_run(spec_of(), [], runs_root=tmp_path, trainer=scripted(crash=True))
    assert handle.join(10) is None and handle.done
    assert isinstance(handle.error, RuntimeError) and "boom" in handle.traceback
    assert handle.run_dir is not None and lock_held(handle.run_dir.path) is False


def test_restart_sets_the_old_attempt_aside_and_adopts_the_new_spec(tmp_path: Path) -> None:
    first = start_run(spec_of(3), [], runs_root=tmp_path, trainer=scripted(3))
    first.join(10)
    run = first.run_dir
    assert run is not None
    old_metrics = run.metrics_file.read_text()
    again = start_run(spec_of(2), [], run=run, restart=True, trainer=scripted(2))
    assert isinstance(again.join(10), RunFinished)
    assert again.set_aside is not None and again.set_aside.parent == run.path / "previous"
    assert (again.set_aside / "metrics.csv").read_text() == old_metrics
    assert run.spec().train.epochs == 2 and len(run.epochs_logged()) == 2


def test_resume_keeps_a_spec_file_that_says_the_same(tmp_path: Path) -> None:
    spec = spec_of(3)
    run = RunDir.create(tmp_path, spec)
    run.spec_file.write_text("# my notes\n" + dumps(spec))
    handle = start_run(spec, [], run=run, resume=True, trainer=scripted(0))
    handle.join(10)
    assert run.spec_file.read_text().startswith("# my notes")
    with pytest.raises(ValueError, match="pass run="):
        start_run(spec, [], resume=True)
