"""Screens as a person sees them, recorded as SVG (``make snapshots`` after an intended change).

Every app runs with the test settings (no clocks, no blink, no TensorFlow) and is driven by a
scripted event stream or a scripted fake trainer, so each snapshot is the same on every run.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset

from .fakes import classifier_events, failing, linear_events, scripted
from .helpers import feed, make_test_app, settle
from .recorded_runs import finish, make_runs_root, write_run

WIDE = (120, 36)
SMALL = (80, 24)


@pytest.mark.slow
def test_setup_default_preset(snap_compare) -> None:
    assert snap_compare(make_test_app(), terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_setup_80x24_fashion_mlp(snap_compare) -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


@pytest.mark.slow
def test_layer_form_with_an_error(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#param-units Input", Input).value = "0"
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=WIDE, run_before=run_before)


@pytest.mark.slow
def test_setup_invalid_stack_explained(snap_compare) -> None:
    spec = get_preset("fashion-cnn")
    spec.layers[0] = LayerSpec("Reshape", {"target_shape": [28, 27, 1]})
    assert snap_compare(make_test_app(spec), terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_setup_80x24_fashion_cnn(snap_compare) -> None:
    """The summary at its narrowest: shapes and params in full, the layer column cut first."""
    app = make_test_app(get_preset("fashion-cnn"))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


@pytest.mark.slow
def test_setup_200x60_fashion_cnn(snap_compare) -> None:
    """The summary's columns sized to their content, not spread over 140 columns."""
    app = make_test_app(get_preset("fashion-cnn"))
    assert snap_compare(app, terminal_size=(200, 60), run_before=settle)


def test_setup_edited_custom(snap_compare) -> None:
    """After an edit: preset "custom", name fashion-mlp-custom, the derived description."""
    async def run_before(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#f-train-epochs Input", Input).value = "12"
        await settle(pilot)

    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_layer_form_80x24_preview(snap_compare) -> None:
    """The form at 80×24: every button on screen, the keys, the live shape preview."""
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("a")  # after layer 1, Reshape [784]
        await settle(pilot)

    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


@pytest.mark.slow
def test_training_linear_mid_run(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 5 + 2))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=WIDE, run_before=run_before)


def test_training_linear_finished(snap_compare) -> None:
    app = make_test_app(start=True,
                   train_fn=scripted(linear_events, test={"loss": 1.021, "mae": 0.807}))
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_training_classifier_mid_run(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, islice(classifier_events(epochs=8, steps=20), 1 + 21 * 3 + 7))
        await settle(pilot)

    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_training_classifier_finished(snap_compare) -> None:
    app = make_test_app(get_preset("fashion-mlp"), start=True,
                   train_fn=scripted(classifier_events, test={"loss": 0.402, "accuracy": 0.861}))
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


def test_training_classifier_80x24(snap_compare) -> None:
    app = make_test_app(get_preset("fashion-mlp"), start=True,
                   train_fn=scripted(classifier_events, test={"loss": 0.402, "accuracy": 0.861}))
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_training_linear_80x24_weights(snap_compare) -> None:
    """80x24: one chart at a time, at full height; ``c`` shows the next (here W and b)."""
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    app = make_test_app(start=True,
                   train_fn=scripted(linear_events, test={"loss": 1.021, "mae": 0.807}))
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


@pytest.mark.slow  # its 80x24 sibling stays in the quick loop
def test_training_linear_200x60(snap_compare) -> None:
    app = make_test_app(start=True,
                   train_fn=scripted(linear_events, test={"loss": 1.021, "mae": 0.807}))
    assert snap_compare(app, terminal_size=(200, 60), run_before=settle)


def test_training_stopped_in_first_epoch(snap_compare) -> None:
    """Stopped before the test set ran: says so (not "no test set"), no Pause/Step/Stop."""
    app = make_test_app(start=True,
                   train_fn=scripted(lambda: linear_events(epochs=1), stop_after=3))
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_training_failed(snap_compare) -> None:
    app = make_test_app(start=True, train_fn=failing())
    assert snap_compare(app, terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_help_screen(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=SMALL, run_before=run_before)


@pytest.mark.slow
def test_runs_list(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the runs root shows as the relative "ktui-runs"
    make_runs_root(tmp_path / "ktui-runs")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await pilot.press("down", "down", "down", "space", "down", "space")
        await settle(pilot)

    app = make_test_app(runs_dir="ktui-runs")
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


@pytest.mark.parametrize("size", [SMALL, (200, 60)], ids=["80x24", "200x60"])
@pytest.mark.slow
def test_runs_list_sizes(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         size: tuple[int, int]) -> None:
    """80×24: whole status words, the long name cut in the middle; 200×60: nothing cut."""
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")
    long = get_preset("fashion-mlp")
    long.name = "fashion-mlp-with-a-much-longer-name"
    write_run(tmp_path / "ktui-runs", long, finish(classifier_events()),
              "20260109-090000-fashion-mlp-with-a-much-longer-name")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await settle(pilot)

    app = make_test_app(runs_dir="ktui-runs")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.slow
def test_training_compared_with_past_runs(snap_compare, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await pilot.press("down", "down", "down", "space", "down", "space", "escape")
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 6))
        await settle(pilot)

    app = make_test_app(runs_dir="ktui-runs")
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


@pytest.mark.slow
async def test_readme_screenshot_is_current() -> None:
    """docs/assets/training-view.svg is what the app draws now (``python -m
    tests.tui.make_screenshot`` rewrites it after an intended change)."""
    from .make_screenshot import ASSET, render

    assert ASSET.read_text(encoding="utf-8") == await render()
