"""Pilot tests of the setup and training flows, driven by scripted fake trainers."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from textual.widgets import Button, Input, Select, Static

from ktui.core.events import EpochDone, StepDone
from ktui.core.history import RunHistory
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.widgets.charts import LossChart, downsample
from ktui.ui.widgets.fields import FieldRow
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.model_summary import ModelSummary

from .fakes import classifier_events, failing, linear_events, raising, scripted
from .helpers import feed, make_test_app, training, until

SIZE = (100, 30)


def text_of(widget: Static) -> str:
    """What the widget shows, as plain text (wide, so nothing is cut)."""
    console = Console(width=300, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


# ---- the layer stack and its form ----------------------------------------------------------

async def test_add_layer_through_the_form() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, LayerFormScreen)
        app.screen.query_one("#param-units Input", Input).value = "4"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert [lay.kind for lay in app.spec.layers] == ["Dense", "Dense"]
        assert app.spec.layers[1].params == {"units": 4}
        # Two Dense layers ending in 4 units cannot fit y: the summary says so, naming it.
        summary = text_of(app.screen.query_one(ModelSummary))
        assert "layer 2 (Dense)" in summary and "(None, 4)" in summary
        assert app.screen.query_one("#btn-train", Button).disabled


async def test_bad_value_is_flagged_and_cannot_be_saved() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, LayerFormScreen)
        units = form.query_one("#param-units", FieldRow)
        units.query_one(Input).value = "0"
        await pilot.pause()
        assert units.error is not None
        assert units.error.startswith("must be a positive integer") and "got 0" in units.error
        assert units.error in text_of(units.query_one(".field-error"))
        assert form.query_one("#save", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still open: nothing invalid reaches the spec
        units.query_one(Input).value = "8"
        await pilot.pause()
        assert units.error is None and not form.query_one("#save", Button).disabled


async def test_form_changes_with_the_kind_and_reads_shapes() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, LayerFormScreen)
        form.query_one("#kind", Select).value = "Reshape"
        await pilot.pause()
        shape = form.query_one("#param-target_shape Input", Input)
        shape.value = "1, 1"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.spec.layers[1] == LayerSpec("Reshape", {"target_shape": [1, 1]})


@pytest.mark.slow
async def test_cancel_help_and_edit_layer() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        before = app.spec.copy()
        await pilot.press("a", "escape")
        await pilot.pause()
        assert app.spec.layers == before.layers  # cancelled: nothing changed
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, LayerFormScreen) and form.editing
        assert form.query_one("#param-kernel_value Input", Input).value == "5.0"
        form.query_one("#param-kernel_value Input", Input).value = "4.5"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.spec.layers[0].params["kernel_value"] == 4.5
        assert len(app.spec.layers) == 1


@pytest.mark.slow
async def test_remove_move_and_duplicate() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        stack = app.screen.query_one(LayerStack)

        def units() -> list[object]:
            return [lay.params.get("units", lay.kind) for lay in app.spec.layers]

        assert units() == ["Reshape", 200, 300, 100, 10]
        stack.highlighted = 1
        await pilot.press("shift+down")
        assert units() == ["Reshape", 300, 200, 100, 10] and stack.highlighted == 2
        await pilot.press("K")
        assert units() == ["Reshape", 200, 300, 100, 10] and stack.highlighted == 1
        await pilot.press("d")
        assert units() == ["Reshape", 200, 200, 300, 100, 10] and stack.highlighted == 2
        await pilot.press("x")
        await pilot.press("delete")
        assert units() == ["Reshape", 200, 100, 10]
        await pilot.pause()
        assert "Total params: 178,110" in text_of(app.screen.query_one(ModelSummary))


@pytest.mark.slow
async def test_buttons_work_with_the_mouse() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#btn-duplicate")
        assert len(app.spec.layers) == 2
        await pilot.click("#btn-remove")
        assert len(app.spec.layers) == 1
        await pilot.click("#btn-add")
        assert isinstance(app.screen, LayerFormScreen)


# ---- settings and presets ------------------------------------------------------------------

@pytest.mark.slow
async def test_preset_fills_everything() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#preset", Select).value = "fashion-mlp"
        await pilot.pause()
        screen = app.screen
        assert app.spec.name == "fashion-mlp" and len(app.spec.layers) == 5
        assert screen.query_one("#f-dataset-kind", FieldRow).value == "fashion_mnist"
        assert screen.query_one("#f-train-loss", FieldRow).value == \
            "sparse_categorical_crossentropy"
        assert screen.query_one("#f-train-batch_size Input", Input).value == "256"
        assert screen.query_one("#f-dataset-samples Input", Input).value == "10000"
        assert screen.query_one("#fashion-fields").display
        assert not screen.query_one("#linear-fields").display
        assert len(screen.query_one(LayerStack).options) == 5


@pytest.mark.slow
async def test_palette_command_loads_a_preset() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"preset: fashion-cnn")
        await pilot.pause(0.3)  # the palette searches in a task
        await pilot.press("enter")
        await until(pilot, lambda: app.spec.name == "fashion-cnn")
        assert len(app.spec.layers) == 9


@pytest.mark.slow
async def test_settings_error_is_flagged_and_blocks_training() -> None:
    app = make_test_app(train_fn=scripted(linear_events))
    async with app.run_test(size=SIZE) as pilot:
        row = app.screen.query_one("#f-train-learning_rate", FieldRow)
        row.query_one(Input).value = "0"
        await pilot.pause()
        assert row.error == "must be in (0, 10], got 0.0"
        assert "learning_rate" in text_of(app.screen.query_one("#problems", Static))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)  # every problem listed, no training
        assert any("learning_rate" in p for p in app.screen.problems)
        await pilot.press("escape")
        assert isinstance(app.screen, SetupScreen)
        row.query_one(Input).value = "0.1"
        await pilot.pause()
        assert row.error is None


@pytest.mark.slow
async def test_switching_dataset_adapts_loss_and_metrics() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-dataset-kind Select", Select).value = "fashion_mnist"
        await pilot.pause()
        assert app.spec.task == "classification"
        assert app.spec.train.loss == "sparse_categorical_crossentropy"
        assert app.spec.train.metrics == ["accuracy"]
        # The one-unit Dense no longer fits: replaced by a classifier, and the user is told.
        assert [lay.kind for lay in app.spec.layers] == ["Flatten", "Dense", "Dense"]
        assert "layers did not fit" in text_of(app.screen.query_one("#hint", Static))
        assert app.screen.query_one(ModelSummary).problem is None


@pytest.mark.slow
async def test_impossible_stack_is_explained_before_training() -> None:
    spec = get_preset("fashion-mlp")
    spec.layers[0] = LayerSpec("Reshape", {"target_shape": [780]})
    app = make_test_app(spec, train_fn=scripted(classifier_events))
    async with app.run_test(size=SIZE) as pilot:
        summary = text_of(app.screen.query_one(ModelSummary))
        assert "layer 1 (Reshape)" in summary and "780" in summary
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)


# ---- training ------------------------------------------------------------------------------

@pytest.mark.slow
async def test_train_from_setup_runs_to_the_end() -> None:
    app = make_test_app(train_fn=scripted(linear_events, test={"loss": 1.02}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await pilot.pause()
        screen = training(app)
        await until(pilot, lambda: screen.view.state == "finished")
        assert screen.view.epochs_done == 10
        result = text_of(screen.query_one("#result", Static))
        assert "Finished after 10 epochs" in result and "loss 1.02" in result
        assert screen.view.train_loss[-1] < screen.view.train_loss[0]


@pytest.mark.slow
async def test_start_pause_step_resume_stop() -> None:
    train = scripted(lambda: linear_events(epochs=100, steps=10), step_delay=0.005)
    app = make_test_app(start=True, train_fn=train)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen))
        screen = training(app)
        await until(pilot, lambda: screen.view.state == "running" and screen.view.global_step > 2)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "paused")
        await pilot.pause(0.1)
        paused_at = screen.view.global_step
        await pilot.pause(0.1)
        assert screen.view.global_step == paused_at
        await pilot.press("n")
        await until(pilot, lambda: screen.view.global_step == paused_at + 1)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "running")
        await pilot.press("s")
        await until(pilot, lambda: screen.view.state == "stopped")
        assert "Stopped" in text_of(screen.query_one("#result", Static))
        assert screen.view.epochs_done < 100


@pytest.mark.slow
async def test_rerun_and_back_keep_the_stack() -> None:
    app = make_test_app(get_preset("fashion-mlp"), start=True,
                   train_fn=scripted(classifier_events))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.view.state == "finished")
        first = app.screen
        await pilot.press("r")
        await until(pilot, lambda: training(app).view.state == "running"
                    or training(app).view.state == "finished")
        await until(pilot, lambda: training(app).view.state == "finished")
        assert app.screen is first and first.view.epochs_done == 8
        await pilot.press("b")
        await pilot.pause()
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert len(app.screen.query_one(LayerStack).options) == 5
        assert app.spec.name == "fashion-mlp"


@pytest.mark.slow
async def test_run_failed_is_shown_and_the_app_keeps_working() -> None:
    app = make_test_app(start=True, train_fn=failing())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.view.state == "failed")
        result = text_of(app.screen.query_one("#result", Static))
        assert "The loss became NaN or infinite" in result and "learning rate" in result
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))


async def test_a_raising_trainer_is_shown_not_fatal() -> None:
    app = make_test_app(start=True, train_fn=raising)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.view.state == "failed")
        result = text_of(app.screen.query_one("#result", Static))
        assert "RuntimeError: boom" in result
        await pilot.press("r")
        await until(pilot, lambda: training(app).view.state == "failed")
        assert app.is_running


@pytest.mark.slow
async def test_quit_during_a_run_stops_the_trainer_quickly() -> None:
    seen = {}

    def never_ending(spec, sink, control, *, data_dir=None):
        seen["control"] = control
        sink(next(linear_events()))
        while not control.stop_requested:
            time.sleep(0.01)
        time.sleep(5)  # a trainer slow to notice must not hold the UI hostage
        raise AssertionError("unreachable in the test")

    app = make_test_app(start=True, train_fn=never_ending)
    t0 = 0.0
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "control" in seen)
        t0 = time.monotonic()
        await pilot.press("q", "y")  # q asks first while a run is in progress (issue 8)
        await pilot.pause()
    assert time.monotonic() - t0 < 2.0
    assert seen["control"].stop_requested
    assert app.return_code == 0


# ---- charts --------------------------------------------------------------------------------

def test_charts_redraw_only_when_data_changed() -> None:
    history = RunHistory()
    chart = LossChart()
    chart.bind(history)
    chart.flush(now=100.0)
    assert chart.flush(now=100.1) is False
    history.apply(StepDone(1, 1, 10, 1, 1.0, 1.0), now=0.0)
    history.apply(StepDone(1, 2, 10, 2, 0.9, 1.0), now=0.0)
    # New data waits for the minimum interval since the last redraw, however fast it comes ...
    assert chart.flush(now=100.5) is False
    assert chart.flush(now=101.0) is True and chart.flush(now=101.1) is False
    history.apply(StepDone(1, 3, 10, 3, 0.8, 1.0), now=0.0)
    history.apply(EpochDone(1, 1, 0.85, 0.9, {}, {}, (), 1.0, 1.0), now=0.0)
    assert chart.flush(now=101.5) is False
    assert chart.flush(now=102.0) is True
    # ... while a change the user made (a new run) redraws at the next frame.
    chart.bind(RunHistory())
    assert chart.flush(now=102.1) is True and chart.flush(now=102.2) is False


def test_long_step_series_are_downsampled() -> None:
    xs = [float(i) for i in range(10_000)]
    dx, dy = downsample(xs, [1.0] * 10_000, 400)
    assert len(dx) == 400 and dx[-1] == 9_999.0 and all(v == 1.0 for v in dy)
    history = RunHistory()
    for i in range(5_000):
        history.apply(StepDone(1, i + 1, 10, i + 1, 1.0, 1.0), now=0.0)
    assert len(history.step_x) <= 2_000


async def test_a_chart_draws_two_step_points_a_cell_at_most() -> None:
    """plotext's cost grows with the points: more than the braille dots across is waste."""
    from ktui.ui.widgets.charts.series import MAX_DRAWN, drawn_limit

    assert [drawn_limit(w) for w in (10, 59, 120, 300)] == [40, 118, 240, MAX_DRAWN]
    history = RunHistory(epochs=1)
    for i in range(1_500):
        history.apply(StepDone(1, i + 1, 1_500, i + 1, 1.0 / (i + 1), 1.0), now=0.0)
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await feed(pilot, [])
        chart = screen.query_one(LossChart)
        chart.bind(history)
        step = next(s for s in chart.lines() if s.label == "step")
        assert len(step.xs) == drawn_limit(chart.size.width) < len(history.step_x)
        assert step.xs[-1] == history.step_x[-1]
