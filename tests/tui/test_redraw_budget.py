"""What the training view spends on the UI thread: the charts' CPU budget (new data waits
while it is spent, the user's changes never do), a chart built once per size, a footer
rebuilt only when its keys change."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

import pytest
from textual.widgets import Footer

from ktui.core.events import Evaluating, RunFinished
from ktui.ui.app import make_app
from ktui.ui.widgets.charts import LossChart, MetricChart, WeightsChart
from ktui.ui.widgets.charts.budget import NO_BUDGET, RedrawBudget

from .fakes import linear_events
from .helpers import TEST_SETTINGS, feed, make_test_app


def test_the_balance_refills_with_time_up_to_the_burst() -> None:
    budget = RedrawBudget(share=0.01, burst=0.05, balance=0.05)
    budget.refill(100.0)
    budget.spend(0.08)
    assert not budget.allows() and budget.balance == pytest.approx(-0.03)
    budget.refill(102.0)  # 2 s earn 0.02
    assert not budget.allows() and budget.balance == pytest.approx(-0.01)
    budget.refill(101.0)  # a clock that went back earns nothing
    budget.refill(103.5)
    assert budget.allows() and budget.balance == pytest.approx(0.005)
    budget.refill(1000.0)
    assert budget.balance == pytest.approx(0.05)  # never more than the burst
    NO_BUDGET.spend(10.0)
    NO_BUDGET.refill(5.0)
    assert NO_BUDGET.allows()


async def test_new_data_waits_for_the_budget_and_the_longest_waiting_chart_draws_first(
) -> None:
    events = list(linear_events(epochs=10))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, islice(events, 0, 20))
        charts = [screen.query_one(kind) for kind in (LossChart, WeightsChart, MetricChart)]
        spent = RedrawBudget(share=0.0, balance=-1.0)
        screen.redraw_budget = spent
        drawn = {chart: chart.last_draw for chart in charts}
        for event in events[20:30]:  # more steps and epochs: every chart has new data
            screen.handle_event(event)
        screen.flush()
        assert {chart: chart.last_draw for chart in charts} == drawn  # all wait
        charts[2].mark_dirty()  # a change the user made: drawn at once, and counted
        screen.flush()
        assert charts[2].last_draw > drawn[charts[2]] and spent.balance < -1.0
        await pilot.pause()
        # Enough for one redraw: the chart that waited longest takes it.
        spent.balance = 1e-9
        screen.flush()
        moved = [chart for chart in charts if chart.last_draw > drawn[chart]]
        assert len(moved) == 2 and charts[2] in moved and not spent.allows()
        first = min(charts[:2], key=lambda chart: drawn[chart])
        assert first in moved


async def test_a_live_screen_has_a_budget_and_a_scripted_one_none() -> None:
    live = make_app(None, settings=replace(TEST_SETTINGS, chart_min_interval=None))
    async with live.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [])
        assert screen.redraw_budget is not NO_BUDGET and screen.redraw_budget.limited
    scripted = make_test_app()
    async with scripted.run_test(size=(120, 40)) as pilot:
        assert (await feed(pilot, [])).redraw_budget is NO_BUDGET


async def test_the_end_of_a_run_draws_its_last_points_at_once() -> None:
    """A spent budget holds new data back, never the run's final state."""
    events = list(linear_events(epochs=3))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, events[:-1])  # all but the last epoch's end
        charts = [screen.query_one(kind) for kind in (LossChart, WeightsChart, MetricChart)]
        screen.redraw_budget = RedrawBudget(share=0.0, balance=-1.0)
        screen.handle_event(events[-1])  # the last epoch: pending, held back
        drawn = {chart: chart.last_draw for chart in charts}
        screen.flush()
        assert {chart: chart.last_draw for chart in charts} == drawn
        screen.handle_event(RunFinished("finished", 3, {"loss": 1.0}, 1.0))
        await pilot.pause()  # drawn once the result line took its rows (no timer needed)
        assert all(chart.last_draw > drawn[chart] for chart in charts)


def count_builds(charts: list) -> dict:
    """How many times each chart builds its plotext frame from now on (the costly part of
    a redraw: plotext's canvas, its ANSI decoded)."""
    builds = {chart: 0 for chart in charts}
    for chart in charts:
        real = chart._build_frame

        def counted(chart=chart, real=real):
            builds[chart] += 1
            return real()

        chart._build_frame = counted
    return builds


async def test_the_end_of_a_run_builds_each_chart_once_at_its_new_size() -> None:
    """The result line takes rows from the charts: each is drawn once, at the size it ends
    up with (drawing at the old size first, then again after the resize, cost the UI thread
    six extra plotext builds at the end of every run)."""
    events = list(linear_events(epochs=3))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, events)
        charts = [screen.query_one(kind) for kind in (LossChart, WeightsChart, MetricChart)]
        before = {chart: chart.size for chart in charts}
        builds = count_builds(charts)
        screen.handle_event(RunFinished("finished", 3, {"loss": 1.0}, 1.0))
        for _ in range(3):
            await pilot.pause()
            screen.flush()
        assert all(chart.size.height < before[chart].height for chart in charts)
        assert builds == {chart: 1 for chart in charts}
        for chart in charts:
            assert chart._frame is not None and chart._frame[0][:2] == tuple(chart.size)


async def test_a_resize_builds_each_chart_once() -> None:
    events = list(linear_events(epochs=3))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, events)
        charts = [screen.query_one(kind) for kind in (LossChart, WeightsChart, MetricChart)]
        builds = count_builds(charts)
        await pilot.resize_terminal(110, 36)
        for _ in range(3):
            await pilot.pause()
            screen.flush()
        assert builds == {chart: 1 for chart in charts}
        for chart in charts:
            assert chart._frame is not None and chart._frame[0][:2] == tuple(chart.size)


async def test_the_footer_is_rebuilt_only_when_the_keys_it_offers_change() -> None:
    """Textual's Footer mounts all its keys again at every ``refresh_bindings``; a run going
    from "starting" to "running" offers the same keys, a finished run others."""
    events = list(linear_events(epochs=2))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [])
        screen._set_state("starting")
        await pilot.pause()
        footer = screen.query_one(Footer)
        rebuilt: list[str] = []
        real = footer.recompose

        async def counted() -> None:
            rebuilt.append(screen.view.state)
            await real()

        footer.recompose = counted
        for event in events:  # run_started: "running", the same keys as "starting"
            screen.handle_event(event)
        await pilot.pause()
        assert rebuilt == []
        screen.handle_event(Evaluating())  # no steering any more: other keys
        await pilot.pause()
        assert rebuilt == ["evaluating"]
        # "r" runs again instead of saying a run is in progress: the same key, enabled in
        # both states, another binding (and only the first is shown)
        screen.handle_event(RunFinished("finished", 2, {"loss": 1.0}, 1.0))
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == ["evaluating", "finished"]
        shown = [key.description for key in footer.query("FooterKey")]  # Textual's own
        assert "Run" in shown and "Pause" not in shown
