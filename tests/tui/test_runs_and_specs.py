"""Pilot tests of saving and opening specs, the runs list, past runs and comparison.

Run directories are written by the core's RunRecorder from scripted event streams (no
TensorFlow); the app runs with the test settings and ``runs_dir`` pointing at them.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, SelectionList, Static

from ktui.core.history import RunHistory
from ktui.core.spec import load
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.spec_file import SpecFileScreen
from ktui.ui.widgets.charts import LossChart, MetricChart, WeightsChart
from ktui.ui.widgets.fields import FieldRow
from ktui.ui.widgets.layer_stack import LayerStack

from .fakes import linear_events
from .helpers import feed, make_test_app, until
from .recorded_runs import make_runs_root, scaled, write_run
from .test_flows import text_of

SIZE = (100, 30)


# ---- save and open ---------------------------------------------------------------------------

@pytest.mark.slow
async def test_save_then_open_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#f-train-epochs Input", Input).value = "7"
        await pilot.pause()
        await pilot.press("ctrl+s")
        dialog = app.screen
        assert isinstance(dialog, SpecFileScreen)
        # Edited, so no longer the preset: named (and saved as) fashion-mlp-custom.
        assert dialog.query_one("#spec-path", Input).value == "fashion-mlp-custom.toml"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        saved = load(tmp_path / "fashion-mlp-custom.toml")
        assert saved.train.epochs == 7 and len(saved.layers) == 5

        # Saving again over the file asks first (enter twice replaces it).
        await pilot.press("ctrl+s", "enter")
        assert isinstance(app.screen, SpecFileScreen)
        assert "exists" in app.screen.error_lines[0]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))

        app.screen.query_one("#preset").value = "linear-gd"  # type: ignore[attr-defined]
        await until(pilot, lambda: app.spec.name == "linear-gd")
        await pilot.press("ctrl+o")
        dialog = app.screen
        assert isinstance(dialog, SpecFileScreen)
        dialog.query_one("#spec-path", Input).value = "fashion-mlp-custom.toml"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        screen = app.screen
        assert app.spec == saved
        assert screen.query_one("#f-train-epochs Input", Input).value == "7"
        assert screen.query_one("#f-dataset-kind", FieldRow).value == "fashion_mnist"
        assert len(screen.query_one(LayerStack).options) == 5


@pytest.mark.slow
async def test_open_and_save_errors_are_shown_in_the_dialog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text('ktui_spec = 1\nname = "x"\nwat = 3\n[train]\nepochz = 2\n')
    (tmp_path / "broken.toml").write_text("name = [unclosed\n")
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        before = app.spec.copy()
        await pilot.press("ctrl+o")
        dialog = app.screen
        assert isinstance(dialog, SpecFileScreen)
        path = dialog.query_one("#spec-path", Input)
        for name, expected in (("bad.toml", "epochz"), ("broken.toml", "not valid TOML"),
                               ("missing.toml", "cannot read")):
            path.value = name
            await pilot.press("enter")
            assert app.screen is dialog
            assert any(expected in line for line in dialog.error_lines), dialog.error_lines
        await pilot.press("escape")
        assert isinstance(app.screen, SetupScreen) and app.spec == before

        await pilot.press("ctrl+s")
        dialog = app.screen
        assert isinstance(dialog, SpecFileScreen)
        dialog.query_one("#spec-path", Input).value = "no/such/folder/x.toml"
        await pilot.press("enter")
        assert app.screen is dialog and "does not exist" in dialog.error_lines[0]
        # Unwritable even for root (tests may run as root, where chmod does not stop writes).
        dialog.query_one("#spec-path", Input).value = "/proc/ktui-test.toml"
        await pilot.press("enter")
        assert app.screen is dialog and "cannot write" in dialog.error_lines[0]
        assert dialog.query_one("#spec-path").has_class("-invalid")


# ---- metrics and the hint line -----------------------------------------------------------

@pytest.mark.slow
async def test_metrics_are_ticked_from_the_ones_that_fit() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        metrics = app.screen.query_one("#f-train-metrics SelectionList", SelectionList)
        assert [metrics.get_option_at_index(i).value for i in range(metrics.option_count)] == \
            ["mae", "mse", "rmse"]
        metrics.focus()
        await pilot.pause()
        assert "metrics" in text_of(app.screen.query_one("#hint", Static))
        await pilot.press("down", "space")
        await pilot.pause()
        assert app.spec.train.metrics == ["mae", "mse"]
        assert "mse: mean squared error" in text_of(app.screen.query_one("#hint", Static))
        app.screen.query_one("#f-dataset-kind").query_one("Select").value = "fashion_mnist"
        await pilot.pause()
        assert app.spec.train.metrics == ["accuracy"]
        assert metrics.option_count == 4 and metrics.selected == ["accuracy"]
        app.screen.query_one("#f-train-learning_rate Input", Input).focus()
        await pilot.pause()
        assert "step size" in text_of(app.screen.query_one("#hint", Static))


# ---- the runs list and past runs -----------------------------------------------------------

@pytest.mark.slow
async def test_runs_list_shows_runs_and_problems(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")
    # One more with a time-stamped name, as RunDir.create names them.
    write_run(tmp_path / "ktui-runs", get_preset("linear-gd"), islice(linear_events(), 6))
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+l")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 6
        rows = {str(table.get_row_at(i)[1]): [str(c) for c in table.get_row_at(i)]
                for i in range(table.row_count)}
        assert rows["20260103-101500-linear-gd"][2:] == \
            ["linear", "10/10", "val_mae 0.7507", "finished", "–"]
        assert rows["20260105-120000-fashion-mlp"][5] == "finished"
        assert rows["20260106-080000-linear-gd"][5] == "failed"
        assert rows["20260107-170000-linear-gd"][5] == "interrupted"
        note = text_of(screen.query_one("#runs-note", Static))
        assert "20260108-000000-broken: skipped" in note
        await pilot.press("escape")
        assert isinstance(app.screen, SetupScreen)


@pytest.mark.slow
async def test_open_a_past_run_and_load_its_spec(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")
    # Damage a finished run: its events.jsonl is gone, metrics.csv is still there.
    runs["worse"].events_file.unlink()
    with open(runs["best"].events_file, "a") as f:
        f.write('{"event": "epoch_done", "epoch": "eleven"}\nnot json at all\n')
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+l")
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=4)  # 20260103-101500-linear-gd, finished
        await pilot.press("enter")
        view = app.screen
        assert isinstance(view, RecordedRunScreen)
        assert view.view.state == "finished" and view.view.epochs_done == 10
        drawn = view.query_one(LossChart).history
        assert drawn is view.view and view.query_one(WeightsChart).history is drawn
        assert len(drawn.train_loss) == 10 and len(drawn.val_loss_points) == 10
        assert len(drawn.step_x) == 40
        assert drawn.wb_model and set(drawn.weights) == {"W", "b"}
        assert len(drawn.weights["W"]) == 10 and drawn.true_weights == (3.0,)
        assert list(drawn.train_metrics) == ["mae"]
        assert view.query_one(WeightsChart).title == "W and b"
        result = text_of(view.query_one("#result", Static))
        assert "test:" in result and "2 lines could not be read" in result
        await pilot.press("r")  # read-only: nothing starts
        assert view.view.state == "finished" and view.control is None

        await pilot.press("b")
        assert isinstance(app.screen, RunsScreen)
        table.move_cursor(row=3)  # the damaged one: curves from metrics.csv
        await pilot.press("enter")
        view = app.screen
        assert isinstance(view, RecordedRunScreen) and view.view.epochs_done == 10
        assert len(view.view.train_loss) == 10
        await pilot.press("b")
        table.move_cursor(row=0)  # interrupted after 4 epochs
        await pilot.press("enter")
        view = app.screen
        assert isinstance(view, RecordedRunScreen) and view.view.state == "interrupted"
        assert "--resume" in text_of(view.query_one("#result", Static))
        await pilot.press("b")

        table.move_cursor(row=2)  # fashion-mlp: l loads its spec into the setup view
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert app.spec.name == "fashion-mlp" and len(app.spec.layers) == 5
        assert app.screen.query_one("#f-dataset-kind", FieldRow).value == "fashion_mnist"


@pytest.mark.slow
async def test_compare_overlays_and_clear(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "ktui-runs"
    names = [write_run(root, get_preset("linear-gd"), scaled(linear_events(), f),
                       f"2026010{i}-120000-linear-gd").name
             for i, f in enumerate((0.8, 1.2, 1.4, 1.6), start=1)]
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        await pilot.press("space", "down", "space", "down", "space", "down", "space")
        # At most three: the fourth is refused with a message.
        assert app.compared_names() == names[::-1][:3]
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(4)] == ["◆", "◆", "◆", " "]
        await pilot.press("up", "space")  # unmark the third
        assert app.compared_names() == names[::-1][:2]
        await pilot.press("escape")
        view = await feed(pilot, islice(linear_events(), 1 + 5 * 3))
        loss, metric = view.query_one(LossChart), view.query_one(MetricChart)
        assert [c.label for c in loss.compared] == ["120000 linear-gd"] * 2
        first = loss.compared[0]
        assert first.name == names[3]
        xs, ys = first.curve("loss")
        assert xs == [float(e) for e in range(1, 11)]
        assert ys[0] == pytest.approx(first.rows[0]["val_loss"])  # validation, when logged
        assert [c.name for c in metric.compared] == [names[3], names[2]]
        assert metric.compared[0].curve("mae")[1][0] == pytest.approx(
            metric.compared[0].rows[0]["val_mae"])
        loss.flush()
        assert loss.drawn_compared == ["120000 linear-gd"] * 2

        await pilot.press("ctrl+p")
        await pilot.press(*"clear comparison")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: not app.compared)
        assert loss.compared == () and metric.compared == ()


def test_true_value_lines_span_every_epoch() -> None:
    history = RunHistory()
    chart = WeightsChart()
    chart.bind(history)
    for ev in linear_events(epochs=6):
        history.apply(ev)
    chart.flush()
    # From epoch 0: the scripted run sends its initial weights, as the trainer does.
    assert chart.references == [(0.0, 6.0, 3.0), (0.0, 6.0, 2.0)]
