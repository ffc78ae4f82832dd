"""The watch view on a real background trainer (``ktui train --detach``): the view follows it
as it grows, its keys pause it and halve its learning rate (the trainer's events answer),
quitting the viewer leaves it training, a second viewer reattaches and stops it, and the run
says who stopped it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.core.runs import RunDir
from ktui.core.runs.lock import lock_held, read_holder
from ktui.ui.screens.watch_run import WatchScreen

from .helpers import make_test_app, until

pytestmark = pytest.mark.slow


@pytest.fixture
def trainer(runs_dir: Path) -> Iterator[RunDir]:
    """A detached linear run of many short epochs, killed if a test leaves it behind."""
    out = subprocess.run(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-gd", "--epochs", "100000",
         "--detach"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr
    run = RunDir(runs_dir / out.stdout.split(":", 1)[0])
    pid = read_holder(run.path)["pid"]
    try:
        yield run
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def test_watch_steer_leave_reattach_and_stop_a_detached_run(trainer: RunDir) -> None:
    run = trainer
    app = make_test_app(watch=run)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WatchScreen), 10)
        screen = app.screen
        assert isinstance(screen, WatchScreen)
        await until(pilot, lambda: screen.view.epochs_done >= 2, 30)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "paused", 10)  # the trainer's answer
        lr = screen.view.lr or 0.1
        await pilot.press("minus", "space")  # a paused trainer takes the rate at its next step
        await until(pilot, lambda: screen.view.state == "running", 10)
        await until(pilot, lambda: screen.view.lr is not None
                    and abs(screen.view.lr - lr / 2) < 1e-9, 10)
        await pilot.press("q")  # leaving the viewer: the run goes on
    done = screen.view.epochs_done
    assert lock_held(run.path)
    time.sleep(0.5)

    again = make_test_app(watch=run)
    async with again.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, WatchScreen), 10)
        screen = again.screen
        assert isinstance(screen, WatchScreen)
        await until(pilot, lambda: screen.view.epochs_done > done, 20)  # it went on
        await pilot.press("s")
        await until(pilot, lambda: screen.result is not None, 20)
        result = str(screen.query_one("#result").render())
        assert f"Stopped: from a viewer (pid {os.getpid()})" in result
    summary = run.read_summary()
    assert summary.status == "stopped"


async def test_train_in_the_background_from_the_setup_view(runs_dir: Path) -> None:
    """``ctrl+b`` in the setup view hands the run to a background ``ktui train`` and watches
    it: quitting ktui leaves it training (issue 23, item 1)."""
    from ktui.core.spec.presets import get_preset

    spec = get_preset("linear-gd")
    spec = spec.copy()
    spec.train.epochs = 100000
    app = make_test_app(spec)
    pid = None
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+b")
            await until(pilot, lambda: isinstance(app.screen, WatchScreen), 60)
            screen = app.screen
            assert isinstance(screen, WatchScreen)
            run = screen.watched
            pid = read_holder(run.path)["pid"]
            assert pid != os.getpid()  # another process trains it
            await until(pilot, lambda: screen.view.epochs_done >= 1, 60)
            await pilot.press("q")
        assert lock_held(run.path)  # ktui quit; the run goes on
        assert (run.path / "train.log").is_file()
        assert run.spec().train.epochs == 100000
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
