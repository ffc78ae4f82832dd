"""Sweeps for real, small: two worker processes sharing a journal file, pruning that prunes,
``join`` from other processes, a killed worker's trial failed (the run's lock) and the sweep
finishing, ``status`` and ``best``. linear-gd trains one full-batch step an epoch, so a
trial of a few epochs takes about a second once TensorFlow is imported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from ktui.core import spec as specmod  # noqa: E402
from ktui.core.spec.presets import get_preset  # noqa: E402
from ktui.core.sweep import study as studymod  # noqa: E402
from ktui.core.sweep.worker import fail_stale  # noqa: E402

pytestmark = pytest.mark.slow
LR = "train.learning_rate=log:1e-3..0.5"


def _ktui(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ktui", *args], capture_output=True,
                          text=True, timeout=timeout)


def _make(tmp_path: Path, name: str, params: list[str], trials: int, epochs: int,
          pruner: dict | None = None) -> tuple[str, optuna.Study]:
    spec = get_preset("linear-gd")
    spec.train.epochs = epochs
    config = studymod.SweepConfig(spec=specmod.spec_to_dict(spec), params=params,
                                  trials=trials, pruner=pruner or {"kind": "none"})
    url = studymod.default_storage(tmp_path, name)
    return url, studymod.create(url, name, config)


def _summary(trial: optuna.trial.FrozenTrial) -> dict:
    return json.loads((Path(trial.user_attrs["run_dir"]) / "summary.json").read_text())


@pytest.mark.slow
def test_two_workers_on_a_journal_file_then_status_and_best(tmp_path: Path) -> None:
    proc = _ktui("sweep", "--preset", "linear-gd", "--param", LR, "--trials", "4",
                 "--workers", "2", "--epochs", "5", "--study", "two", "--runs-dir",
                 str(tmp_path))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    journal = tmp_path / ".sweeps" / "two.journal"
    assert journal.is_file()
    study = studymod.load(str(journal), "two")
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state.is_finished() for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # two worker processes
    assert trials[0].params == {"train.learning_rate": 0.1}  # the spec's own: the baseline
    for t in trials:
        summary = _summary(t)
        assert summary["sweep"]["study"] == "two"
        assert summary["sweep"]["trial"] == t.number
        assert summary["sweep"]["params"] == t.params
        assert Path(t.user_attrs["run_dir"]).parent == tmp_path  # an ordinary run
    assert "4 of 4 trials" in proc.stdout and "best: trial" in proc.stdout
    assert sum(line.startswith("trial ") for line in proc.stdout.splitlines()) == 4

    status = _ktui("sweep", "status", "--runs-dir", str(tmp_path))
    assert status.returncode == 0, status.stderr
    assert "study two" in status.stdout and "4 of 4 trials" in status.stdout
    assert "rank  trial  state" in status.stdout

    out = tmp_path / "best.toml"
    best = _ktui("sweep", "best", "--storage", str(journal), "--spec-out", str(out))
    assert best.returncode == 0, best.stderr
    spec = specmod.load(out)
    assert spec.train.learning_rate == pytest.approx(study.best_params["train.learning_rate"])
    assert spec.train.epochs == 5

    listed = _ktui("runs", "--runs-dir", str(tmp_path))
    assert listed.returncode == 0 and "skipped" not in listed.stderr  # .sweeps is hidden


@pytest.mark.slow
def test_pruning_prunes_bad_values(tmp_path: Path) -> None:
    """Three good trials, then two with a hopeless learning rate: the median pruner stops
    those at epoch 2, their runs end stopped with the reason."""
    from ktui.core.sweep.worker import run_worker

    url, study = _make(tmp_path, "prune", ["train.learning_rate=log:1e-5..0.5"], trials=5,
                       epochs=8, pruner={"kind": "median", "n_startup_trials": 3,
                                         "n_warmup_steps": 2})
    for lr in (0.3, 0.3, 0.3, 1e-5, 1e-5):
        study.enqueue_trial({"train.learning_rate": lr})
    assert run_worker(url, "prune", tmp_path, worker=0) == 5
    trials = study.get_trials()
    states = [t.state.name for t in trials]
    assert states == ["COMPLETE"] * 3 + ["PRUNED"] * 2
    for t in trials[3:]:
        reason = t.user_attrs["reason"]
        assert reason.startswith("pruned at epoch 2: val_loss "), reason
        assert " > median " in reason
        summary = _summary(t)
        assert summary["status"] == "stopped"
        assert summary["reason"] == f"stopped: {reason}"
        assert summary["epochs_done"] < 8
        assert summary["sweep"]["state"] == "pruned"
    assert _summary(trials[0])["sweep"]["value"] == pytest.approx(trials[0].value)


@pytest.mark.slow
def test_join_from_second_processes(tmp_path: Path) -> None:
    """The study alone (spec, space, pruner in its attributes) is enough for `join`."""
    url, _ = _make(tmp_path, "joined", [LR], trials=4, epochs=4)
    argv = [sys.executable, "-m", "ktui", "sweep", "join", "--storage", url, "--study",
            "joined", "--runs-dir", str(tmp_path)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    study = studymod.load(url, "joined")
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    assert "joining sweep joined" in outs[0][1]


@pytest.mark.slow
def test_a_killed_workers_trial_is_failed_and_the_sweep_finishes(tmp_path: Path) -> None:
    url, study = _make(tmp_path, "killed", ["train.epochs=int:2..3"], trials=2, epochs=2)
    study.enqueue_trial({"train.epochs": 3000})  # a long first trial, to kill mid-way
    worker = subprocess.Popen(
        [sys.executable, "-m", "ktui", "sweep", "join", "--storage", url, "--study", "killed",
         "--worker-index", "0", "--runs-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            trials = study.get_trials()
            if trials and len(trials[0].intermediate_values) >= 2:
                break
            assert worker.poll() is None, worker.stderr.read()
            time.sleep(0.2)
        else:
            pytest.fail("the first trial never reached epoch 2")
        assert fail_stale(study) == []  # its worker lives and holds the run's lock
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stderr.close()
    assert study.get_trials()[0].state.name == "RUNNING"  # the journal has no heartbeat
    proc = _ktui("sweep", "join", "--storage", url, "--study", "killed", "--runs-dir",
                 str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "trial 0 failed: its worker died" in proc.stderr
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE", "COMPLETE"]
    assert "died" in trials[0].user_attrs["reason"]
    assert "1 failed" in proc.stdout and "2 complete" in proc.stdout


def test_grid_sampler_and_hyperband(tmp_path: Path) -> None:
    """Every point of a grid once; the hyperband pruner runs (no trial needs pruning)."""
    from ktui.core.sweep.worker import run_worker

    url, study = _make(tmp_path, "grid", ["train.learning_rate=choice:0.1,0.3",
                                          "train.momentum=choice:0.0,0.5"], trials=4,
                       epochs=3, pruner=studymod.pruner_settings("hyperband", 3))
    config = studymod.config_of(study)
    config.sampler = "grid"
    study.set_user_attr(studymod.CONFIG_ATTR, config.to_attrs())
    run_worker(url, "grid", tmp_path, worker=0)
    trials = study.get_trials()
    assert sorted((t.params["train.learning_rate"], t.params["train.momentum"])
                  for t in trials) == [(0.1, 0.0), (0.1, 0.5), (0.3, 0.0), (0.3, 0.5)]
    assert all(t.state.is_finished() for t in trials)
    watch = _ktui("sweep", "status", "--watch", "--storage", url, timeout=60)
    assert watch.returncode == 0 and "4 of 4 trials" in watch.stdout  # done: no waiting
