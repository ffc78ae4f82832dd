"""The sweep's command-line leftovers (issue 26): ``ktui train`` refusing a sweep file,
``ktui sweep status --watch`` printing only what changed, ``ktui runs`` grouping a sweep's
trials. Studies are built here on a journal file with fixed values (no training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.cli import main
from ktui.core import spec as specmod
from ktui.core.spec.presets import get_preset


def test_train_refuses_a_sweep_file_in_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(specmod.dumps(get_preset("linear-gd")) + '\n[sweep]\ntrials = 4\n'
                    '[sweep.params]\n"train.learning_rate" = "log:1e-3..0.5"\n')
    code = main(["train", "--spec", str(path), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err  # one line, not "unknown key" among others
    assert f"run it with `ktui sweep --spec {path}`" in err
    assert not (tmp_path / "runs").exists()


def test_the_setup_view_reading_a_sweep_file_is_told_the_same() -> None:
    with pytest.raises(specmod.SpecError) as err:
        specmod.parse_spec({"name": "x", "sweep": {"trials": 3}})
    assert err.value.errors == ["sweep: this file is a sweep (it has a [sweep] table): run it "
                                "with `ktui sweep --spec FILE`; ktui train trains one run"]


# ---- a study with fixed values (no training) -----------------------------------------------

optuna = pytest.importorskip("optuna")
LR = "train.learning_rate"


def _study(tmp_path: Path, name: str = "lr-test"):
    """Trials 0 complete (0.5), 1 pruned at epoch 1, 2 running at epoch 1 (0.8), each with
    a run folder whose summary.json says which trial it is."""
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from ktui.core.runs import RunDir
    from ktui.core.sweep import study as studymod
    from ktui.core.sweep.trial import trial_name

    spec = get_preset("linear-gd")
    spec.train.epochs = 3
    config = studymod.SweepConfig(spec=specmod.spec_to_dict(spec),
                                  params=[f"{LR}=log:1e-3..0.5"], trials=3)
    url = str(tmp_path / ".sweeps" / f"{name}.journal")
    study = studymod.create(url, name, config)
    dist = {LR: FloatDistribution(1e-3, 0.5, log=True)}
    fixed = [(TrialState.COMPLETE, 0.1, {1: 0.9, 2: 0.6, 3: 0.5}, 0.5, "finished"),
             (TrialState.PRUNED, 0.4, {1: 3.0}, None, "stopped"),
             (TrialState.RUNNING, 0.02, {1: 0.8}, None, "running")]
    for number, (state, lr, curve, value, status) in enumerate(fixed):
        spec.name = trial_name(name, number)
        run = RunDir.create(tmp_path, spec)
        block = {"study": name, "trial": number, "params": {LR: lr}}
        if state != TrialState.RUNNING:
            block.update(state=state.name.lower(), metric="val_loss", direction="minimize",
                         **({"value": value} if value is not None else {}))
        run.write_summary({"sweep": block, "status": status, "epochs_done": max(curve)})
        study.add_trial(create_trial(state=state, params={LR: lr}, distributions=dist,
                                     value=value, intermediate_values=curve,
                                     user_attrs={"run_dir": str(run.path)}))
    return url, study


def test_the_board_ranks_and_counts(tmp_path: Path) -> None:
    from ktui.core.sweep.board import board_of, changes
    from ktui.core.sweep.study import config_of

    _, study = _study(tmp_path)
    board = board_of(study, config_of(study))
    assert [(r.number, r.state, r.rank, r.epoch, r.value) for r in board.rows] == [
        (0, "complete", 1, 3, 0.5), (1, "pruned", None, 1, 3.0), (2, "running", None, 1, 0.8)]
    assert board.counts_text() == "3 of 3 trials: 1 complete, 1 pruned, 1 running"
    assert board.best_text() == f"best: trial 0, val_loss 0.5000, {LR}=0.1"
    assert board.rows[0].curve == ((1, 0.9), (2, 0.6), (3, 0.5))
    assert changes(board, board) == [] and len(changes(None, board)) == 3


def test_status_watch_in_a_pipe_prints_only_what_changed(tmp_path: Path) -> None:
    import contextlib
    import io
    import threading
    import time

    from ktui.cli.sweep_watch import watch_lines
    from ktui.core.sweep import study as studymod

    url, study = _study(tmp_path)
    out = io.StringIO()

    def watch() -> None:
        with contextlib.redirect_stdout(out):
            watch_lines(studymod.load(url, "lr-test"), url, False, 0.2)

    def until(words: str) -> None:
        deadline = time.monotonic() + 20
        while words not in out.getvalue():
            assert time.monotonic() < deadline, out.getvalue()
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    until("trial 2 running: epoch 1")
    running = study.get_trials(deepcopy=False)[2]
    study._storage.set_trial_intermediate_value(running._trial_id, 2, 0.3)  # noqa: SLF001
    until("trial 2 running: epoch 2, best val_loss 0.3000")
    study.tell(2, 0.3)
    thread.join(20)
    assert not thread.is_alive()
    lines = out.getvalue().splitlines()
    assert lines[0] == (f"study lr-test ({url}): 3 of 3 trials: 1 complete, 1 pruned, "
                        "1 running")
    assert lines[1] == f"best: trial 0, val_loss 0.5000, {LR}=0.1"
    assert lines[2].startswith("trial 0 complete: val_loss 0.5000 after 3 epochs (rank 1)")
    assert lines[3] == f"trial 1 pruned; {LR}=0.4"
    assert lines[4:6] == [f"trial 2 running: epoch 1, best val_loss 0.8000; {LR}=0.02",
                          f"trial 2 running: epoch 2, best val_loss 0.3000; {LR}=0.02"]
    assert lines[6:] == [f"study lr-test ({url}): 3 of 3 trials: 2 complete, 1 pruned",
                         f"best: trial 2, val_loss 0.3000, {LR}=0.02",
                         f"trial 2 complete: val_loss 0.3000 after 2 epochs (rank 1); "
                         f"{LR}=0.02"]  # trials 0 and 1 did not change: not printed again


def test_status_jsonl(tmp_path: Path, capsys) -> None:
    import json

    url, _ = _study(tmp_path)
    assert main(["sweep", "status", "--storage", url, "--jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == {"event": "counts", "study": "lr-test", "total": 3,
                       "counts": {"complete": 1, "pruned": 1, "running": 1}, "best": 0}
    assert [(r["trial"], r["state"], r["value"], r["epoch"]) for r in rows[1:]] == [
        (0, "complete", 0.5, 3), (1, "pruned", 3.0, 1), (2, "running", 0.8, 1)]


def test_runs_groups_a_sweeps_trials(tmp_path: Path, capsys) -> None:
    from ktui.core.runs import RunDir

    _study(tmp_path)
    spec = get_preset("linear-gd")
    RunDir.create(tmp_path, spec).write_summary({"status": "finished", "epochs_done": 20})
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3  # the heading, the sweep, the other run
    sweep = next(line for line in lines if line.startswith("sweep "))
    assert sweep.startswith("sweep lr-test: 3 trials (1 complete, 1 pruned, 1 running), "
                            "best val_loss 0.5000 (trial 0), ")
    assert "--all lists its trials" in captured.err
    assert main(["runs", "--all", "--runs-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    under = lines[lines.index(sweep) + 1:lines.index(sweep) + 4]
    assert [line.split()[0][-4:] for line in under] == ["t000", "t001", "t002"]
    assert all(line.startswith("  ") for line in under)
    assert "pruned" in under[1]


@pytest.mark.slow
def test_prune_by_hand_add_trials_and_stop_with_a_real_worker(tmp_path: Path) -> None:
    """The sweep view's keys on a real worker: a trial stopped over its run's control channel
    ends pruned (by hand), trials added are read, and a stop ends the worker with no new
    trial started."""
    import json
    import subprocess
    import sys
    import time

    from ktui.core.sweep import study as studymod
    from ktui.core.sweep.steer import add_trials, prune_run, request_stop

    spec = get_preset("linear-gd")
    spec.train.epochs = 5000  # long enough to be stopped by hand
    config = studymod.SweepConfig(spec=specmod.spec_to_dict(spec), trials=2,
                                  params=[f"{LR}=log:1e-3..0.1"], pruner={"kind": "none"})
    url = str(tmp_path / ".sweeps" / "hand.journal")
    study = studymod.create(url, "hand", config)
    worker = subprocess.Popen(
        [sys.executable, "-m", "ktui", "sweep", "join", "--storage", url, "--study", "hand",
         "--worker-index", "0", "--runs-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def trial(number: int):
        trials = study.get_trials(deepcopy=False)
        return trials[number] if len(trials) > number else None

    def until(check, what: str) -> None:
        deadline = time.monotonic() + 240
        while not check():
            assert worker.poll() is None or check(), f"worker gone before {what}"
            assert time.monotonic() < deadline, f"no {what}"
            time.sleep(0.1)

    def training(number: int) -> bool:
        t = trial(number)
        return bool(t and t.intermediate_values and "run_dir" in t.user_attrs
                    and (Path(t.user_attrs["run_dir"]) / "control.sock").exists())

    try:
        until(lambda: training(0), "trial 0 training")
        assert prune_run(Path(trial(0).user_attrs["run_dir"])) == ""
        until(lambda: trial(0).state.name == "PRUNED", "trial 0 pruned")
        assert trial(0).user_attrs["reason"].startswith("pruned by hand at epoch ")
        assert add_trials(study, 1) == 3
        until(lambda: training(1), "trial 1 training")
        assert request_stop(study) == []
        assert worker.wait(120) == 0, worker.stderr.read() if worker.stderr else ""
    finally:
        if worker.poll() is None:
            worker.kill()
    t1 = trial(1)
    assert t1.state.name == "PRUNED"
    assert t1.user_attrs["reason"].startswith("stopped with the sweep at epoch ")
    assert len(study.get_trials()) == 2  # 3 asked for, but stopped: no trial 2
    summary = json.loads((Path(t1.user_attrs["run_dir"]) / "summary.json").read_text())
    assert summary["status"] == "stopped" and summary["sweep"]["state"] == "pruned"


def test_reading_a_missing_journal_leaves_nothing_behind(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no" / "such.journal"
    for command in ("status", "view", "best"):
        assert main(["sweep", command, "--storage", str(missing)]) == 2
        assert "no such journal file" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
