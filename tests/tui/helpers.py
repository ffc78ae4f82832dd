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


def recorded_dataset_line(dataset: Any) -> str:
    """The dataset line the setup snapshots were recorded with (the app's own line comes
    from the core's ``describe_dataset``; these tests pin the form, not that wording)."""
    d = dataset
    try:
        if d.kind == "linear":
            if d.x:
                return (f"{len(d.x)} fixed points of {d.n_features} features "
                        "(W, b, noise, n unused)")
            w = ", ".join(f"{v:g}" for v in d.w)
            return (f"y = x·[{w}] + {d.b:g} + N(0, {d.noise:g}²); {d.n:,} samples of "
                    f"{d.n_features} feature{'s' * (d.n_features != 1)}, seed {d.seed}")
        used = f"{d.samples:,}" if d.samples else "all 60,000"
        std = "standardised" if d.standardize else "raw 0–255"
        return f"Fashion-MNIST 28×28 grey, 10 classes; {used} training images, {std}"
    except (TypeError, ValueError):  # a value the validation flags on its field
        return "(the dataset has an invalid value: see the flagged field)"


#: Every screen the same on every run: no clocks shown, no blink, no animation, no
#: TensorFlow, every scripted point drawn, no merged steps, survived errors fail the test.
TEST_SETTINGS = AppSettings(
    clock=frozen_clock, timings=False, warm_up_tf=False, cursor_blink=False, animations=False,
    chart_min_interval=0.0, merge_steps=False, reraise_internal_errors=True,
    describe_dataset=recorded_dataset_line)


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
