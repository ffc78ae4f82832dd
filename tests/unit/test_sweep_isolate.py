"""``--isolate``: each trial a ``ktui train`` subprocess. The worker still reports every
epoch to the study (read from the trial's growing ``events.jsonl``) and prunes (a stop over
the run's control channel); a trial process that crashes (SIGKILL here) fails that trial and
the sweep goes on."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from ktui.core import spec as specmod  # noqa: E402
from ktui.core.spec.presets import get_preset  # noqa: E402
from ktui.core.sweep import study as studymod  # noqa: E402


def _summary(run: str) -> dict:
    return json.loads((Path(run) / "summary.json").read_text())


@pytest.mark.slow
def test_isolated_trials_report_prune_and_survive_a_crash(tmp_path: Path) -> None:
    from ktui.core.sweep.worker import run_worker

    spec = get_preset("linear-gd")
    spec.train.epochs = 6
    config = studymod.SweepConfig(
        spec=specmod.spec_to_dict(spec), trials=3,
        params=["train.learning_rate=log:1e-5..0.5", "train.epochs=int:2..5000"],
        pruner={"kind": "median", "n_startup_trials": 2, "n_warmup_steps": 2})
    url = studymod.default_storage(tmp_path, "iso")
    study = studymod.create(url, "iso", config)
    # Trial 0 trains long, to be killed; 1 and 2 are good; 3 is hopeless: pruned at epoch 2.
    for lr, epochs in ((0.3, 5000), (0.3, 6), (0.3, 6), (1e-5, 6)):
        study.enqueue_trial({"train.learning_rate": lr, "train.epochs": epochs})
    ran: list[int] = []
    worker = threading.Thread(target=lambda: ran.append(
        run_worker(url, "iso", tmp_path, worker=0, isolate=True)), daemon=True)
    worker.start()

    deadline = time.monotonic() + 300
    pid = None
    while pid is None:
        assert time.monotonic() < deadline, "trial 0 never trained an epoch"
        assert worker.is_alive(), "the worker ended before trial 0 trained"
        trials = study.get_trials(deepcopy=False)
        if trials and trials[0].intermediate_values and "run_dir" in trials[0].user_attrs:
            pid = _summary(trials[0].user_attrs["run_dir"]).get("pid")
        time.sleep(0.2)
    assert pid != os.getpid()  # trained by another process than the worker
    os.kill(pid, signal.SIGKILL)  # the trial's process crashes
    worker.join(600)
    assert not worker.is_alive() and ran == [4]

    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE", "COMPLETE", "PRUNED"]
    died = trials[0].user_attrs["reason"]
    assert died.startswith("its ktui train process was killed by SIGKILL"), died
    first = _summary(trials[0].user_attrs["run_dir"])
    assert first["status"] == "failed" and first["reason"] == died
    assert first["sweep"]["state"] == "failed"

    for t in trials[1:3]:  # every epoch reported, as the run logged it
        run = Path(t.user_attrs["run_dir"])
        with (run / "metrics.csv").open() as f:
            val = [float(row["val_loss"]) for row in csv.DictReader(f)]
        assert [t.intermediate_values[i + 1] for i in range(6)] == pytest.approx(val)
        assert t.value == pytest.approx(min(val))
        assert (run / "train.log").is_file()

    reason = trials[3].user_attrs["reason"]
    assert reason.startswith("pruned at epoch 2: val_loss ") and " > median " in reason
    summary = _summary(trials[3].user_attrs["run_dir"])
    assert summary["status"] == "stopped" and summary["epochs_done"] < 6
    assert summary["reason"] == f"stopped: {reason}"  # not "from a viewer (pid N)"
    assert summary["sweep"]["state"] == "pruned"


def test_a_trial_process_that_cannot_start_fails_its_trial(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """No process to be had (EAGAIN): each trial fails with the reason, the worker ends."""
    import errno

    from ktui.core.sweep import isolated
    from ktui.core.sweep.worker import run_worker

    def refused(*_a, **_k):
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(isolated.subprocess, "Popen", refused)
    config = studymod.SweepConfig(spec=specmod.spec_to_dict(get_preset("linear-gd")),
                                  trials=2, params=["train.learning_rate=log:1e-3..0.5"],
                                  pruner={"kind": "none"}, isolate=True)
    url = studymod.default_storage(tmp_path, "nope")
    study = studymod.create(url, "nope", config)
    assert run_worker(url, "nope", tmp_path, worker=0) == 2  # isolated by the study
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["FAIL", "FAIL"]
    why = f"cannot start its ktui train process: {os.strerror(errno.EAGAIN)}"
    assert all(t.user_attrs["reason"] == why for t in trials)
    summary = _summary(trials[0].user_attrs["run_dir"])
    assert summary["status"] == "failed" and summary["reason"] == why
