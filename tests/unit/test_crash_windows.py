"""A run killed at any instant resumes (issue 21, item 2; issue 25, item 2).

An epoch is logged before its checkpoint is written, so a ``kill -9`` can leave a run folder
with N logged epochs and the last checkpoint at N-1, none at all (epoch 1), or a half-written
one. Each window is built from real runs (the files a killed run leaves: a shorter run's
checkpoint, partial checkpoint files), then ``ktui train --resume`` must redo the epoch in
flight and end with exactly the curves of a run that was never interrupted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.core.events import RunFinished
from ktui.core.runs import RunDir
from ktui.core.session import start_run
from ktui.core.spec.presets import get_preset

pytestmark = pytest.mark.slow  # trains in a module fixture or a new process

EPOCHS = 3


def _run(root: Path, epochs: int) -> RunDir:
    spec = get_preset("linear-gd")
    spec.train.epochs = epochs
    run = RunDir.create(root, spec)
    final = start_run(spec, [], run=run).join()
    assert isinstance(final, RunFinished) and final.epochs_done == epochs
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, RunDir]:
    """Real linear-gd runs of 1, 2 and 3 epochs (3: the one never interrupted)."""
    return {n: _run(tmp_path_factory.mktemp(f"e{n}"), n) for n in (1, 2, EPOCHS)}


def _copy(run: RunDir, root: Path) -> RunDir:
    return RunDir(Path(shutil.copytree(run.path, root / run.name)))


def _curves(run: RunDir) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in row.items()} for row in run.epochs_logged()]


def _no_checkpoint(runs: dict[int, RunDir], root: Path) -> RunDir:
    """Killed between epoch 1's log line and its checkpoint: nothing in checkpoints/."""
    run = _copy(runs[1], root)
    shutil.rmtree(run.last_dir)
    shutil.rmtree(run.best_dir, ignore_errors=True)
    return run


def _first_half_written(runs: dict[int, RunDir], root: Path) -> RunDir:
    """Killed while epoch 1's checkpoint was written: its files, but no index naming them."""
    run = _copy(runs[1], root)
    (run.last_dir / "checkpoint").unlink()
    shutil.rmtree(run.best_dir, ignore_errors=True)
    return run


def _one_behind(runs: dict[int, RunDir], root: Path) -> RunDir:
    """Killed between epoch 2's log line and its checkpoint: the checkpoint of epoch 1."""
    run = _copy(runs[2], root)
    shutil.rmtree(run.last_dir)
    shutil.copytree(runs[1].last_dir, run.last_dir)
    return run


def _half_written(runs: dict[int, RunDir], root: Path) -> RunDir:
    """Killed half-way through epoch 2's checkpoint: partial ckpt-2 files, the index still
    naming ckpt-1."""
    run = _one_behind(runs, root)
    (run.last_dir / "ckpt-2.data-00000-of-00001").write_bytes(b"\x00" * 17)
    (run.last_dir / "ckpt-2.index").write_bytes(b"")
    return run


@pytest.mark.slow
@pytest.mark.parametrize("window", [_no_checkpoint, _first_half_written, _one_behind,
                                    _half_written])
def test_resume_after_a_kill_redoes_the_epoch_in_flight(
        runs: dict[int, RunDir], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        window: Callable[[dict[int, RunDir], Path], RunDir]) -> None:
    run = window(runs, tmp_path)
    code = main(["train", "--resume", run.name, "--epochs", str(EPOCHS),
                 "--runs-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "Traceback" not in out + err
    assert run.read_summary().status == "finished"
    redone = 1 if window in (_no_checkpoint, _first_half_written) else 2
    if redone > 1:  # a resumed run says so, first and last (issue 21, item 13)
        assert out.startswith("resumed from epoch 1 of 3\n")
        assert "done: 3 epochs (2 epochs this time, resumed from epoch 1) in " in out
    else:
        assert "resumed" not in out and "\ndone: 3 epochs in " in out
    got, want = _curves(run), _curves(runs[EPOCHS])
    assert [r["epoch"] for r in got] == [1.0, 2.0, 3.0]
    for row, ref in zip(got, want, strict=True):
        assert row == pytest.approx(ref, rel=1e-6, abs=1e-7)


def test_more_logged_epochs_than_in_flight_without_a_checkpoint_still_refuses(
        runs: dict[int, RunDir], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Two logged epochs and no checkpoint: not a kill's window (the checkpoints are gone);
    # resuming would drop epoch 1 silently.
    run = _copy(runs[2], tmp_path)
    shutil.rmtree(run.last_dir)
    code = main(["train", "--resume", run.name, "--epochs", str(EPOCHS),
                 "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert f"{run.name} has 2 logged epochs but no checkpoint to resume from" in err
    assert len(run.epochs_logged()) == 2
