"""The watch view: the training view on a run that another process trains, fed by the run's
growing events.jsonl and steering it over its control channel (a recording sender here; a
real detached trainer in test_watch_live.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from ktui.core.events import Event, LrChanged, Paused, RunFinished, to_json
from ktui.core.runs import RunDir
from ktui.core.runs.lock import RunLock
from ktui.core.runs.remote_control import RemoteControl
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.watch_run import WatchScreen, behind_text

from .fakes import linear_events
from .helpers import make_test_app, until
from .recorded_runs import write_run

NAME = "20260107-120000-linear-gd"
HOLDER = {"pid": 4242, "host": "gpu-box", "by": "ktui train --preset linear-gd --detach"}
WIDE = (120, 36)


class Trainer:
    """What the view sees of the other process: whether it trains, and what it was sent."""

    def __init__(self) -> None:
        self.alive = True
        self.requests: list[dict[str, Any]] = []

    def send(self, folder: Path, request: dict[str, Any], name: str) -> None:
        self.requests.append(request)


def append(run: RunDir, *events: Event) -> None:
    with open(run.events_file, "a", encoding="utf-8") as f:
        for event in events:
            f.write(to_json(event) + "\n")


def watched(root: Path, first: int) -> tuple[RunDir, list[Event]]:
    """A run that has logged its first ``first`` events of a 10-epoch linear run, and the
    rest of them."""
    events = list(linear_events(epochs=10, steps=4))
    return write_run(root, get_preset("linear-gd"), events[:first], NAME), events[first:]


def watch_screen(run: RunDir, trainer: Trainer) -> WatchScreen:
    control = RemoteControl(run.path, run.name, sender=trainer.send, threaded=False)
    return WatchScreen(run.spec(), run, holder=HOLDER, trained=lambda: trainer.alive,
                       control=control)


@pytest.mark.slow
async def test_the_view_follows_the_log_and_steers_over_the_channel(tmp_path: Path) -> None:
    run, rest = watched(tmp_path, 1 + 2 * 5)
    trainer = Trainer()
    app = make_test_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = watch_screen(run, trainer)
        app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 2)
        line = str(screen.query_one("#watch-line").render())
        assert "trained by pid 4242 on gpu-box (ktui train --preset linear-gd --detach)" in line
        assert "up to date" in line
        assert not screen.check_action("run", ())  # nothing trains here
        append(run, *rest[:10])  # the log grows: epochs 3 and 4
        await until(pilot, lambda: screen.view.epochs_done == 4)

        await pilot.press("space")
        assert trainer.requests == [{"op": "pause"}]
        assert screen.view.state == "running"  # only the trainer's event says it paused
        append(run, Paused(4, 0))
        await until(pilot, lambda: screen.view.state == "paused")
        await pilot.press("n", "minus")
        assert trainer.requests[1:] == [{"op": "step", "n": 1}, {"op": "lr", "factor": 0.5}]
        append(run, LrChanged(4, 0, 0.05, 0.1, source="user"))
        await until(pilot, lambda: screen.view.lr == 0.05)
        await pilot.press("space")
        assert trainer.requests[-1] == {"op": "resume"}

        await pilot.press("s")
        assert trainer.requests[-1] == {"op": "stop"}
        append(run, RunFinished("stopped", 4, {}, 2.0, reason="stopped: from a viewer (pid 7)"))
        trainer.alive = False
        await until(pilot, lambda: screen.result is not None
                    and screen.query_one("#result").display)
        result = str(screen.query_one("#result").render())
        assert "Stopped after 4 epochs" in result and "Stopped: from a viewer (pid 7)" in result
        assert "nobody trains it now" in str(screen.query_one("#watch-line").render())
        assert not screen.check_action("pause", ())
        await app.workers.wait_for_complete()  # the follower ends with the run


async def test_a_trainer_gone_without_a_last_word_reads_interrupted(tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 3 * 5)
    trainer = Trainer()
    trainer.alive = False
    app = make_test_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = watch_screen(run, trainer)
        app.push_screen(screen)
        await until(pilot, lambda: screen.view.state == "interrupted")
        assert "Interrupted after 3 epochs" in str(screen.query_one("#result").render())
        assert f"ktui train --resume {NAME}" in str(screen.query_one("#result").render())


@pytest.mark.slow
async def test_quitting_the_viewer_never_stops_the_run(tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 2 * 5)
    trainer = Trainer()
    app = make_test_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = watch_screen(run, trainer)
        app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 2)
        assert not app.run_in_progress()  # q asks nothing
        await pilot.press("q")
    assert trainer.requests == []  # no stop sent


async def test_enter_on_a_running_run_in_the_list_watches_it(tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 2 * 5)
    lock = RunLock(run.path, run.name)
    lock.acquire()  # a trainer holds it (this process, for the test)
    try:
        app = make_test_app(runs_dir=str(tmp_path))
        async with app.run_test(size=WIDE) as pilot:
            app.action_open_runs()
            await until(pilot, lambda: isinstance(app.screen, RunsScreen))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, WatchScreen))
            screen = app.screen
            assert isinstance(screen, WatchScreen)
            await until(pilot, lambda: screen.view.epochs_done == 2)
            await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, RunsScreen))
    finally:
        lock.release()


async def test_ktui_watch_opens_on_the_run_over_the_runs_list(tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 2 * 5)
    (run.path / ".lock").touch()  # its trainer is gone: nobody holds the lock
    app = make_test_app(runs_dir=str(tmp_path), watch=run)
    async with app.run_test(size=WIDE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WatchScreen))
        screen = app.screen
        assert isinstance(screen, WatchScreen)
        # Nobody holds the run's lock: its log as recorded, and an ending it never wrote.
        await until(pilot, lambda: screen.view.state == "interrupted")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))


def test_behind_text() -> None:
    assert behind_text(0) == "up to date"
    assert behind_text(300) == "300 B behind"
    assert behind_text(12 * 1024) == "12.0 KB behind"
    assert behind_text(3 << 20) == "3.0 MB behind"


def test_watch_view_mid_run_snapshot(snap_compare, tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 5 * 5 + 2)
    trainer = Trainer()

    async def run_before(pilot: Pilot) -> None:
        screen = watch_screen(run, trainer)
        pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 5 and screen.view.step == 2)
        screen.flush()
        await pilot.pause()

    assert snap_compare(make_test_app(), terminal_size=WIDE, run_before=run_before)




@pytest.mark.slow  # waits on the runs list's timer to read the run again
async def test_the_runs_list_follows_running_runs(tmp_path: Path) -> None:
    run, _ = watched(tmp_path, 1 + 2 * 5)
    run.write_summary({"epochs_done": 2})
    lock = RunLock(run.path, run.name)
    lock.acquire()  # a trainer holds it (this process, for the test)
    try:
        app = make_test_app(runs_dir=str(tmp_path))
        async with app.run_test(size=WIDE) as pilot:
            app.action_open_runs()
            await until(pilot, lambda: isinstance(app.screen, RunsScreen))
            screen = app.screen
            assert isinstance(screen, RunsScreen)
            await until(pilot, lambda: bool(screen.query(DataTable)) and bool(screen.runs))
            table = screen.query_one(DataTable)
            assert str(table.get_cell(NAME, "epochs")) == "2/10"
            # A running run's status carries a sparkline of its monitored metric (val_loss
            # per epoch: the highest epoch a full bar, the lowest the lowest bar).
            losses = [e["val_loss"] for e in map(json.loads, run.events_file.read_text(
                encoding="utf-8").splitlines()) if e.get("event") == "epoch_done"]
            assert len(losses) == 2 and losses[0] != losses[1]
            bars = "".join("█" if v == max(losses) else "▁" for v in losses)
            assert str(table.get_cell(NAME, "status")) == f"running {bars}"
            run.write_summary({"epochs_done": 3, "best": {"val_mae": 0.8123}})
            await until(pilot, lambda: str(table.get_cell(NAME, "epochs")) == "3/10", 5)
            assert str(table.get_cell(NAME, "best")) == "val_mae 0.8123"
            lock.release()  # the trainer is gone
            await until(pilot, lambda: str(table.get_cell(NAME, "status")) == "interrupted",
                        5)
    finally:
        lock.release()


async def test_elapsed_time_counts_from_when_the_trainer_took_the_run(tmp_path: Path) -> None:
    import time

    run, _ = watched(tmp_path, 1 + 2 * 5)
    trainer = Trainer()
    control = RemoteControl(run.path, run.name, sender=trainer.send, threaded=False)
    screen = WatchScreen(run.spec(), run, holder={**HOLDER, "since": time.time() - 600},
                         trained=lambda: trainer.alive, control=control)
    app = make_test_app()
    async with app.run_test(size=WIDE) as pilot:
        app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 2)
        elapsed = screen.view.elapsed(screen.now())
        assert elapsed is not None and 595 < elapsed < 700


async def test_the_watch_view_footer_fits_80_columns(tmp_path: Path) -> None:
    """At 80x24 "l Load spec" pushed "q Quit" and "? Help" under the palette's corner."""
    run, _ = watched(tmp_path, 1 + 2 * 5)
    trainer = Trainer()
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = watch_screen(run, trainer)
        app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 2)
        await pilot.pause()
        keys = list(screen.query("FooterKey"))
        labels = " ".join(str(k.render()) for k in keys)
        assert "Quit" in labels and "Help" in labels, labels
        palette = [k for k in keys if "palette" in str(k.render())]
        right = palette[0].region.x if palette else 80
        assert all(k.region.right <= right for k in keys if k not in palette), labels
