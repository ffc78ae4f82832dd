"""The TUI face of steering (issue 11) and placement (issue 10).

The setup view's training settings in sections (schedule and early stopping included, each
field checked by its schema field, saved and opened as TOML); the training view's live
learning rate (``+``/``-``/``L`` reach the run's TrainerControl, ``lr_changed`` reaches the
progress line), the learning-rate chart, the placement of a mirrored run, and why a run ended.
Scripted runs only: no TensorFlow.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static, Switch
from textual.widgets._collapsible import CollapsibleTitle

from ktui.core.events import (
    EpochDone,
    Event,
    LrChanged,
    Paused,
    Resumed,
    RunFinished,
    RunStarted,
    StepDone,
)
from ktui.core.history import RunHistory
from ktui.core.schema import table_of
from ktui.core.spec import TRAIN_TABLES, ExperimentSpec, TrainSpec, dumps, load
from ktui.core.spec.presets import get_preset
from ktui.core.spec.steering import SCHEDULE_PARAMS, EarlyStoppingSpec
from ktui.core.training.control import TrainerControl
from ktui.ui.commands import keys_for
from ktui.ui.screens.lr_input import LrInputScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.setup_sections import SECTIONS, SettingsSection, applies
from ktui.ui.screens.spec_file import SpecFileScreen
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.widgets.charts import LrChart
from ktui.ui.widgets.charts.axes import log_tick_labels, log_ticks
from ktui.ui.widgets.charts.grid import ChartGrid
from ktui.ui.widgets.charts.lr import lr_points
from ktui.ui.widgets.fields import FieldRow

from .fakes import classifier_events
from .helpers import feed, make_test_app, settle, training, until
from .recorded_runs import write_run
from .test_flows import text_of

SIZE = (100, 40)
PLACEMENT = "mirrored × 2: CPU:0, CPU:1"
EARLY_STOP = ("early stop at epoch 7: val_loss did not improve by 0.001 for 3 epochs "
              "(best 0.4123 at epoch 4); weights restored from epoch 4")
#: How the result line says it (a sentence).
SHOWN_REASON = "E" + EARLY_STOP[1:]


def scheduled_lr(epoch: int) -> float:
    """A step schedule (×0.5 every 3 epochs from 1e-3), doubled by the user in epoch 5."""
    return 1e-3 * 0.5 ** (epoch // 3) * (2 if epoch >= 5 else 1)


def steered_events(epochs: int = 10, steps: int = 20) -> Iterator[Event]:
    """The classifier's run on two mirrored devices, each epoch with its learning rate, and
    the user doubling the rate at epoch 5, step 2."""
    for ev in classifier_events(epochs=epochs, steps=steps):
        if isinstance(ev, RunStarted):
            ev = dataclasses.replace(ev, devices=("CPU:0", "CPU:1"), strategy="mirrored",
                                     replicas=2, placement=PLACEMENT)
        elif isinstance(ev, EpochDone):
            ev = dataclasses.replace(ev, lr=scheduled_lr(ev.epoch))
        elif isinstance(ev, StepDone) and (ev.epoch, ev.step) == (5, 2):
            before = scheduled_lr(4)
            yield LrChanged(epoch=5, step=2, lr=2 * before, previous=before, source="user")
        yield ev


def early_stopped_events() -> Iterator[Event]:
    """Seven epochs of the steered run, then the end an early stop gives it."""
    yield from islice(steered_events(), 1 + 21 * 7 + 1)  # + the user's lr_changed
    yield RunFinished("finished", 7, {"loss": 0.4021, "accuracy": 0.8612}, 12.0,
                      reason=EARLY_STOP)


def scheduled_spec() -> ExperimentSpec:
    spec = get_preset("fashion-mlp")
    spec.train.epochs = 10
    spec.train.schedule.kind = "step"
    spec.train.schedule.every = 3
    spec.train.strategy = "mirrored"
    spec.train.cpu_devices = 2
    return spec


# ---- a run that waits for learning-rate requests ---------------------------------------------

def steerable(requests: list[tuple[str, float]]) -> Callable[..., RunFinished]:
    """A train function that starts (rate 0.01), then, step after step until stopped, takes
    the control's learning-rate requests as the trainer does, records them in ``requests``
    and answers each with an ``lr_changed``; it pauses and single-steps like the trainer."""

    def train(spec: ExperimentSpec, sink: Callable[[Event], None],
              control: TrainerControl | None = None, *, data_dir: str | None = None
              ) -> RunFinished:
        assert control is not None
        events = list(islice(classifier_events(epochs=10, steps=20), 1 + 21))
        for ev in events:
            sink(dataclasses.replace(ev, lr=0.01) if isinstance(ev, EpochDone) else ev)
        lr, step = 0.01, 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            go = control.wait_turn(on_pause=lambda at=step: sink(Paused(2, at)),
                                   on_resume=lambda at=step: sink(Resumed(2, at)))
            if not go:
                break
            step += 1
            request = control.take_lr_request()
            if request is not None:
                requests.append(request)
                kind, value = request
                new = value if kind == "set" else lr * value
                sink(LrChanged(epoch=2, step=step, lr=new, previous=lr))
                lr = new
            time.sleep(0.005)
        final = RunFinished("stopped", 1, {}, 1.0)
        sink(final)
        return final

    return train


def progress(screen: TrainingScreen) -> str:
    return text_of(screen.query_one("#progress", Static))


def notes(pilot: Pilot) -> list[str]:
    return [n.message for n in pilot.app._notifications]


@pytest.mark.slow
async def test_lr_keys_reach_the_control_and_the_progress_line() -> None:
    requests: list[tuple[str, float]] = []
    app = make_test_app(get_preset("fashion-mlp"), start=True, train_fn=steerable(requests))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and training(app).view.lr == 0.01)
        screen = training(app)
        screen.flush()
        assert "lr 0.01" in progress(screen)

        await pilot.press("plus")
        await until(pilot, lambda: screen.view.lr == 0.02)
        assert "learning rate 0.01 → 0.02 from the next step" in notes(pilot)
        screen.flush()
        assert "lr 0.02" in progress(screen) and "lr 0.01" not in progress(screen)

        await pilot.press("minus")
        await until(pilot, lambda: screen.view.lr == 0.01)
        assert "learning rate 0.02 → 0.01 from the next step" in notes(pilot)

        await pilot.press("L")
        dialog = app.screen
        assert isinstance(dialog, LrInputScreen)
        field = dialog.query_one(Input)
        assert field.value == "0.01"  # the rate now, to edit
        field.value = "0"
        await pilot.press("enter")
        assert app.screen is dialog and "must be in (0, 10]" in (dialog.error or "")
        field.value = "0.05"
        await pilot.press("enter")
        await until(pilot, lambda: screen.view.lr == 0.05)
        assert "learning rate 0.01 → 0.05 from the next step" in notes(pilot)
        screen.flush()
        assert "lr 0.05" in progress(screen)
        # Changed during the run: the learning-rate chart joins the others.
        assert screen.query_one(LrChart).display

        await pilot.press("L", "escape")  # cancelled: nothing asked
        await pilot.press("s")
        await until(pilot, lambda: screen.view.state == "stopped")
        assert requests == [("multiply", 2.0), ("multiply", 0.5), ("set", 0.05)]
        await pilot.press("plus")  # the run is over: no request, no notification
        assert requests == [("multiply", 2.0), ("multiply", 0.5), ("set", 0.05)]
        assert not app.internal_errors


@pytest.mark.slow
async def test_lr_key_while_paused_applies_at_the_next_step() -> None:
    requests: list[tuple[str, float]] = []
    app = make_test_app(get_preset("fashion-mlp"), start=True, train_fn=steerable(requests))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and training(app).view.lr == 0.01)
        screen = training(app)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "paused")
        await pilot.press("plus", "plus")
        await pilot.pause(0.1)
        assert requests == []  # paused: the trainer has not taken a step
        assert notes(pilot)[-2:] == ["learning rate 0.01 → 0.02 from the next step",
                                     "learning rate 0.02 → 0.04 from the next step"]
        await pilot.press("n")  # one step: both requests, combined, as the control does
        await until(pilot, lambda: screen.view.lr == 0.04)
        assert requests == [("multiply", 4.0)]
        await pilot.press("s")
        await until(pilot, lambda: not screen.running)


@pytest.mark.slow
async def test_lr_keys_are_in_the_help_and_the_palette() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.open_training(start=False)
        await pilot.pause()
        commands = {name: action for name, _, action in screen.palette_commands()}
        assert keys_for(screen, app, screen, commands["Double the learning rate"]) == ["+"]
        assert keys_for(screen, app, screen, commands["Halve the learning rate"]) == ["-"]
        assert keys_for(screen, app, screen, commands["Set the learning rate"]) == ["L"]
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = text_of(app.screen.query_one("#help-text", Static))
        for line in ("double the learning rate", "halve the learning rate",
                     "type a learning rate"):
            assert line in help_text
        assert "+" in help_text and "L" in help_text


# ---- the learning-rate chart and the progress line ---------------------------------------------

@pytest.mark.slow
async def test_lr_chart_follows_the_rate_and_the_placement_is_shown() -> None:
    app = make_test_app(scheduled_spec())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, islice(steered_events(), 1 + 21 * 4 + 3))
        chart = screen.query_one(LrChart)
        assert chart.display  # a step schedule: shown from the start
        xs, ys = lr_points(screen.view)
        # Four epochs' rates, then the user's change where the run is now (epoch 4, step 2).
        assert xs == [1.0, 2.0, 3.0, 4.0, 4.1] and ys[-1] == 2 * scheduled_lr(4)
        assert chart.frame.yticks and all("e" in t or "0." in t for t in chart.frame.yticks)
        text = progress(screen)
        assert f"lr {2 * scheduled_lr(4):.4g}" in text and PLACEMENT in text


@pytest.mark.slow
async def test_constant_rate_has_no_lr_chart_until_it_changes() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        events = list(islice(steered_events(), 1 + 21 * 2))
        screen = await feed(pilot, (dataclasses.replace(e, lr=0.001)
                                    if isinstance(e, EpochDone) else e for e in events))
        assert not screen.query_one(LrChart).display
        screen.handle_event(LrChanged(3, 0, 0.0005, 0.001, source="plateau"))
        screen.flush()
        await pilot.pause()
        assert screen.query_one(LrChart).display
        assert screen.query_one(ChartGrid).has_class("-lr")


def test_log_ticks_cover_the_range_with_round_rates() -> None:
    import math

    ticks = log_ticks(math.log10(0.00625), math.log10(0.1), 7)
    assert log_tick_labels(ticks) == ["0.005", "0.01", "0.02", "0.05", "0.1"]
    one = log_ticks(math.log10(0.1), math.log10(0.1), 5)  # constant: a factor 2 either way
    assert log_tick_labels(one) == ["0.05", "0.1", "0.2"]
    wide = log_ticks(-9, 1, 4)
    assert len(wide) <= 4 and wide[0] <= -9 and wide[-1] >= 1


def test_lr_points_skip_what_a_log_cannot_draw() -> None:
    h = RunHistory()
    h.lr_points = [(1.0, 0.01), (2.0, 0.0), (3.0, float("nan")), (4.0, 0.005)]
    h.lr = 0.005
    assert lr_points(h) == ([1.0, 4.0], [0.01, 0.005])


# ---- why a run ended ---------------------------------------------------------------------------

@pytest.mark.slow
async def test_early_stop_reason_is_shown_live_and_for_a_past_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_test_app(scheduled_spec(), runs_dir="ktui-runs")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, early_stopped_events())
        result = text_of(screen.query_one("#result", Static))
        assert "Finished after 7 epochs" in result and SHOWN_REASON in result

        run = write_run(tmp_path / "ktui-runs", scheduled_spec(), early_stopped_events(),
                        "20260110-120000-fashion-mlp")
        past = app.open_recorded(run)
        await pilot.pause()
        assert SHOWN_REASON in text_of(past.query_one("#result", Static))
        assert not past.check_action("lr_up", ())  # nothing to steer in a past run

        # A log without its last line: the reason comes from summary.json.
        events = run.path / "events.jsonl"
        lines = events.read_text().splitlines()
        assert '"run_finished"' in lines[-1]
        events.write_text("\n".join(lines[:-1]) + "\n")
        await pilot.press("escape")
        past = app.open_recorded(run)
        await pilot.pause()
        assert SHOWN_REASON in text_of(past.query_one("#result", Static))


# ---- the settings form: sections, schedule, early stopping --------------------------------------

def test_every_training_setting_has_one_row() -> None:
    keys = [f.key for section in SECTIONS for f in section.fields]
    assert len(keys) == len(set(keys))
    expected = {f"train.{f.name}" for f in table_of(TrainSpec)}
    expected |= {f"train.{table}.{f.name}" for table, cls in TRAIN_TABLES.items()
                 for f in table_of(cls)}
    assert set(keys) == expected
    assert [s.open for s in SECTIONS] == [True, False, False]


def test_schedule_rows_apply_to_their_kinds() -> None:
    train = TrainSpec()
    for kind, params in SCHEDULE_PARAMS.items():
        train.schedule.kind = kind
        for f in table_of(type(train.schedule)):
            assert applies(train, f"train.schedule.{f.name}") == (
                f.name == "kind" or f.name in params), (kind, f.name)
    assert not applies(train, "train.early_stopping.patience")
    train.early_stopping.enabled = True
    assert applies(train, "train.early_stopping.patience")


def setup_of(app: object) -> SetupScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SetupScreen), type(screen).__name__
    return screen


async def open_section(pilot: Pilot, setup: SetupScreen, section_id: str) -> SettingsSection:
    section = setup.query_one(f"#section-{section_id}", SettingsSection)
    section.query_one(CollapsibleTitle).focus()
    await pilot.press("enter")
    await pilot.pause()
    assert not section.collapsed
    return section


@pytest.mark.slow
async def test_schedule_and_early_stopping_edit_the_spec_and_survive_toml(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        await open_section(pilot, setup, "steering")
        assert not setup.query_one("#f-train-schedule-factor").display  # constant: none
        setup.query_one("#f-train-schedule-kind Select", Select).value = "plateau"
        await pilot.pause()
        for name in ("factor", "patience", "cooldown", "min_lr", "monitor"):
            assert setup.query_one(f"#f-train-schedule-{name}").display, name
        for name in ("every", "decay_steps", "alpha", "warmup_steps"):
            assert not setup.query_one(f"#f-train-schedule-{name}").display, name
        setup.query_one("#f-train-schedule-patience Input", Input).value = "4"
        setup.query_one("#f-train-schedule-factor Input", Input).value = "0.2"
        assert not setup.query_one("#f-train-early_stopping-patience").display
        setup.query_one("#f-train-early_stopping-enabled Switch", Switch).value = True
        await pilot.pause()
        assert setup.query_one("#f-train-early_stopping-patience").display
        setup.query_one("#f-train-early_stopping-monitor Input", Input).value = "val_accuracy"
        setup.query_one("#f-train-early_stopping-patience Input", Input).value = "3"
        setup.query_one("#f-train-early_stopping-restore_best Switch", Switch).value = True
        await pilot.pause()
        t = app.spec.train
        assert (t.schedule.kind, t.schedule.patience, t.schedule.factor) == ("plateau", 4, 0.2)
        assert t.early_stopping == EarlyStoppingSpec(enabled=True, monitor="val_accuracy",
                                                     patience=3, restore_best=True)
        assert not setup.query_one("#btn-train", Button).disabled

        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SpecFileScreen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        saved = load(tmp_path / "fashion-mlp-custom.toml")
        assert saved.train.schedule == t.schedule and saved.train.early_stopping == \
            t.early_stopping

        setup.load_preset("linear-gd")
        await until(pilot, lambda: app.spec.name == "linear-gd")
        assert app.spec.train.schedule.kind == "constant"
        await pilot.press("ctrl+o")
        app.screen.query_one("#spec-path", Input).value = "fashion-mlp-custom.toml"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert app.spec.train.schedule == saved.train.schedule
        assert setup.query_one("#f-train-schedule-kind", FieldRow).value == "plateau"
        assert setup.query_one("#f-train-schedule-patience Input", Input).value == "4"
        assert setup.query_one("#f-train-early_stopping-enabled", FieldRow).value is True


@pytest.mark.slow
async def test_schedule_factor_zero_is_flagged_on_its_field() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        section = await open_section(pilot, setup, "steering")
        setup.query_one("#f-train-schedule-kind Select", Select).value = "step"
        await pilot.pause()
        row = setup.query_one("#f-train-schedule-factor", FieldRow)
        row.query_one(Input).value = "0"
        await pilot.pause()
        assert row.error == "must be in (0, 1], got 0.0"
        assert "⚠ must be in (0, 1]" in text_of(row.query_one(".field-error", Static))
        assert "train.schedule.factor" in text_of(setup.query_one("#problems", Static))
        assert setup.query_one("#btn-train", Button).disabled
        assert "⚠ 1" in section.title  # a closed section still says so
        row.query_one(Input).value = "x"  # does not parse: named by its path
        await pilot.pause()
        assert "train.schedule.factor: must be a number" in text_of(
            setup.query_one("#problems", Static))
        row.query_one(Input).value = "0.5"
        await pilot.pause()
        assert row.error is None and section.title == "Schedule & stopping"
        assert not setup.query_one("#btn-train", Button).disabled


@pytest.mark.slow
async def test_a_file_problem_in_a_closed_section_opens_it(tmp_path: Path) -> None:
    spec = get_preset("fashion-mlp")
    spec.train.schedule.kind = "exponential"
    spec.train.schedule.factor = 0.0  # not read by exponential, still checked: shown
    spec.train.cpu_devices = 0
    app = make_test_app(load_text(tmp_path, spec))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        setup = setup_of(app)
        steering = setup.query_one("#section-steering", SettingsSection)
        devices = setup.query_one("#section-devices", SettingsSection)
        assert not steering.collapsed and not devices.collapsed
        assert setup.query_one("#f-train-schedule-factor").display
        assert "⚠ 1" in devices.title
        assert setup.query_one("#f-train-cpu_devices", FieldRow).error is not None


def load_text(tmp_path: Path, spec: ExperimentSpec) -> ExperimentSpec:
    """``spec`` through its TOML text, as a file would bring it."""
    path = tmp_path / "spec.toml"
    path.write_text(dumps(spec))
    from ktui.core.spec import loads

    return loads(path.read_text(), source=str(path))


# ---- snapshots --------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.slow
def test_setup_settings_sections(snap_compare, size: tuple[int, int]) -> None:
    """The schedule & stopping section open (plateau, early stopping on), the others
    closed: every row findable, none squeezed."""
    spec = get_preset("fashion-mlp")
    spec.train.schedule.kind = "plateau"
    spec.train.early_stopping.enabled = True

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        setup = setup_of(pilot.app)
        setup.query_one("#section-training", SettingsSection).collapsed = True
        section = await open_section(pilot, setup, "steering")
        section.query_one("#f-train-schedule-patience Input", Input).focus()
        await settle(pilot)
        # Where the focus's own scroll ends depended on when the section's rows were laid
        # out (two rows apart, run to run): the settings are shown from their end instead,
        # the open section and the closed one after it in sight.
        setup.query_one("#settings").scroll_end(animate=False)
        await settle(pilot)

    assert snap_compare(make_test_app(spec), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.slow
def test_training_with_lr_chart(snap_compare, size: tuple[int, int]) -> None:
    """Mid-run on two mirrored devices, a step schedule and a doubled rate: lr on the
    progress line, the placement under it, the rate chart (at 80x24 after three ``c``)."""
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, islice(steered_events(), 1 + 21 * 6 + 5))
        if size == (80, 24):
            await pilot.press("c", "c", "c")
        await settle(pilot)

    assert snap_compare(make_test_app(scheduled_spec()), terminal_size=size,
                        run_before=run_before)


@pytest.mark.slow
def test_training_finished_by_early_stop(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, early_stopped_events())
        await settle(pilot)

    assert snap_compare(make_test_app(scheduled_spec()), terminal_size=(120, 40),
                        run_before=run_before)
