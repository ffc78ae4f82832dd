"""Every view as a person sees it at 80×24 and at 120×40 (issue 25, item 4).

The views that had no snapshot at these sizes: a past run opened from the runs list, the
"Cannot train yet" list, the open and save dialogs, the quit question and the learning-rate
dialog over a run in progress, the watch view, the runs list without colour, and a user
layer's checks when one fails. Each app runs with the test settings (no clocks, no blink, no
TensorFlow) and a scripted run, so every screen is the same on every run.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from ktui.core import user_layers
from ktui.core.events import Event, RunFinished
from ktui.core.spec import ExperimentSpec, LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.core.training.control import TrainerControl
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.lr_input import LrInputScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.spec_file import SpecFileScreen

from .fakes import classifier_events
from .helpers import make_test_app, settle, training, until
from .recorded_runs import make_runs_root
from .test_watch_view import Trainer, watch_screen, watched

WIDE = pytest.param((120, 40), id="120x40", marks=pytest.mark.slow)
#: Each snapshot is seconds of CPU on a 2-core box and `make test-fast` must stay under 90 s:
#: the fast loop keeps the 80×24 ones of the views whose height depends on their content (a
#: past run, the problems list, the open dialog's errors), where a view breaks first;
#: ``make test`` takes every size of every view.
by_size = pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), WIDE])
by_size_slow = pytest.mark.parametrize("size", [
    pytest.param((80, 24), id="80x24", marks=pytest.mark.slow), WIDE])

#: Events of the held run: started, two epochs of 20 steps, seven steps into the third.
HELD_EVENTS = 1 + 21 * 2 + 7


def held(count: int = HELD_EVENTS) -> Callable[..., RunFinished]:
    """A train function that sends the first ``count`` classifier events, then holds the run
    in progress (nothing more drawn) until it is asked to stop: a run caught mid-way."""

    def train(spec: ExperimentSpec, sink: Callable[[Event], None],
              control: TrainerControl | None = None, *, data_dir: str | None = None
              ) -> RunFinished:
        assert control is not None
        for event in islice(classifier_events(epochs=8, steps=20), count):
            sink(event)
        deadline = time.monotonic() + 60  # the app stops it when the snapshot is taken
        while not control.stop_requested and time.monotonic() < deadline:
            time.sleep(0.01)
        final = RunFinished("stopped", 2, {}, 1.0)
        sink(final)
        return final

    return train


async def run_held(pilot: Pilot) -> None:
    """Until the held run has drawn its last event (the worker never completes by itself)."""
    app = pilot.app
    await until(pilot, lambda: _held_shown(app), timeout=30)
    training(app).flush()
    await pilot.pause()


def _held_shown(app: object) -> bool:
    try:
        screen = training(app)  # type: ignore[arg-type]
    except AssertionError:
        return False
    return screen.view.epochs_done == 2 and screen.view.step == 7


def runs_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object):
    monkeypatch.chdir(tmp_path)  # the runs root shows as the relative "ktui-runs"
    make_runs_root(tmp_path / "ktui-runs")
    return make_test_app(runs_dir="ktui-runs", **kwargs)


def row_of(table: DataTable, name: str) -> int:
    return table.get_row_index(name)  # rows are keyed by the run's folder name


# ---- a past run ------------------------------------------------------------------------------

@by_size
@pytest.mark.parametrize("run", [
    pytest.param("20260105-120000-fashion-mlp", id="classifier"),
    pytest.param("20260103-101500-linear-gd", id="linear", marks=pytest.mark.slow)])
def test_past_run(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  size: tuple[int, int], run: str) -> None:
    """A finished run opened from the runs list: its charts, its test result, ``l``/``b``."""
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(pilot.app.screen, RunsScreen))
        table = pilot.app.screen.query_one(DataTable)
        table.move_cursor(row=row_of(table, run))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, RecordedRunScreen))
        await settle(pilot)

    assert snap_compare(runs_app(tmp_path, monkeypatch), terminal_size=size,
                        run_before=run_before)


# ---- the runs list without colour ------------------------------------------------------------

@by_size_slow
def test_runs_list_without_colour(snap_compare, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    """NO_COLOR: the status words and the marked rows read without colour."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+l")
        await pilot.press("down", "down", "down", "space", "down", "space")
        await settle(pilot)

    assert snap_compare(runs_app(tmp_path, monkeypatch), terminal_size=size,
                        run_before=run_before)


# ---- the problems list -----------------------------------------------------------------------

def unfit_spec() -> ExperimentSpec:
    """fashion-mlp with several problems: two settings out of range and a layer that cannot
    take its input."""
    spec = get_preset("fashion-mlp")
    spec.layers[0] = LayerSpec("Reshape", {"target_shape": [780]})
    return spec


@by_size
def test_problems_list(snap_compare, size: tuple[int, int]) -> None:
    """ctrl+r with problems left: every one listed ("Cannot train yet"), nothing trains."""
    async def run_before(pilot: Pilot) -> None:
        screen = pilot.app.screen
        for key, value in (("train-learning_rate", "0"), ("train-epochs", "0"),
                           ("train-batch_size", "0")):
            screen.query_one(f"#f-{key} Input", Input).value = value
        await settle(pilot)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(pilot.app.screen, ProblemsScreen))
        assert len(pilot.app.screen.problems) >= 3
        await settle(pilot)

    assert snap_compare(make_test_app(unfit_spec()), terminal_size=size, run_before=run_before)


# ---- the open and save dialogs ---------------------------------------------------------------

@by_size_slow
def test_save_dialog(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     size: tuple[int, int]) -> None:
    """ctrl+s: the path proposed from the experiment's name."""
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, SpecFileScreen))
        await settle(pilot)

    assert snap_compare(make_test_app(get_preset("fashion-mlp")), terminal_size=size,
                        run_before=run_before)


BAD_SPEC = """ktui_spec = 1
name = "x"
wat = 3
colour = "blue"
[train]
epochz = 2
learning_rate = -1
loss = "nope"
[dataset]
kind = "fashion_mnist"
val_split = 3
"""


@by_size
def test_open_dialog_with_errors(snap_compare, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> None:
    """ctrl+o on a file with many problems: each listed under the path, the dialog stays."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(BAD_SPEC)

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(pilot.app.screen, SpecFileScreen))
        dialog = pilot.app.screen
        dialog.query_one("#spec-path", Input).value = "bad.toml"
        await pilot.press("enter")
        assert pilot.app.screen is dialog and len(dialog.error_lines) >= 4
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


# ---- over a run in progress: the quit question and the learning-rate dialog ------------------

@by_size_slow
def test_quit_question(snap_compare, size: tuple[int, int]) -> None:
    """q while a run is in progress asks first."""
    async def run_before(pilot: Pilot) -> None:
        await run_held(pilot)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.pause()

    app = make_test_app(get_preset("fashion-mlp"), start=True, train_fn=held())
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@by_size_slow
def test_learning_rate_dialog(snap_compare, size: tuple[int, int]) -> None:
    """L in the training view: the rate now, its range, and an invalid entry flagged."""
    async def run_before(pilot: Pilot) -> None:
        await run_held(pilot)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(pilot.app.screen, LrInputScreen))
        pilot.app.screen.query_one(Input).value = "20"
        await pilot.pause()

    app = make_test_app(get_preset("fashion-mlp"), start=True, train_fn=held())
    assert snap_compare(app, terminal_size=size, run_before=run_before)


# ---- the watch view --------------------------------------------------------------------------

@by_size_slow
def test_watch_view(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """A run another process trains, five epochs and two steps in."""
    run, _ = watched(tmp_path, 1 + 5 * 5 + 2)
    trainer = Trainer()

    async def run_before(pilot: Pilot) -> None:
        screen = watch_screen(run, trainer)
        pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.view.epochs_done == 5 and screen.view.step == 2)
        screen.flush()
        await pilot.pause()

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)


async def test_a_past_runs_title_at_80_columns_says_recorded_run_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The title line's cut fell at the tag's comma: "recorded run," and nothing after."""
    app = runs_app(tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=row_of(table, "20260105-120000-fashion-mlp"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordedRunScreen))
        await pilot.pause()
        shown = app.screen.query_one("#run-title").render_line(0).text.rstrip()
        assert shown.endswith("recorded run"), shown


# ---- a user layer's checks, one failed (last: it needs TensorFlow) ---------------------------

FORGETFUL = textwrap.dedent('''
    import keras


    class Forgetful(keras.layers.Layer):
        """Scales its input; get_config forgets ``factor``."""

        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):  # written by hand, and `factor` forgotten
            config = super().get_config()
            config.pop("factor", None)
            return config
''')


@pytest.fixture
def forgetful(tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "mine.py"
    path.write_text(FORGETFUL, encoding="utf-8")
    user_layers.use_files([path])  # what `ktui --layers mine.py` does
    yield
    user_layers.register([])


@by_size
@pytest.mark.slow  # TensorFlow builds the layer and trains it one step: seconds
def test_layer_checks_with_a_failure(snap_compare, forgetful: None,
                                     size: tuple[int, int]) -> None:
    """The layer form's checks panel when a check fails: which one, and ctrl+y."""
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(pilot.app.screen, LayerFormScreen))
        form = pilot.app.screen
        form.query_one("#kind", Select).value = "Forgetful"
        await until(pilot, lambda: bool(form.query("#param-factor")))
        form.query_one("#param-factor Input", Input).value = "2"
        checks = form.query_one("#checks", Static)
        await until(pilot, lambda: "ctrl+y" in str(checks.content), timeout=120)
        await settle(pilot)

    assert snap_compare(make_test_app(get_preset("linear-gd")), terminal_size=size,
                        run_before=run_before)
