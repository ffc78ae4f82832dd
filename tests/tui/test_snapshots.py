"""Screens as a person sees them, recorded as SVG (``make snapshots`` after an intended change).

Every app runs in test mode (no clocks, no blink, no TensorFlow) and is driven by a scripted
event stream or a scripted fake trainer, so each snapshot is the same on every run.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ktui.core.presets import get_preset
from ktui.core.spec import LayerSpec
from ktui.ui.app import make_app

from .fakes import classifier_events, failing, linear_events, scripted
from .helpers import feed, settle
from .recorded_runs import make_runs_root

WIDE = (120, 36)
SMALL = (80, 24)


def test_setup_default_preset(snap_compare) -> None:
    assert snap_compare(make_app(test_mode=True), terminal_size=WIDE, run_before=settle)


def test_setup_80x24_fashion_mlp(snap_compare) -> None:
    app = make_app(get_preset("fashion-mlp"), test_mode=True)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_layer_form_with_an_error(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#param-units Input", Input).value = "0"
        await settle(pilot)

    assert snap_compare(make_app(test_mode=True), terminal_size=WIDE, run_before=run_before)


def test_setup_invalid_stack_explained(snap_compare) -> None:
    spec = get_preset("fashion-cnn")
    spec.layers[0] = LayerSpec("Reshape", {"target_shape": [28, 27, 1]})
    assert snap_compare(make_app(spec, test_mode=True), terminal_size=WIDE, run_before=settle)


def test_training_linear_mid_run(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 5 + 2))
        await settle(pilot)

    assert snap_compare(make_app(test_mode=True), terminal_size=WIDE, run_before=run_before)


def test_training_linear_finished(snap_compare) -> None:
    app = make_app(test_mode=True, start=True,
                   train_fn=scripted(linear_events, test={"loss": 1.021, "mae": 0.807}))
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_training_classifier_mid_run(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, islice(classifier_events(epochs=8, steps=20), 1 + 21 * 3 + 7))
        await settle(pilot)

    app = make_app(get_preset("fashion-mlp"), test_mode=True)
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_training_classifier_finished(snap_compare) -> None:
    app = make_app(get_preset("fashion-mlp"), test_mode=True, start=True,
                   train_fn=scripted(classifier_events, test={"loss": 0.402, "accuracy": 0.861}))
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_training_classifier_80x24(snap_compare) -> None:
    app = make_app(get_preset("fashion-mlp"), test_mode=True, start=True,
                   train_fn=scripted(classifier_events, test={"loss": 0.402, "accuracy": 0.861}))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_training_failed(snap_compare) -> None:
    app = make_app(test_mode=True, start=True, train_fn=failing())
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_help_screen(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(test_mode=True), terminal_size=SMALL, run_before=run_before)


def test_runs_list(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the runs root shows as the relative "ktui-runs"
    make_runs_root(tmp_path / "ktui-runs")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await pilot.press("down", "down", "down", "space", "down", "space")
        await settle(pilot)

    app = make_app(test_mode=True, runs_dir="ktui-runs")
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_training_compared_with_past_runs(snap_compare, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await pilot.press("down", "down", "down", "space", "down", "space", "escape")
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 6))
        await settle(pilot)

    app = make_app(test_mode=True, runs_dir="ktui-runs")
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


async def test_readme_screenshot_is_current() -> None:
    """assets/training-view.svg is what the app draws now (``python -m
    tests.tui.make_screenshot`` rewrites it after an intended change)."""
    from .make_screenshot import ASSET, render

    assert ASSET.read_text(encoding="utf-8") == await render()
