"""Issue 8, the training view: W/b chart, comparison, pause time, the states a run ends in,
keys that must say something, small and large terminals, huge values, damaged past runs.

Screens are driven by scripted event streams (``fakes.py``); the few trainer checks at the end
run the real (tiny, linear) trainer.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import time
from itertools import islice
from pathlib import Path

import pytest
from textual.widgets import Static

from ktui.cli.reporters import PlainReporter
from ktui.core.events import (
    EpochDone,
    Evaluating,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    from_dict,
    to_json,
)
from ktui.core.history import RunHistory
from ktui.core.runs import RunDir
from ktui.core.runs.replay import load_recorded, read_events
from ktui.core.spec.presets import get_preset
from ktui.core.training.control import TrainerControl
from ktui.ui.compared import compared_run
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import TrainingScreen, failure_text
from ktui.ui.widgets.charts import (
    LossChart,
    MetricChart,
    WeightsChart,
    nice_ticks,
    tick_labels,
)
from ktui.ui.widgets.progress import RunProgress

from .fakes import classifier_events, linear_events, scripted
from .helpers import feed, make_test_app, settle, until
from .recorded_runs import finish, make_runs_root, write_run
from .test_flows import text_of

SIZE = (120, 36)


def header_text(chart) -> str:
    return "\n".join(line.plain for line in chart.header)


def shown(app) -> str:
    """The progress widget's three lines as plain text."""
    return text_of(app.screen.query_one(RunProgress))


# ---- item 18: the W/b chart ---------------------------------------------------------------

@pytest.mark.slow
async def test_weights_chart_starts_at_epoch_0_with_true_values_and_numbers() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, linear_events(epochs=10))
        chart = screen.query_one(WeightsChart)
        chart.flush()
        xs, ws = chart._curve("W")
        assert xs[0] == 0.0 and ws[0] == 5.0  # the start, W=5 b=0, is drawn
        assert chart._curve("b")[1][0] == 0.0
        head = header_text(chart)
        w_now, b_now = screen.view.weights["W"][-1], screen.view.weights["b"][-1]
        assert f"W {w_now:.3f} → 3" in head and f"b {b_now:.3f} → 2" in head
        assert "true W" in head and "true b" in head  # legend entries for the references
        assert {"2", "3"} <= set(chart.frame.yticks)  # the true values are labelled
        assert chart.frame.xticks[0] == "0" and all(t.isdigit() for t in chart.frame.xticks)
        assert chart.references == [(0.0, 10.0, 3.0), (0.0, 10.0, 2.0)]
        # Each dashed reference is drawn in its own series' colour (dimmed), not one grey.
        lines = chart.lines()
        refs = {s.label: s.color for s in lines if s.dashed}
        live = {s.label: s.color for s in lines if not s.dashed}
        assert refs == {"true W": live["W"], "true b": live["b"]}
        assert live["W"] != live["b"]


def test_old_runs_without_initial_weights_still_draw() -> None:
    started = json.loads(to_json(next(linear_events())))
    assert started["initial_weights"][0]["kernel"]["values"] == [5.0]
    del started["initial_weights"]
    event = from_dict(started)
    assert isinstance(event, RunStarted) and event.initial_weights == ()
    started["initial_weights"] = "garbage"
    event = from_dict(started)
    assert isinstance(event, RunStarted) and event.initial_weights == ()
    history = RunHistory()
    chart = WeightsChart()
    chart.bind(history)
    history.apply(event)
    for ev in islice(linear_events(epochs=3), 1, None):
        if isinstance(ev, EpochDone):
            history.apply(ev)
    chart.flush()
    # The planned span (a short run is drawn on its whole span from the start).
    assert chart._curve("W")[0] == [1.0, 2.0, 3.0] and chart.frame.x == (0, history.epochs)


@pytest.mark.slow
async def test_one_epoch_run_has_an_axis_from_0_to_1() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, linear_events(epochs=1))
        for chart in (screen.query_one(LossChart), screen.query_one(WeightsChart),
                      screen.query_one(MetricChart)):
            chart.flush()
            assert chart.frame.x == (0, 1), chart.id
        assert screen.query_one(WeightsChart)._curve("W")[0] == [0.0, 1.0]


# ---- item 23: huge values, the NaN message ----------------------------------------------------

def test_tick_labels_stay_short_for_huge_and_tiny_values() -> None:
    for lo, hi in ((0.0, 3.4e40), (-2e38, 7e39), (1e-9, 4e-8), (0.8141, 1.17), (0, 1e6)):
        labels = tick_labels(nice_ticks(lo, hi, 5))
        assert all(len(label) < 10 for label in labels), labels
        assert len(set(labels)) == len(labels), labels  # still tell the ticks apart
    assert tick_labels([0.0, 0.5, 1.0]) == ["0.0", "0.5", "1.0"]
    assert tick_labels([0.0, 1e40, 2e40]) == ["0", "1e40", "2e40"]


@pytest.mark.slow
async def test_diverging_run_draws_short_tick_labels() -> None:
    def diverging():
        for ev in linear_events(epochs=4):
            if isinstance(ev, StepDone):
                ev = dataclasses.replace(ev, loss=10.0 ** (10 * ev.global_step))
            elif isinstance(ev, EpochDone):
                ev = dataclasses.replace(ev, loss=10.0 ** (10 * ev.epoch * 4))
            yield ev

    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        chart = screen.query_one(LossChart)
        chart.flush()
        assert max(len(label) for label in chart.frame.yticks) < 10, chart.frame.yticks
        assert any("e" in label for label in chart.frame.yticks)


def test_nan_failure_says_it_once() -> None:
    message = ("the loss became NaN or infinite at epoch 2, step 3; training stopped and the "
               "weights are those of the last finite step. Try a lower learning rate, "
               "standardised inputs or another initializer.")
    text = failure_text("nan", message, 2, 3).plain
    assert text.lower().count("became nan") == 1
    assert text.startswith("✘ The loss became NaN or infinite (epoch 2, step 3)\n")
    assert "Training stopped and the weights are those of the last finite step." in text
    assert "Try a lower learning rate" in text
    data = failure_text("data", "fashion-mnist not found in ~/.keras").plain
    assert "The dataset could not be loaded" in data and "Fashion-mnist not found" in data


# ---- item 20: pause time, the stopped and evaluating states -----------------------------

def test_run_view_leaves_pauses_out_of_elapsed_and_eta() -> None:
    v = RunHistory(state="running", epochs=10, steps_per_epoch=10, started_at=100.0)
    v.global_step = 20
    assert v.elapsed(110.0) == 10.0 and v.eta(110.0) == pytest.approx(40.0)
    v.pause(110.0)
    v.state = "paused"
    assert v.elapsed(500.0) == 10.0 and v.eta(500.0) is None  # frozen while paused
    v.resume(500.0)
    v.state = "running"
    v.global_step = 40
    # 20 s of training for 40 steps, not 410 s: 60 steps left at 2 steps/s.
    assert v.elapsed(510.0) == 20.0 and v.eta(510.0) == pytest.approx(30.0)
    # A resumed run: only this session's steps set the pace.
    r = RunHistory(state="running", epochs=10, steps_per_epoch=10, started_at=0.0,
                global_step=60, start_step=50)
    assert r.eta(10.0) == pytest.approx(40.0)


@pytest.mark.slow
async def test_screen_counts_pauses_from_the_event_stream() -> None:
    now = [0.0]
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.open_training(start=False)
        await pilot.pause()
        screen.clock = lambda: now[0]
        events = list(linear_events(epochs=10))
        screen.handle_event(events[0])
        now[0] = 5.0
        screen.handle_event(Paused(1, 0))
        now[0] = 65.0
        screen.handle_event(Resumed(1, 0))
        now[0] = 70.0
        assert screen.view.elapsed(now[0]) == 10.0


@pytest.mark.slow
async def test_evaluating_state_is_shown() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, linear_events(epochs=2))
        screen.handle_event(Evaluating("test"))
        screen.flush()
        await pilot.pause()
        assert screen.view.state == "evaluating" and screen.running
        assert "evaluating test set…" in shown(app)
        assert "space" not in screen.active_bindings  # a pause cannot be honoured now
        screen.handle_event(RunFinished("finished", 2, {"loss": 1.0}, 1.0))
        assert screen.view.state == "finished" and not screen.running


@pytest.mark.slow
async def test_stopped_run_says_the_test_set_was_not_evaluated() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=1), 3))  # mid first epoch
        screen.handle_event(RunFinished("stopped", 0, {}, 1.0))
        screen.flush()
        await pilot.pause()
        result = text_of(screen.query_one("#result", Static))
        assert "Stopped before the first epoch ended" in result
        assert "test set not evaluated" in result and "no test set" not in result
        assert "epoch 0/1" not in shown(app) and "after 0 of 1 epoch" in shown(app)

        screen = await feed(pilot, islice(linear_events(epochs=3), 1 + 5 * 2))
        screen.handle_event(RunFinished("stopped", 2, {}, 1.0))
        assert "Stopped after 2 epochs" in text_of(screen.query_one("#result", Static))

        no_test = dataclasses.replace(next(linear_events()), test_samples=0)
        screen = await feed(pilot, [no_test, RunFinished("finished", 0, {}, 1.0)])
        assert "(no test set)" in text_of(screen.query_one("#result", Static))


def test_plain_reporter_is_quiet_about_evaluating() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = PlainReporter(out, err)
    reporter(Evaluating("test"))
    assert out.getvalue() == "" and err.getvalue() == ""
    assert json.loads(to_json(Evaluating())) == {"event": "evaluating", "split": "test"}
    # On a terminal a spinner stands for it, and is gone when the run ends.
    from ktui.cli.reporters import ProgressReporter

    out = io.StringIO()
    bar = ProgressReporter(out, err)
    for event in [*linear_events(epochs=1), Evaluating(), RunFinished("finished", 1, {}, 1.0)]:
        bar(event)
        if isinstance(event, Evaluating):
            assert bar.status is not None
    bar.close()
    assert bar.status is None and "done: 1 epoch in" in out.getvalue()
    assert "evaluating" not in out.getvalue().splitlines()[-1]


# ---- item 21: keys that must not silently do nothing ----------------------------------------

@pytest.mark.slow
async def test_controls_leave_the_footer_when_the_run_is_over() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=2), 4))
        keys = set(screen.active_bindings)
        assert {"space", "n", "s"} <= keys and "r" in keys
        assert screen.active_bindings["r"].binding.action == "run_busy"  # r says why
        screen.handle_event(RunFinished("finished", 2, {}, 1.0))
        await pilot.pause()
        keys = set(screen.active_bindings)
        assert not {"space", "n", "s"} & keys
        assert screen.active_bindings["r"].binding.action == "run"


@pytest.mark.slow
async def test_r_while_running_says_why_nothing_starts() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=2), 4))
        said: list[str] = []
        screen.notify = lambda message, **kw: said.append(message)  # type: ignore[method-assign]
        await pilot.press("r")
        assert said == ["A run is in progress: stop it (s) first."]
        assert screen.view.state == "running" and screen.control is None  # nothing started


@pytest.mark.slow
async def test_esc_while_running_asks_first() -> None:
    train = scripted(lambda: linear_events(epochs=200, steps=10), step_delay=0.01)
    app = make_test_app(start=True, train_fn=train)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.view.global_step > 2)
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and screen.running
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop the run" in app.screen.question
        await pilot.press("n")
        assert app.screen is screen and screen.running
        assert screen.control is not None and not screen.control.stop_requested
        await pilot.press("b")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert screen.control.stop_requested


@pytest.mark.slow
async def test_esc_after_the_run_goes_back_without_asking() -> None:
    app = make_test_app(start=True, train_fn=scripted(linear_events))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.view.state == "finished")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))


# ---- item 22: small and large terminals --------------------------------------------------

async def test_short_terminal_shows_fewer_bigger_charts() -> None:
    app = make_test_app(get_preset("fashion-mlp"), start=True,
                   train_fn=scripted(classifier_events, test={"loss": 0.4, "accuracy": 0.86}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        visible = [c for c in screen.charts() if c.display]
        assert [c.id for c in visible] == ["loss-chart"] and visible[0].size.height >= 8
        assert visible[0].header  # the legend is kept
        assert "c" in screen.active_bindings
        assert "1 of 3 · c: next" in visible[0].header[0].plain
        await pilot.press("c")
        await pilot.pause()
        shown = [c for c in screen.charts() if c.display]
        assert [c.id for c in shown] == ["weights-chart"]
        # The footer says only "Chart": the chart's header says which it is, and of how many.
        await settle(pilot)
        assert "2 of 3 · c: next" in " ".join(t.plain for t in shown[0].header)
        await pilot.press("c", "c")
        await pilot.pause()
        assert [c.id for c in screen.charts() if c.display] == ["loss-chart"]
        await pilot.resize_terminal(120, 24)
        await pilot.pause()
        pair = [c for c in screen.charts() if c.display]
        assert [c.id for c in pair][0] == "loss-chart" and len(pair) == 2
        assert all(c.size.height >= 8 for c in pair)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        # Every chart, but the learning rate's: a constant rate is the progress line's
        # (the charts of the other pages, hidden, are not the grid's).
        assert all(c.display for c in screen.query("#charts Chart") if c.id != "lr-chart")
        assert not screen.query_one("#lr-chart").display
        assert "c" not in screen.active_bindings


async def test_wide_terminal_stretches_the_progress_bar() -> None:
    app = make_test_app(start=True, train_fn=scripted(linear_events))
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        first = shown(app).splitlines()[0]
        assert first.count("█") > 150, first


@pytest.mark.slow
async def test_run_dir_is_on_the_progress_line_not_in_a_toast() -> None:
    from ktui.ui.messages import RunRecording

    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, islice(linear_events(), 3))
        screen.post_message(RunRecording(str(Path.cwd() / "ktui-runs" / "20260101-x")))
        await pilot.pause()
        screen.flush()
        await pilot.pause()
        assert "recording in ktui-runs/20260101-x" in shown(app)
        assert screen.run_dir == str(Path.cwd() / "ktui-runs" / "20260101-x")  # screenshots
        assert not app._notifications  # no "Run started" toast over the result line


# ---- item 19: comparison ----------------------------------------------------------------------

@pytest.mark.slow
async def test_compare_filters_by_dataset_and_works_on_a_past_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=SIZE) as pilot:
        for key in ("best", "worse", "fashion"):
            assert app.toggle_compare(runs[key])
        assert [c.dataset for c in app.compared] == ["linear", "linear", "fashion_mnist"]

        # A live linear run: the two linear runs, the fashion one hidden and counted.
        view = await feed(pilot, islice(linear_events(), 1 + 5 * 3))
        loss = view.query_one(LossChart)
        loss.flush()
        assert loss.drawn_compared == [c.label for c in app.compared[:2]]
        head = header_text(loss)
        assert "1 hidden: other dataset" in head
        assert "101500 linear-gd val" in head  # which curve, said in the label
        # One legend line for live and compared runs together.
        assert len(loss.header) == 1
        await pilot.press("escape")  # the feed has no final event: confirm leaving
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")

        # A past run: the others are overlaid, never the run itself.
        screen = app.open_recorded(runs["best"])
        await pilot.pause()
        assert isinstance(screen, RecordedRunScreen)
        loss = screen.query_one(LossChart)
        loss.flush()
        assert [c.name for c in loss.compared] == [runs["worse"].name]
        assert loss.hidden_compared == 1 and loss.drawn_compared == [app.compared[1].label]
        metric = screen.query_one(MetricChart)
        metric.flush()
        assert [c.name for c in metric.compared] == [runs["worse"].name]
        # Its logged initial weights put the W/b curves' start at epoch 0 here too.
        logged = [e.weights[0].kernel.values[0] for e in linear_events()  # type: ignore[union-attr]
                  if isinstance(e, EpochDone)]
        xs, ws = screen.query_one(WeightsChart)._curve("W")
        assert xs == [0.0, *range(1, 11)] and ws == [5.0, *logged]

        # A fashion run sees only the fashion one (itself excluded: nothing drawn).
        await pilot.press("b")
        screen = app.open_recorded(runs["fashion"])
        await pilot.pause()
        assert screen is not None
        assert screen.query_one(LossChart).compared == ()
        assert screen.query_one(LossChart).hidden_compared == 2


# ---- damaged runs never raise -----------------------------------------------------------------

def test_damaged_runs_are_read_with_notes_never_raised(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    spec = get_preset("linear-gd")
    cases = {
        "types": lambda run: run.summary_file.write_text(json.dumps(
            {"status": "finished", "epochs_done": "ten", "seconds": [1], "test": "x"})),
        "csv-extra": lambda run: run.metrics_file.write_text(
            run.metrics_file.read_text() + "11,1,2,3,4,5,6,7\n"),
        "events": lambda run: run.events_file.write_text(
            '{"event": "run_started", "epochs": "ten"}\n'
            '{"event": "epoch_done", "epoch": 1, "weights": 7, "loss": "x"}\n'
            '{"event": "run_finished", "status": "exploded"}\n[1, 2]\n"str"\n'
            '{"event": "step_done", "epoch": -1}\n{"event": "evaluating", "split": "test"}\n'),
        "spec-bytes": lambda run: run.spec_file.write_bytes(b"name = \"\xff\xfe\"\n\x00\x01"),
        "summary-list": lambda run: run.summary_file.write_text("[1, 2, 3]"),
        "empty": lambda run: [p.unlink() for p in run.path.iterdir() if p.is_file()],
    }
    for i, (name, damage) in enumerate(cases.items()):
        run = write_run(root, spec, finish(linear_events(epochs=3)), f"20260101-00000{i}-{name}")
        damage(run)
        recorded = load_recorded(run)
        assert recorded.events and isinstance(recorded.events[0], RunStarted), name
        compared_run(run)  # the overlay reader too
    recorded = load_recorded(RunDir(root / "20260101-000000-types"))
    assert recorded.notes and any("epochs_done" in n for n in recorded.notes)
    events, bad = read_events(RunDir(root / "20260101-000002-events"))
    assert bad == 6 and not events  # the evaluating line is not counted as damage


@pytest.mark.slow
async def test_damaged_past_run_opens_in_the_app(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = write_run(tmp_path / "ktui-runs", get_preset("linear-gd"),
                    finish(linear_events(epochs=3)), "20260101-000000-linear-gd")
    run.summary_file.write_text(json.dumps({"status": "finished", "seconds": "slow"}))
    with open(run.events_file, "a") as f:
        f.write('{"event": "epoch_done", "epoch": 4, "epochs": "x"}\n')
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.open_recorded(run)
        await pilot.pause()
        assert isinstance(screen, RecordedRunScreen) and screen.view.epochs_done == 3
        result = text_of(screen.query_one("#result", Static))
        assert "Finished after 3 epochs" in result and "could not be read" in result


# ---- the trainer: initial weights, evaluating, pauses -------------------------------------

@pytest.mark.slow
def test_trainer_sends_initial_weights_and_evaluating() -> None:
    from ktui.core.training.loop import train

    events: list = []
    spec = get_preset("linear-gd")
    spec.train.epochs = 2
    final = train(spec, events.append)
    assert isinstance(final, RunFinished) and final.status == "finished"
    started = events[0]
    assert isinstance(started, RunStarted)
    layer = started.initial_weights[0]
    assert layer.kernel is not None and layer.kernel.values == (5.0,)
    assert layer.bias is not None and layer.bias.values == (0.0,)
    kinds = [type(e).__name__ for e in events]
    assert kinds[-2:] == ["Evaluating", "RunFinished"] and kinds.count("Evaluating") == 1


@pytest.mark.slow
def test_trainer_leaves_pauses_out_of_rates_and_durations() -> None:
    from ktui.core.training.loop import train

    control = TrainerControl()
    spec = get_preset("linear-gd")
    spec.train.epochs = 2
    at: dict[str, float] = {}
    events: list = []

    def sink(event) -> None:
        now = time.perf_counter()
        events.append(event)
        at.setdefault(type(event).__name__, now)
        if isinstance(event, RunStarted):
            control.pause()
            threading.Timer(0.8, control.resume).start()

    final = train(spec, sink, control)
    assert isinstance(final, RunFinished) and final.status == "finished"
    assert "Paused" in at and "Resumed" in at
    first = next(e for e in events if isinstance(e, EpochDone))
    step = next(e for e in events if isinstance(e, StepDone))
    wall_epoch = at["EpochDone"] - at["RunStarted"]
    assert wall_epoch - first.seconds >= 0.6  # the 0.8 s pause is not epoch time
    assert 1 / step.steps_per_s < (at["StepDone"] - at["RunStarted"]) - 0.6
    assert at["RunFinished"] - at["RunStarted"] - final.seconds >= 0.6
    assert not any(isinstance(e, RunFailed) for e in events)
