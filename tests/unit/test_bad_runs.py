"""Bad run directories, each case checked for its exit code, a message naming the problem
and no traceback (issue 8, items 5, 6, 7, 12-15).

Run directories that cannot be written (a file in the way, read-only, no permission, a full
disk before and during a run), damaged runs (``ktui runs``, ``ktui runs show``, ``--resume``),
resumes that would silently lose work (no checkpoint, ``--epochs`` not above the checkpoint),
two processes on one run (the lock), SIGTERM/SIGHUP in a real process, and errors only
TensorFlow/Keras raise. Most cases drive ``ktui.cli.main`` in-process; real processes only for
signals and the lock holder. Read-only and full disks are real tmpfs mounts where the test
runs as root (skipped, saying so, elsewhere); permission errors are simulated (root ignores
file modes).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ktui.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from ktui.core import spec as specmod
from ktui.core.events import EpochDone, RunFailed, RunFinished, RunStarted
from ktui.core.files import atomic_write
from ktui.core.runs import RunBusy, RunDir, list_runs
from ktui.core.runs import lock as lockmod
from ktui.core.runs import recorder as recordermod
from ktui.core.runs import rundir as rundirmod
from ktui.core.runs.recorder import RunRecorder
from ktui.core.session import start_run
from ktui.core.spec.presets import get_preset

ENOSPC = OSError(errno.ENOSPC, "No space left on device")


# ---- helpers -----------------------------------------------------------------------------

def ktui(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``ktui ARGV`` in this process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_line(err: str) -> str:
    """The one ``ktui:`` line a refusal prints (there must be exactly one)."""
    lines = [ln for ln in err.splitlines() if ln.startswith("ktui: ")]
    assert len(lines) == 1, err
    return lines[0]


def recorded_run(root: Path, epochs: int = 3, total: int = 5, name: str | None = None,
                 finished: bool = False) -> RunDir:
    """A run directory as ktui records it, from a scripted event stream (no TensorFlow, no
    checkpoints): ``epochs`` logged of ``total``."""
    spec = get_preset("linear-gd")
    spec.train.epochs = total
    if name is None:
        run = RunDir.create(root, spec)
    else:
        (root / name).mkdir(parents=True)
        run = RunDir(root / name)
        atomic_write(run.spec_file, specmod.dumps(spec))
        run.write_summary({"status": "running", "epochs_done": 0})
    recorder = RunRecorder(run)
    recorder(RunStarted(name="linear-gd", devices=("CPU",), layers=(), total_params=2,
                        trainable_params=2, epochs=total, start_epoch=0, steps_per_epoch=1,
                        batch_size=0, train_samples=1000, val_samples=200, test_samples=200,
                        task="regression", metric_names=("mae",)))
    for e in range(1, epochs + 1):
        recorder(EpochDone(epoch=e, epochs=total, loss=2.0 / e, val_loss=2.1 / e,
                           metrics={"mae": 1.0 / e}, val_metrics={"mae": 1.1 / e}, weights=(),
                           seconds=0.01, samples_per_s=1e5))
    if finished:
        recorder(RunFinished("finished", epochs, {}, 0.1))
    recorder.close()
    return run


def edit_summary(run: RunDir, **fields: object) -> None:
    data = json.loads(run.summary_file.read_text())
    data.update(fields)
    run.summary_file.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """A real 3-epoch linear-gd run (checkpoints, model), copied by each test that needs one."""
    spec = get_preset("linear-gd")
    spec.train.epochs = 3
    run = RunDir.create(tmp_path_factory.mktemp("trained"), spec)
    final = start_run(spec, [], run=run).join()
    assert isinstance(final, RunFinished) and final.epochs_done == 3
    return run


def copy_of(run: RunDir, root: Path) -> RunDir:
    root.mkdir(parents=True, exist_ok=True)
    return RunDir(Path(shutil.copytree(run.path, root / run.name)))


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``mount(size, ro=False)``: a real tmpfs (a tiny disk, or a read-only one)."""
    mounted: list[Path] = []

    def mount(size: str = "64k", ro: bool = False) -> Path:
        where = tmp_path / f"mnt{len(mounted)}"
        where.mkdir()
        opts = f"size={size}" + (",ro" if ro else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount_ro(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)


# ---- item 5: run directories that cannot be written, before training -----------------------

def test_runs_dir_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "runs.txt"
    target.write_text("not a folder")
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--runs-dir", str(target))
    line = one_line(err)
    assert code == EXIT_FAILED
    assert "cannot create the run directory" in line and f"{target} is a file" in line
    assert target.read_text() == "not a folder"


def test_a_parent_of_the_runs_dir_is_a_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blocker").write_text("x")
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--runs-dir",
                        str(tmp_path / "blocker" / "deeper" / "runs"))
    assert code == EXIT_FAILED
    assert f"{tmp_path / 'blocker'} is a file, not a folder" in one_line(err)


@pytest.mark.parametrize("existing", [True, False], ids=["root-exists", "root-to-create"])
def test_read_only_runs_dir(tmpfs: Callable[..., Path], capsys: pytest.CaptureFixture[str],
                            existing: bool) -> None:
    mount = tmpfs(ro=True)
    root = mount if existing else mount / "runs"
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--runs-dir", str(root))
    line = one_line(err)
    assert code == EXIT_FAILED
    assert f"cannot create the run directory {root}/" in line
    assert "Read-only file system" in line and "--runs-dir" in line


def test_no_permission(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "locked"
    root.mkdir()
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        if self.parent == root:  # as a non-root user under a chmod 555 folder
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--runs-dir", str(root))
    assert code == EXIT_FAILED
    assert "Permission denied" in one_line(err) and str(root) in one_line(err)


def test_disk_full_while_creating_leaves_nothing_behind(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def full(path: Path, text: str) -> None:
        raise ENOSPC

    monkeypatch.setattr(rundirmod, "atomic_write", full)
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--runs-dir", str(tmp_path))
    assert code == EXIT_FAILED
    assert "No space left on device" in one_line(err) and "free some space" in one_line(err)
    assert list(tmp_path.iterdir()) == []  # no half-made run for `ktui runs` to trip on


def test_resume_into_a_read_only_run(tmpfs: Callable[..., Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    mount = tmpfs()
    run = recorded_run(mount)
    remount_ro(mount)
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--runs-dir", str(mount))
    assert code == EXIT_FAILED
    assert run.name in one_line(err) and "Read-only file system" in one_line(err)


def test_a_long_name_still_makes_a_run_directory(tmp_path: Path) -> None:
    spec = get_preset("linear-gd")
    spec.name = "x/" * 5000
    run = RunDir.create(tmp_path, spec)
    assert run.spec_file.is_file() and len(run.name.encode()) < 100


# ---- item 5: a write that fails mid-run ----------------------------------------------------

def _check_whole(run: RunDir, rows: int) -> None:
    """Every file is readable and whole after the failure."""
    log = run.read_metrics()
    assert log.problems == () and len(log.rows) == rows
    for line in run.events_file.read_text().splitlines():
        json.loads(line)
    assert run.read_summary().problems == ()
    assert not list(run.path.glob(".*.tmp*"))


def _train_cli(capsys: pytest.CaptureFixture[str], root: Path, epochs: int = 6
               ) -> tuple[int, str, RunDir]:
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--epochs", str(epochs),
                        "--runs-dir", str(root))
    (path,) = [p for p in root.iterdir() if p.is_dir()]
    return code, err, RunDir(path)


@pytest.mark.slow
def test_disk_full_on_metrics_csv_mid_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = recordermod.append_whole
    calls = []

    def fills_up(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise ENOSPC
        real(path, text)

    monkeypatch.setattr(recordermod, "append_whole", fills_up)
    code, err, run = _train_cli(capsys, tmp_path)
    assert code == EXIT_FAILED
    assert f"cannot write {run.name}/metrics.csv: No space left on device" in err
    assert "stopped after epoch 2" in err and "--resume" in err
    _check_whole(run, rows=2)
    summary = run.read_summary()
    assert summary.status == "failed" and summary.failure == "io"
    assert json.loads(run.events_file.read_text().splitlines()[-1])["kind"] == "io"


@pytest.mark.slow
def test_disk_full_on_events_jsonl_mid_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = recordermod.write_all

    def fills_up(fd: int, data: bytes) -> None:
        if data.startswith(b'{"event":"epoch_done","epoch":3'):
            raise ENOSPC
        real(fd, data)

    monkeypatch.setattr(recordermod, "write_all", fills_up)
    code, err, run = _train_cli(capsys, tmp_path)
    assert code == EXIT_FAILED
    assert f"cannot write {run.name}/events.jsonl: No space left on device" in err
    _check_whole(run, rows=2)


@pytest.mark.slow
def test_disk_full_on_summary_json_mid_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = RunDir.write_summary

    def fills_up(self: RunDir, fields: dict, **kwargs: object) -> None:
        if fields.get("epochs_done") == 2 and "final" in fields:
            raise ENOSPC
        real(self, fields, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RunDir, "write_summary", fills_up)
    code, err, run = _train_cli(capsys, tmp_path)
    assert code == EXIT_FAILED
    assert f"cannot write {run.name}/summary.json: No space left on device" in err
    assert json.loads(run.summary_file.read_text())["status"] == "failed"


@pytest.mark.slow
def test_disk_full_when_saving_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    def full(self: object, path: object, *args: object, **kwargs: object) -> None:
        Path(str(path)).write_bytes(b"half a zip")  # a partial file, then the error
        raise ENOSPC

    monkeypatch.setattr(keras.Model, "save", full)
    code, err, run = _train_cli(capsys, tmp_path, epochs=2)
    assert code == EXIT_FAILED
    assert f"cannot write {run.name}/model.keras: No space left on device" in err
    _check_whole(run, rows=2)
    assert not run.model_file.exists() and not (run.path / ".model-partial.keras").exists()


@pytest.mark.slow
def test_a_real_disk_fills_up_mid_run(tmpfs: Callable[..., Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = tmpfs("96k")
    code, err, run = _train_cli(capsys, root, epochs=5000)
    assert code == EXIT_FAILED
    assert "No space left on device" in err and f"cannot write {run.name}/" in err
    rows = len(run.read_metrics().rows)
    assert 0 < rows < 5000
    _check_whole(run, rows=rows)
    infos, problems = list_runs(root)
    assert problems == [] and infos[0].status in ("failed", "interrupted")
    assert infos[0].epochs_done == rows


# ---- item 6: damaged runs in `ktui runs` and `ktui runs show` -----------------------------

DAMAGED_SUMMARIES = {
    "epochs_done": "x", "best": [1], "updated": "yesterday", "status": 5, "pid": "a",
    "final": {"loss": "low"}, "seconds": [],
}


@pytest.mark.parametrize("field", DAMAGED_SUMMARIES)
def test_runs_lists_the_rest_and_names_a_damaged_summary_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str) -> None:
    good = recorded_run(tmp_path, name="20260101-000000-good")
    bad = recorded_run(tmp_path, name="20260102-000000-bad")
    edit_summary(bad, **{field: DAMAGED_SUMMARIES[field]})
    code, out, err = ktui(capsys, "runs", "--runs-dir", str(tmp_path))
    assert code == EXIT_OK
    assert good.name in out and bad.name not in out
    line = one_line(err)
    assert line.startswith(f"ktui: {bad.name}: skipped, damaged run (summary.json: {field} ")


@pytest.mark.parametrize("field", ["epochs_done", "best", "status", "pid"])
def test_runs_show_of_a_damaged_summary_warns_and_shows_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str) -> None:
    bad = recorded_run(tmp_path, name="20260102-000000-bad")
    edit_summary(bad, **{field: DAMAGED_SUMMARIES[field]})
    code, out, err = ktui(capsys, "runs", "show", bad.name, "--runs-dir", str(tmp_path))
    assert code == EXIT_OK
    assert f"warning: {bad.name}: summary.json: {field} must be" in one_line(err)
    assert bad.name in out and "0.6667" in out  # the metrics of epoch 3 are still shown


@pytest.mark.parametrize("row, problem", [
    ("4,1,2,3,4,5\n", "metrics.csv line 5: 6 fields, the header has 5"),
    ("4,1,2\n", "metrics.csv line 5: 3 fields, the header has 5"),
    ("4,low,2,3,4\n", "metrics.csv line 5: loss is not a number ('low')"),
], ids=["extra-field", "missing-field", "not-a-number"])
@pytest.mark.slow
def test_runs_show_skips_a_damaged_metrics_row_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, problem: str) -> None:
    run = recorded_run(tmp_path)
    with open(run.metrics_file, "a") as f:
        f.write(row + "5,0.4,0.2,0.42,0.22\n")
    code, out, err = ktui(capsys, "runs", "show", run.name, "--runs-dir", str(tmp_path))
    assert code == EXIT_OK
    assert problem in one_line(err)
    assert [int(r["epoch"]) for r in run.epochs_logged()] == [1, 2, 3, 5]
    code, out, err = ktui(capsys, "runs", "--runs-dir", str(tmp_path))
    assert code == EXIT_OK and run.name in out and err == ""


def test_runs_skips_a_spec_with_bad_bytes(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    good = recorded_run(tmp_path, name="20260101-000000-good")
    bad = recorded_run(tmp_path, name="20260102-000000-latin1")
    bad.spec_file.write_bytes(b'name = "caf\xe9"\n\x00\xff\xfe')
    code, out, err = ktui(capsys, "runs", "--runs-dir", str(tmp_path))
    assert code == EXIT_OK and good.name in out and bad.name not in out
    assert one_line(err).startswith(f"ktui: {bad.name}: skipped, not a readable ktui run (")


def test_events_garbage_does_not_hide_a_run(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run = recorded_run(tmp_path)
    with open(run.events_file, "ab") as f:
        f.write(b'\x00\xffnot json\n[1, 2]\n{"event": "epoch_done", "epoch": "x"}\n')
    code, out, err = ktui(capsys, "runs", "--runs-dir", str(tmp_path))
    assert code == EXIT_OK and run.name in out and "3/5" in out


# ---- items 12, 13: resumes that would silently lose or redo work ---------------------------

def test_resume_without_checkpoints_refuses(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run = recorded_run(tmp_path, epochs=7, total=10)
    before = run.metrics_file.read_text()
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--runs-dir", str(tmp_path))
    line = one_line(err)
    assert code == EXIT_USAGE
    assert f"{run.name} has 7 logged epochs but no checkpoint to resume from" in line
    assert "checkpoints/last is missing" in line and "--restart" in line
    assert run.metrics_file.read_text() == before


def test_resume_with_checkpoint_data_gone_refuses(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run = recorded_run(tmp_path, epochs=3)
    run.last_dir.mkdir(parents=True)
    (run.last_dir / "checkpoint").write_text('model_checkpoint_path: "ckpt-3"\n')
    (run.last_dir / "ckpt-3.index").write_bytes(b"")
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--runs-dir", str(tmp_path))
    assert code == EXIT_USAGE
    assert "no checkpoint to resume from (the data of" in one_line(err)


@pytest.mark.slow
def test_resume_with_an_unreadable_checkpoint_refuses(
        trained: RunDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_of(trained, tmp_path)
    (data,) = run.last_dir.glob("ckpt-3.data-*")
    data.write_bytes(b"garbage")
    before = run.spec_file.read_text()
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--epochs", "5", "--runs-dir",
                        str(tmp_path))
    assert code == EXIT_USAGE
    assert "checkpoints/last/ckpt-3 is unreadable" in one_line(err)
    assert "--restart" in one_line(err)
    assert run.spec_file.read_text() == before and len(run.epochs_logged()) == 3


@pytest.mark.parametrize("epochs, words", [
    ("2", "--epochs 2 is fewer than that"), ("3", "--epochs 3 leaves nothing to train"),
    (None, "has trained all its 3 epochs")])
@pytest.mark.slow
def test_resume_epochs_must_be_above_the_checkpoint(
        trained: RunDir, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        epochs: str | None, words: str) -> None:
    run = copy_of(trained, tmp_path)
    before = run.spec_file.read_text()
    argv = ["train", "--resume", run.name, "--runs-dir", str(tmp_path)]
    code, _, err = ktui(capsys, *argv, *(["--epochs", epochs] if epochs else []))
    assert code == EXIT_USAGE
    assert words in one_line(err) and "N > 3" in one_line(err)
    assert run.spec_file.read_text() == before  # only rewritten once every check passed


@pytest.mark.slow
def test_resume_with_a_damaged_metrics_row_refuses(
        trained: RunDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_of(trained, tmp_path)
    with open(run.metrics_file, "a") as f:
        f.write("4,1,2\n")
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--epochs", "5", "--runs-dir",
                        str(tmp_path))
    assert code == EXIT_USAGE
    assert "metrics.csv line 5: 3 fields, the header has 6" in one_line(err)  # + lr


@pytest.mark.parametrize("argv, words", [
    (["--lr", "0.5"], "--lr would change them mid-run"),
    (["--seed", "7"], "--seed would change them mid-run"),
    (["--preset", "linear-gd"], "drop --preset/--spec")])
def test_resume_refuses_settings_that_change_the_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        words: str) -> None:
    run = recorded_run(tmp_path)
    code, _, err = ktui(capsys, "train", "--resume", run.name, *argv, "--runs-dir",
                        str(tmp_path))
    assert code == EXIT_USAGE and words in one_line(err)


def test_restart_needs_resume(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = ktui(capsys, "train", "--preset", "linear-gd", "--restart")
    assert code == EXIT_USAGE and "--restart" in one_line(err) and "--resume" in one_line(err)


def test_resume_of_an_unknown_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = ktui(capsys, "train", "--resume", "nope", "--runs-dir", str(tmp_path))
    assert code == EXIT_USAGE and "nope" in err


@pytest.mark.slow
def test_restart_trains_again_and_keeps_the_old_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = recorded_run(tmp_path, epochs=4, total=10)
    old = run.metrics_file.read_text()
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--restart", "--epochs", "2",
                        "--runs-dir", str(tmp_path))
    assert code == EXIT_OK, err
    assert f"training {run.name} again from epoch 1" in err
    (previous,) = (run.path / "previous").iterdir()
    assert (previous / "metrics.csv").read_text() == old
    assert (previous / "spec.toml").is_file()
    assert [int(r["epoch"]) for r in run.epochs_logged()] == [1, 2]
    assert run.status() == "finished" and run.spec().train.epochs == 2


@pytest.mark.slow
def test_resume_repairs_a_damaged_summary_and_drops_event_garbage(
        trained: RunDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_of(trained, tmp_path)
    edit_summary(run, epochs_done="x", seconds="long")
    with open(run.events_file, "a") as f:
        f.write("garbage\n[1]\n")
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--epochs", "4", "--runs-dir",
                        str(tmp_path))
    assert code == EXIT_OK, err
    assert "warning" in err and "summary.json: epochs_done must be" in err
    summary = run.read_summary()
    assert summary.problems == () and summary.epochs_done == 4 and summary.status == "finished"
    for line in run.events_file.read_text().splitlines():
        assert isinstance(json.loads(line), dict)
    assert [int(r["epoch"]) for r in run.epochs_logged()] == [1, 2, 3, 4]


def test_the_trainer_itself_refuses_a_resume_without_checkpoints(tmp_path: Path) -> None:
    run = recorded_run(tmp_path, epochs=4)
    events: list = []
    final = start_run(run.spec(), [events.append], run=run, resume=True).join()
    assert isinstance(final, RunFailed) and final.kind == "io"
    assert "4 logged epochs but no checkpoint" in final.message
    assert len(run.epochs_logged()) == 4  # nothing dropped


# ---- item 14: one process per run ----------------------------------------------------------

HOLDER = textwrap.dedent("""
    import fcntl, json, os, socket, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.time(), "by": "ktui train"}).encode())
    print("locked", flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def holder() -> Iterator[Callable[[RunDir], subprocess.Popen]]:
    """``hold(run)``: another process that holds the run's lock until the test ends."""
    procs: list[subprocess.Popen] = []

    def hold(run: RunDir) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run.lock_file)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_second_resume_is_refused_naming_the_holder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        holder: Callable[[RunDir], subprocess.Popen]) -> None:
    run = recorded_run(tmp_path)
    before = run.spec_file.read_text()
    proc = holder(run)
    started = time.monotonic()
    code, _, err = ktui(capsys, "train", "--resume", run.name, "--epochs", "9", "--runs-dir",
                        str(tmp_path))
    assert code == EXIT_FAILED and time.monotonic() - started < 5
    line = one_line(err)
    assert f"{run.name} is in use by pid {proc.pid} on {socket.gethostname()} since " in line
    assert "(ktui train); wait for it or stop it" in line
    assert run.spec_file.read_text() == before


def test_starting_a_run_takes_the_lock_too(tmp_path: Path,
                                           holder: Callable[[RunDir], subprocess.Popen]) -> None:
    run = recorded_run(tmp_path)
    proc = holder(run)
    with pytest.raises(RunBusy, match=f"in use by pid {proc.pid}"):
        start_run(run.spec(), [], run=run, resume=True)


def test_running_means_its_lock_is_held(tmp_path: Path,
                                        holder: Callable[[RunDir], subprocess.Popen]) -> None:
    run = recorded_run(tmp_path)  # says running, with this (live) process's pid
    with run.lock():
        assert run.status() == "running"  # re-entrant in this process, held
    assert run.status() == "interrupted"  # a lock file nobody holds beats a live pid
    proc = holder(run)
    assert run.status() == "running"
    proc.kill()
    proc.wait()
    assert run.status() == "interrupted"


def test_lock_is_reentrant_and_released(tmp_path: Path) -> None:
    run = recorded_run(tmp_path)
    with run.lock("test"):
        with run.lock("again"):
            assert lockmod.lock_held(run.path)
        assert lockmod.lock_held(run.path)
    assert lockmod.lock_held(run.path) is False


# ---- item 7: errors only TensorFlow/Keras raise --------------------------------------------

def _fail_with(monkeypatch: pytest.MonkeyPatch, where: str, err: BaseException,
               tmp_path: Path) -> RunFailed:
    import ktui.core.build
    from ktui.core.training import loop

    def boom(*args: object, **kwargs: object) -> None:
        raise err

    target = ktui.core.build if where == "build_model" else loop._Run
    monkeypatch.setattr(target, where, boom)
    spec = get_preset("fashion-mlp" if where == "build_model" else "linear-gd")
    spec.train.epochs = 2
    events: list = []
    if where == "build_model":  # the data is not needed to fail building
        import numpy as np

        from ktui.core.datasets import Splits

        x = np.zeros((8, 28, 28), np.float32)
        y = np.zeros(8, np.int64)
        monkeypatch.setattr("ktui.core.datasets.load_splits",
                            lambda *a, **k: Splits(x, y, x, y, x, y, (), None))
    final = start_run(spec, [events.append], run=RunDir.create(tmp_path, spec)).join()
    assert isinstance(final, RunFailed) and events[-1] == final
    assert "\n" not in final.message
    return final


def test_out_of_memory_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = _fail_with(monkeypatch, "build_model", MemoryError(), tmp_path)
    assert final.kind == "resources"
    assert final.message == ("out of memory building the model (248,410 parameters, batch "
                             "256): lower train.batch_size or the layer sizes")


def test_out_of_memory_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorflow as tf

    oom = tf.errors.ResourceExhaustedError(
        None, None, "OOM when allocating tensor with shape[1000000,1000000]\n and more")
    final = _fail_with(monkeypatch, "execute", oom, tmp_path)
    assert final.kind == "resources" and final.message.startswith(
        "out of memory training the model (2 parameters, batch the whole training set)")


def test_keras_seed_refusal_names_the_field(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    final = _fail_with(monkeypatch, "execute",
                       ValueError("Seed must be between 0 and 2**32 - 1"), tmp_path)
    assert final.kind == "spec" and final.message.startswith("train.seed: must be between 0")


def test_recursion_is_a_spec_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = _fail_with(monkeypatch, "execute", RecursionError("maximum depth"), tmp_path)
    assert final.kind == "spec" and final.message.startswith("layers: the model is too deep")


def test_an_unknown_error_is_one_line_with_details(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = "first line of a TF dump\n" + "\n".join(f"  frame {i}" for i in range(200))
    final = _fail_with(monkeypatch, "execute", RuntimeError(text), tmp_path)
    assert final.kind == "error"
    assert final.message == "RuntimeError while training the model: first line of a TF dump"
    assert final.details["text"] == text and "Traceback" in final.details["traceback"]


def test_a_tf_disk_error_is_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tensorflow as tf

    err = tf.errors.ResourceExhaustedError(
        None, None, f"{tmp_path}/x/checkpoints/last/ckpt-2_temp/part-0; No space left on device")
    final = _fail_with(monkeypatch, "execute", err, tmp_path)
    assert final.kind == "io" and "No space left on device" in final.message


# ---- item 15: SIGTERM and SIGHUP stop like Ctrl+C ------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
@pytest.mark.slow
def test_signal_stops_cleanly_in_a_real_process(tmp_path: Path, signum: int) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-gd", "--epochs", "100000",
         "--runs-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    saw_epoch = threading.Event()

    def drain() -> None:  # keep reading so a full pipe never blocks the trainer
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("epoch"):
                saw_epoch.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        assert saw_epoch.wait(120), "no epoch line before the timeout"
        sent = time.monotonic()
        proc.send_signal(signum)
        code = proc.wait(timeout=20)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert code == 128 + signum, err
    assert elapsed < 8, f"took {elapsed:.1f} s to stop"
    assert "Traceback" not in err and "stopping after this batch" in err
    assert "training stopped after epoch" in err and "model saved" in err
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = RunDir(path)
    summary = run.read_summary()
    assert summary.status == "stopped" and summary.epochs_done >= 1
    assert run.model_file.stat().st_size > 0 and run.status() == "stopped"
    assert json.loads(run.events_file.read_text().splitlines()[-1])["status"] == "stopped"


@pytest.mark.slow
def test_output_that_goes_away_stops_the_run_cleanly(tmp_path: Path) -> None:
    """``ktui train --jsonl | head -1``: the pipe closes; the run stops, recorded and whole."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-gd", "--epochs", "100000",
         "--jsonl", "--runs-dir", str(tmp_path)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(first)["event"] == "run_started"
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert code == EXIT_FAILED, err
    assert "the output is gone (Broken pipe); training stopped" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    run = RunDir(path)
    assert run.read_summary().status == "stopped" and run.model_file.is_file()
