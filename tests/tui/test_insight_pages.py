"""The training view's pages (issue 12): ``v`` cycles charts, learned and gradients; what each
page draws from a scripted run with fixed numbers; a hidden page draws nothing; a recorded
run shows the same pages from its replayed events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher

from ktui.core.runs import RunDir
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.screens.training_pages import PAGES, PageTabs
from ktui.ui.widgets.charts import Chart
from ktui.ui.widgets.charts.fitted import FittedChart
from ktui.ui.widgets.charts.gradients import GradientsChart
from ktui.ui.widgets.insight.strips import WeightStrips

from .helpers import feed, make_test_app, settle
from .insight_events import (
    classifier_insight_events,
    linear_insight_events,
    multi_feature_events,
)
from .recorded_runs import finish, write_run

SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]


def _on_page(events: Any, page: str):
    """A run_before that feeds ``events`` and shows ``page`` (pressing ``v`` to reach it)."""
    async def run_before(pilot: Pilot) -> None:
        await feed(pilot, events())
        await settle(pilot)
        for _ in range(PAGES.index(page)):
            await pilot.press("v")
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.slow
def test_insight_learned_regression(snap_compare, size: tuple[int, int]) -> None:
    """Seed 000's picture: the data, the line before training (dim) and now (bright)."""
    assert snap_compare(make_test_app(), terminal_size=size,
                        run_before=_on_page(linear_insight_events, "learned"))


@pytest.mark.slow
def test_insight_learned_several_features(snap_compare) -> None:
    """Several features: predicted vs true, the first epoch dim, the diagonal y = x."""
    assert snap_compare(make_test_app(), terminal_size=(120, 40),
                        run_before=_on_page(multi_feature_events, "learned"))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.slow
def test_insight_learned_classification(snap_compare, size: tuple[int, int]) -> None:
    """The confusion matrix and the prediction gallery of a classifier."""
    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=size,
                        run_before=_on_page(classifier_insight_events, "learned"))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.slow
def test_insight_gradients(snap_compare, size: tuple[int, int]) -> None:
    """Gradient norm per layer (dense_2 gets none: flagged) over the kernels' heat strips."""
    app = make_test_app(get_preset("fashion-mlp"))
    assert snap_compare(app, terminal_size=size,
                        run_before=_on_page(classifier_insight_events, "gradients"))


def _tabs(screen: TrainingScreen) -> str:
    return str(screen.query_one(PageTabs).render())


@pytest.mark.slow
async def test_v_cycles_the_pages_and_the_title_says_which() -> None:
    app = make_test_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await feed(pilot, linear_insight_events())
        switcher = screen.query_one(ContentSwitcher)
        seen = []
        for _ in range(4):
            seen.append((switcher.current, screen.page))
            assert screen.query_one(f"#{screen.page}").display
            assert [p for p in PAGES if screen.query_one(f"#{p}").display] == [screen.page]
            await pilot.press("v")
            await settle(pilot)
        assert seen == [(p, p) for p in (*PAGES, PAGES[0])]
        assert all(p in _tabs(screen) for p in PAGES)


@pytest.mark.slow
async def test_hidden_pages_are_not_drawn() -> None:
    """On the charts page the learned and gradients pages build nothing, however many events
    arrive; shown, they draw the latest data at once; hidden again, nothing more."""
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [])
        grads = screen.query_one(GradientsChart)
        strips = screen.query_one(WeightStrips)
        draws = {"grads": 0, "loss": 0}
        real_grads, real_loss = grads.draw, screen.query_one("#loss-chart", Chart).draw

        def count(name: str, real: Any) -> Any:
            def draw() -> None:
                draws[name] += 1
                real()
            return draw

        grads.draw = count("grads", real_grads)  # type: ignore[method-assign]
        screen.query_one("#loss-chart", Chart).draw = count("loss", real_loss)  # type: ignore
        for event in classifier_insight_events():
            screen.handle_event(event)
            screen.flush()
        await settle(pilot)
        assert draws["grads"] == 0 and strips.builds == 0 and draws["loss"] > 0
        await pilot.press("v", "v")  # gradients
        await settle(pilot)
        assert draws["grads"] >= 1 and strips.builds >= 1
        assert grads.history.insight.grad_x and strips.histograms
        drawn, loss_drawn, built = draws["grads"], draws["loss"], strips.builds
        await pilot.press("v")  # charts again
        await settle(pilot)
        for event in classifier_insight_events(epochs=2, steps=3):  # a second run's data
            screen.handle_event(event)
            screen.flush()
        await settle(pilot)
        assert draws["grads"] == drawn and strips.builds == built
        assert draws["loss"] > loss_drawn


@pytest.mark.slow
async def test_gradients_page_flags_a_layer_no_gradient_reaches() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, classifier_insight_events())
        assert "gradients ⚠" in _tabs(screen)  # seen from the charts page too
        await pilot.press("v", "v")
        await settle(pilot)
        chart = screen.query_one(GradientsChart)
        assert "dense_2: no gradient" in chart.header[0].plain
        assert "dense_1 0.2" in chart.header[0].plain  # the latest norms in the legend
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, classifier_insight_events(dead_layer=None))
        assert "⚠" not in _tabs(screen)
        assert screen.query_one(GradientsChart).flagged() == []


@pytest.mark.slow
async def test_the_fitted_line_moves_with_the_predictions() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, linear_insight_events())
        await pilot.press("v")
        await settle(pilot)
        chart = screen.query_one(FittedChart)
        scatter, lines = chart.series()
        assert [s.label for s in scatter] == ["data"]
        assert [s.label for s in lines] == ["before training", "epoch 10"]
        before, now = lines
        # before training: W=5, b=0 (the initial weights); now W≈3.06, b≈1.94
        assert before.ys[-1] - before.ys[0] == pytest.approx(5 * (before.xs[-1] - before.xs[0]))
        slope = (now.ys[-1] - now.ys[0]) / (now.xs[-1] - now.xs[0])
        assert slope == pytest.approx(3 + 2 * 0.7 ** 10)
        assert now.xs == sorted(now.xs)


@pytest.mark.slow
async def test_gallery_mode_key_only_on_the_learned_page_of_a_classifier() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, classifier_insight_events(epochs=2, steps=2))
        assert screen.check_action("gallery_mode", ()) is False
        await pilot.press("v")
        await settle(pilot)
        assert screen.check_action("gallery_mode", ()) is True
        assert screen.check_action("cycle_chart", ()) is False  # the charts page's key
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, linear_insight_events(epochs=2))
        await pilot.press("v")
        await settle(pilot)
        assert screen.check_action("gallery_mode", ()) is False  # regression: no gallery


@pytest.mark.slow
async def test_a_recorded_run_shows_the_pages(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = write_run(tmp_path / "ktui-runs", get_preset("fashion-mlp"),
                    finish(classifier_insight_events(epochs=3, steps=4)),
                    "20260110-090000-fashion-mlp")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.open_recorded(RunDir(run.path))
        await settle(pilot)
        assert screen is not None and screen.view.insight.confusion["validation"].epoch == 3
        await pilot.press("v", "v")
        await settle(pilot)
        assert screen.page == "gradients"
        chart = screen.query_one(GradientsChart)
        assert [s.label.split()[0] for s in chart.lines()] == ["dense_1", "dense_2", "dense_3"]
        strips = screen.query_one(WeightStrips)
        assert [len(c) for c in strips.histograms.values()] == [4, 4, 4]  # epochs 0-3
        assert "kernel" in str(strips.render())


def test_heat_strip_rebins_to_one_range_and_puts_large_values_on_top() -> None:
    from ktui.core.insight_history import HistogramColumn
    from ktui.ui.widgets.insight.strips import heat, picked, rebin

    narrow = HistogramColumn(0.0, -1.0, 1.0, (0, 10, 10, 0))
    wide = HistogramColumn(1.0, -4.0, 4.0, (5, 0, 0, 5))
    spread = rebin(narrow, -4.0, 4.0, 8)
    assert spread.sum() == pytest.approx(20) and list(spread[:3]) == [0, 0, 0]
    assert spread[3] == pytest.approx(10) and spread[4] == pytest.approx(10)
    point = rebin(HistogramColumn(0.0, 2.0, 2.0, (7,)), -4.0, 4.0, 8)
    assert point[6] == 7 and point.sum() == 7
    lines, lo, hi = heat([narrow, wide], width=4, rows=4)
    assert (lo, hi) == (-4.0, 4.0) and len(lines) == 4
    # the wide column's upper mass is in the top row, the narrow one's in the middle rows
    assert lines[0].plain[2:] != "  " and lines[0].plain[:2] == "  "
    assert lines[1].plain[:2] != "  "
    assert picked(5, 10) == [0, 1, 2, 3, 4] and picked(100, 3) == [0, 50, 99]


@pytest.mark.slow
async def test_c_shows_the_matrix_or_the_gallery_on_a_short_terminal() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await feed(pilot, classifier_insight_events())
        await pilot.press("v")
        await settle(pilot)
        shown = [w.id for w in screen.query("#confusion, #gallery") if w.display]
        assert shown == ["confusion"]
        await pilot.press("c")
        await settle(pilot)
        assert [w.id for w in screen.query("#confusion, #gallery") if w.display] == ["gallery"]
