"""Small helpers shared by the Pilot and snapshot tests, and the test app's settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from textual.pilot import Pilot

from ktui.core.events import Event
from ktui.core.spec import ExperimentSpec
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.settings import AppSettings


def frozen_clock() -> float:
    """A monotonic clock that never moves: no timing can differ between two runs."""
    return 0.0


#: Every screen the same on every run: no clocks shown, no blink, no animation, no
#: TensorFlow, every scripted point drawn, survived errors fail the test.
TEST_SETTINGS = AppSettings(
    clock=frozen_clock, timings=False, warm_up_tf=False, cursor_blink=False, animations=False,
    chart_min_interval=0.0, reraise_internal_errors=True)


def make_test_app(spec: ExperimentSpec | None = None, **kwargs: Any) -> KtuiApp:
    """``make_app`` with :data:`TEST_SETTINGS` (what every TUI test runs)."""
    return make_app(spec, settings=TEST_SETTINGS, **kwargs)


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.01)
        await asyncio.sleep(0)


def training(app: KtuiApp) -> TrainingScreen:
    screen = app.screen
    assert isinstance(screen, TrainingScreen), f"on {type(screen).__name__}"
    return screen


async def feed(pilot: Pilot, events: Iterable[Event]) -> TrainingScreen:
    """Open the training view without a worker and apply a scripted event stream to it."""
    app = pilot.app
    assert isinstance(app, KtuiApp)
    screen = app.open_training(start=False)
    await pilot.pause()
    for event in events:
        screen.handle_event(event)
    screen.flush()
    await pilot.pause()
    return screen


async def settle(pilot: Pilot) -> None:
    """Wait for workers and queued messages, then redraw (for run_before of snapshots)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, TrainingScreen):
        screen.flush()
    await pilot.pause()


async def row_shown(pilot: Pilot, screen: Any, key: str) -> Any:
    """The setup view's row of field ``key`` ("train.log_every"), its section opened first
    when it is closed (a closed section's rows are built when it first opens)."""
    from ktui.ui.screens.setup_sections import SettingsSection
    from ktui.ui.widgets.fields import FieldRow

    for section in screen.query(SettingsSection):
        if any(f.key == key for f in section.section.fields) and section.collapsed:
            section.collapsed = False
            await until(pilot, lambda s=section: s.rows_built and bool(s.query(FieldRow)))
            await pilot.pause()
    return screen.query_one("#f-" + key.replace(".", "-"), FieldRow)
