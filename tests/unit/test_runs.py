"""Run directories: files, reload, resume, crash safety, TensorBoard, bad dirs (export:
test_export.py)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ktui.core import spec as specmod
from ktui.core.events import EpochDone, RunFinished, RunStarted
from ktui.core.runs import RunDir, list_runs
from ktui.core.session import start_run
from ktui.core.spec.presets import get_preset

pytestmark = pytest.mark.slow  # trains or starts processes: not in `make test-fast`


def _run(root: Path, name: str = "linear-functional", epochs: int = 3, **overrides):
    spec = get_preset(name)
    spec.train.epochs = epochs
    for key, value in overrides.items():
        setattr(spec.train, key, value)
    run = RunDir.create(root, spec)
    events: list = []
    final = start_run(spec, [events.append], run=run).join()
    return run, events, final


def test_a_finished_run_has_every_file(tmp_path: Path) -> None:
    run, events, final = _run(tmp_path)
    assert isinstance(final, RunFinished)
    names = {p.name for p in run.path.iterdir()}
    assert {"spec.toml", "summary.json", "metrics.csv", "events.jsonl", "tensorboard",
            "checkpoints", "model.keras"} <= names
    assert specmod.spec_to_dict(run.spec())["train"]["epochs"] == 3
    summary = run.summary()
    assert summary["status"] == "finished" and summary["epochs_done"] == 3
    assert summary["best"]["epoch"] in (1, 2, 3) and "test" in summary
    assert summary["seconds"] > 0
    with open(run.metrics_file) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert list(rows[0]) == ["epoch", "loss", "lr", "mae", "val_loss", "val_mae"]
    epoch_events = [e for e in events if isinstance(e, EpochDone)]
    assert float(rows[-1]["loss"]) == pytest.approx(epoch_events[-1].loss)
    lines = [json.loads(line) for line in run.events_file.read_text().splitlines()]
    assert lines[0]["event"] == "run_started" and lines[-1]["event"] == "run_finished"
    assert (run.last_dir / "checkpoint").exists() and (run.best_dir / "checkpoint").exists()


@pytest.mark.parametrize("style", ["sequential", "functional", "subclassed"])
def test_saved_model_loads_in_plain_keras_and_predicts_the_same(tmp_path: Path, style: str
                                                                ) -> None:
    import keras

    import ktui.core.layers  # noqa: F401 - registers the custom layers, as a user would

    spec = get_preset("linear-functional")
    spec.train.epochs = 2
    spec.train.model_style = style
    spec.layers = [specmod.LayerSpec("Dense", {"units": 3, "activation": "tanh"}),
                   specmod.LayerSpec("Dropout", {"rate": 0.1}),
                   specmod.LayerSpec("Lambda", {"op": "square"}),
                   specmod.LayerSpec("Linear", {"units": 1})]
    run = RunDir.create(tmp_path, spec)
    captured = {}

    def keep_model(event) -> None:
        if isinstance(event, RunStarted):
            captured["started"] = event

    final = start_run(spec, [keep_model], run=run).join()
    assert isinstance(final, RunFinished)
    model = keras.saving.load_model(run.model_file)  # safe_mode stays True
    x = np.linspace(-2, 2, 20, dtype=np.float32).reshape(-1, 1)
    again = keras.saving.load_model(run.model_file)
    np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))
    # The saved weights are the trained ones: the checkpoint restores to the same predictions.
    import tensorflow as tf

    from ktui.core.build import build_model
    from ktui.core.runs.keras_sink import make_checkpoint

    fresh = build_model(spec)
    make_checkpoint(fresh).restore(
        tf.train.latest_checkpoint(str(run.last_dir))).expect_partial()
    np.testing.assert_allclose(fresh(x, training=False).numpy(),
                               model.predict(x, verbose=0), rtol=1e-6)


def test_resume_continues_epochs_and_curves_exactly(tmp_path: Path) -> None:
    straight, events, _ = _run(tmp_path / "a", "linear-functional", epochs=5)
    full = [e.loss for e in events if isinstance(e, EpochDone)]

    run, _, _ = _run(tmp_path / "b", "linear-functional", epochs=3)
    spec = run.spec()
    spec.train.epochs = 5
    specmod.save(spec, run.spec_file)
    resumed: list = []
    final = start_run(spec, [resumed.append], run=run, resume=True).join()
    assert isinstance(final, RunFinished)
    started = next(e for e in resumed if isinstance(e, RunStarted))
    assert started.start_epoch == 3
    assert [e.epoch for e in resumed if isinstance(e, EpochDone)] == [4, 5]
    logged = [r["loss"] for r in run.epochs_logged()]
    assert [int(r["epoch"]) for r in run.epochs_logged()] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(logged, full, rtol=1e-5)


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "KTUI_RUNS_DIR": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_kill_9_mid_run_leaves_readable_files_then_list_and_resume(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-subclassed", "--epochs",
         "100000"], env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        run = None
        while time.monotonic() < deadline:
            dirs = [p for p in tmp_path.iterdir() if p.is_dir()]
            if dirs and len(RunDir(dirs[0]).epochs_logged()) >= 5:
                run = RunDir(dirs[0])
                break
            time.sleep(0.2)
        assert run is not None, "the run never logged 5 epochs"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    rows = run.epochs_logged()
    assert [int(r["epoch"]) for r in rows] == list(range(1, len(rows) + 1))
    assert run.metrics_file.read_text().endswith("\n")
    for line in run.events_file.read_text().splitlines():
        json.loads(line)
    run.spec()
    summary = run.summary()
    assert summary["status"] == "running"
    infos, problems = list_runs(tmp_path)
    assert problems == [] and infos[0].status == "interrupted"

    done = len(rows)
    spec = run.spec()
    spec.train.epochs = done + 2
    events: list = []
    final = start_run(spec, [events.append], run=run, resume=True).join()
    assert isinstance(final, RunFinished), final
    started = next(e for e in events if isinstance(e, RunStarted))
    assert done - 1 <= started.start_epoch <= done
    assert int(run.epochs_logged()[-1]["epoch"]) == done + 2
    assert run.status() == "finished"


def test_tensorboard_event_files_are_readable(tmp_path: Path) -> None:
    import tensorflow as tf

    run, _, _ = _run(tmp_path, "linear-gd", epochs=3)
    files = list(run.tensorboard_dir.glob("events.out.tfevents.*"))
    assert files
    tags: dict[str, list[float]] = {}
    for path in files:
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                number = tf.make_ndarray(value.tensor) if value.HasField("tensor") else None
                if number is not None and number.shape == ():
                    tags.setdefault(value.tag, []).append(float(number))
    assert len(tags["loss/train"]) == 3 and len(tags["loss/validation"]) == 3
    assert len(tags["weights/dense_1/kernel"]) == 3  # W of the 1-unit model (1-based names)
    assert tags["loss/train"][-1] < tags["loss/train"][0]


def test_bad_directories_are_reported_and_skipped(tmp_path: Path) -> None:
    good, _, _ = _run(tmp_path, "linear-gd", epochs=1)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "not-a-run" / "notes.txt").write_text("hello")
    broken = tmp_path / "broken-run"
    broken.mkdir()
    (broken / "spec.toml").write_text("[train\n")
    (broken / "summary.json").write_text("{}")
    bad_summary = tmp_path / "bad-summary"
    bad_summary.mkdir()
    (bad_summary / "spec.toml").write_text(specmod.dumps(get_preset("linear-gd")))
    (bad_summary / "summary.json").write_text("{not json")
    future = tmp_path / "future"
    future.mkdir()
    (future / "spec.toml").write_text("ktui_spec = 99\n")
    (future / "summary.json").write_text("{}")
    (tmp_path / "stray-file.txt").write_text("x")
    infos, problems = list_runs(tmp_path)
    assert [i.name for i in infos] == [good.name]
    joined = "\n".join(problems)
    for name in ("not-a-run", "broken-run", "bad-summary", "future"):
        assert name in joined
    assert "spec version 99" in joined
