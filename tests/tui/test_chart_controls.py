"""The chart controls (issue 12): ``e`` smoothing, ``y`` log y, ``w`` window, on every
time-series chart at once, said in each chart's title line, kept for the app session.

Screens are driven by a scripted, diverging event stream with fixed numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from ktui.core.events import EpochDone, Event, StepDone
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.widgets.charts import LossChart, LrChart, MetricChart, WeightsChart
from ktui.ui.widgets.charts.transform import ChartOptions

from .fakes import linear_events
from .helpers import feed, make_test_app
from .recorded_runs import make_runs_root

SIZE = (120, 40)


def diverging(epochs: int = 24) -> Iterator[Event]:
    """The linear run, its loss growing tenfold every two epochs (a noisy step loss)."""
    for ev in linear_events(epochs=epochs):
        if isinstance(ev, StepDone):
            noise = 10.0 ** (((ev.global_step * 7) % 5 - 2) / 2)  # up to 10x either way
            ev = dataclasses.replace(ev, loss=10.0 ** (ev.global_step / 8) * noise)
        elif isinstance(ev, EpochDone):
            loss = 10.0 ** (ev.epoch / 2)
            ev = dataclasses.replace(ev, loss=loss, val_loss=loss * (1.3 + 0.5 * (ev.epoch % 2)))
        yield ev


def header(chart) -> str:
    return "\n".join(line.plain for line in chart.header)


async def press(pilot: Pilot, *keys: str) -> TrainingScreen:
    await pilot.press(*keys)
    screen = pilot.app.screen
    assert isinstance(screen, TrainingScreen)
    screen.flush()
    await pilot.pause()
    return screen


async def test_keys_cycle_the_options_of_every_chart_and_the_title_says_them() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        loss = screen.query_one(LossChart)
        assert loss.drawn_options == ChartOptions() and "smooth" not in header(loss)
        screen = await press(pilot, "e")
        for chart in (loss, screen.query_one(WeightsChart), screen.query_one(MetricChart)):
            assert chart.drawn_options.smoothing == 0.6, chart.id
            assert "smooth 0.6" in header(chart), header(chart)
        await press(pilot, "e")
        assert loss.drawn_options.smoothing == 0.9 and "smooth 0.9" in header(loss)
        await press(pilot, "e")
        assert loss.drawn_options.smoothing == 0.0 and "smooth" not in header(loss)
        await press(pilot, "y")
        assert loss.drawn_options.log_y and "log y" in header(loss)
        # b starts at 0: the log view leaves that point out and says so
        weights = screen.query_one(WeightsChart)
        assert weights.hidden_points == 1 and "1 point ≤ 0 hidden" in header(weights)
        await press(pilot, "w")
        assert "last 10" in header(loss)
        assert loss.frame.x == (14, 24)
        await press(pilot, "w", "w")
        assert loss.drawn_options == ChartOptions(log_y=True) and loss.frame.x[0] == 0


async def test_log_y_ticks_are_round_powers_and_short() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        loss = screen.query_one(LossChart)
        await press(pilot, "y")
        labels = loss.frame.yticks
        assert labels and all(len(label) <= 5 for label in labels), labels
        assert any(label.startswith("1e") for label in labels), labels
        lo, hi = loss.frame.y
        assert 10 < hi < 20 and -10 < lo < 1  # log10 of the values (1e15 is 15), not the values


async def test_smoothing_draws_the_raw_points_dim_behind_without_a_legend_entry() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        loss = screen.query_one(LossChart)
        before = header(loss)
        await press(pilot, "e")
        shaped, _ = loss._shaped([s for s in loss.lines() if s.xs], loss.drawn_options)
        faint = [s for s in shaped if s.faint]
        bright = [s for s in shaped if not s.faint]
        assert len(faint) == len(bright) == 3  # step, train, val: each raw behind its curve
        assert not {s.color for s in faint} & {s.color for s in bright}  # a darker shade
        assert all(s.label is None for s in faint)
        assert header(loss).count("──") == before.count("──")  # one legend entry each


async def test_smoothing_leaves_w_and_b_as_their_title_prints_them() -> None:
    # A smoothed W curve bent away from the value in the title (issue 21, item 8).
    from itertools import islice

    from ktui.ui.widgets.charts import WeightsChart

    from .fakes import linear_events

    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 10))
        weights = screen.query_one(WeightsChart)
        await press(pilot, "e")
        raw = [s for s in weights.lines() if s.xs and not s.dashed]
        shaped, _ = weights._shaped(raw, weights.drawn_options)
        assert weights.drawn_options.smoothing > 0
        assert not any(s.faint for s in shaped)
        assert [s.ys for s in shaped if not s.dashed] == [s.ys for s in raw]


async def test_options_apply_once_and_not_to_the_learning_rate() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        lr = screen.query_one(LrChart)
        loss = screen.query_one(LossChart)
        screen.flush()
        await pilot.pause()
        assert not loss.flush()  # nothing new: no redraw
        draws: list[ChartOptions] = []
        real_draw = loss.draw

        def counted_draw() -> None:
            real_draw()
            draws.append(loss.drawn_options)

        loss.draw = counted_draw  # type: ignore[method-assign]
        await pilot.press("y")
        # The screen's own frame timer may flush before the test does (it did when this
        # test ran first in its process): count the redraws, not which flush made one.
        screen.flush()
        screen.flush()
        await pilot.pause()
        screen.flush()
        assert [d.log_y for d in draws] == [True]  # one redraw for the change
        assert lr.drawn_options == ChartOptions()


async def test_options_stay_for_the_session_and_reach_a_new_screen() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        await press(pilot, "e", "y")
        app.pop_screen()
        await pilot.pause()
        screen = await feed(pilot, diverging())
        loss = screen.query_one(LossChart)
        assert loss.drawn_options == ChartOptions(smoothing=0.6, log_y=True)
        assert "smooth 0.6 · log y" in header(loss)


async def test_palette_and_help_list_the_chart_keys() -> None:
    from ktui.ui.screens.help import section_lines, sections
    from ktui.ui.screens.training import TrainingScreen as HelpTraining

    app = make_test_app()
    training = next(s for s in sections(type(app)) if s.classes == (HelpTraining,))
    lines = dict(section_lines(training))
    assert "smooth the charts" in lines["e"] and "log y" in lines["y"]
    assert "last 10" in lines["w"]
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, diverging())
        actions = {action for _, _, action in screen.palette_commands()}
        assert {"chart_smoothing", "chart_log_y", "chart_window"} <= actions


def _snapshot_run(size: tuple[int, int]):
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, diverging())
        await press(pilot, "e", "y")
    return run_before


def test_snapshot_chart_controls_80x24(snap_compare) -> None:
    assert snap_compare(make_test_app(), terminal_size=(80, 24),
                        run_before=_snapshot_run((80, 24)))


@pytest.mark.slow  # its 80x24 sibling stays in the quick loop
def test_snapshot_chart_controls_120x40(snap_compare) -> None:
    assert snap_compare(make_test_app(), terminal_size=(120, 40),
                        run_before=_snapshot_run((120, 40)))


async def test_a_past_run_takes_the_keys_and_the_session_options(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.open_recorded(runs["best"])
        await pilot.pause()
        assert isinstance(screen, RecordedRunScreen)
        await press(pilot, "y", "e")
        loss = screen.query_one(LossChart)
        assert loss.drawn_options == ChartOptions(smoothing=0.6, log_y=True)
        assert "smooth 0.6 · log y" in header(loss)
        await pilot.press("b")
        screen = app.open_recorded(runs["worse"])
        await pilot.pause()
        screen.flush()
        assert screen.query_one(LossChart).drawn_options.log_y  # kept for the session
