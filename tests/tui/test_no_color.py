"""Without colour (``NO_COLOR=1``, and for colour-blind users) every series keeps a mark of
its own and the current page is marked by more than colour (issue 21, item 6)."""

from __future__ import annotations

from itertools import islice

import pytest
from rich.text import Text

from ktui.ui.screens.training_pages import PageTabs
from ktui.ui.widgets.charts import LossChart
from ktui.ui.widgets.charts.chart import Series
from ktui.ui.widgets.charts.header import header_lines
from ktui.ui.widgets.charts.marks import with_marks

from .fakes import linear_events
from .helpers import feed, make_test_app, settle


def test_each_labelled_series_gets_its_own_mark() -> None:
    lines = [Series([1.0], [1.0], "gray+", "step"), Series([1.0], [1.0], "cyan+", "train"),
             Series([1.0], [1.0], "cyan+", None, faint=True),
             Series([1.0], [1.0], "orange+", "val"), Series([1.0], [1.0], "cyan", "W",
                                                           dashed=True)]
    marked = with_marks(lines)
    assert [s.mark for s in marked] == ["braille", "•", "", "x", ""]
    legend = header_lines("loss", [s for s in marked if s.label], "", 80, 20)[0].plain
    assert "── step" in legend and "•• train" in legend and "xx val" in legend


def test_the_current_page_is_in_brackets() -> None:
    tabs = PageTabs()
    captured: list[Text] = []
    tabs.update = captured.append  # type: ignore[method-assign]
    tabs.show("learned")
    assert captured[-1].plain == " charts ·[learned]· gradients  v"


@pytest.mark.parametrize("no_color", [True, False])
@pytest.mark.slow
async def test_the_loss_chart_draws_validation_with_its_own_marker(
        monkeypatch: pytest.MonkeyPatch, no_color: bool) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_test_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 5 + 2))
        await settle(pilot)
        chart = app.screen.query_one(LossChart)
        drawn = "".join(line.plain for line in chart.header)
        assert ("xx val" in drawn) is no_color
        assert ("── val" in drawn) is not no_color


@pytest.mark.slow
async def test_the_palette_finds_the_pages_by_what_they_show() -> None:
    # "confusion", "gallery", "gradients" found nothing: the entry was "Next page" (item 17).
    from ktui.ui.commands import KtuiCommands

    app = make_test_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 5 + 2))
        names = {name: action for name, _, action in screen.palette_commands()}
        for word, page in (("confusion", "learned"), ("gallery", "learned"),
                           ("gradient", "gradients"), ("loss", "charts")):
            (action,) = [a for n, a in names.items() if word in n.lower() and "page" in n]
            assert action == f"show_page({page!r})"
            await app.run_action(action, screen)
            await pilot.pause()
            assert screen.page == page
        assert KtuiCommands is not None


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_training_without_colour(snap_compare, monkeypatch: pytest.MonkeyPatch,
                                          size: tuple[int, int]) -> None:
    """The training view as NO_COLOR draws it: greys only, each series its own mark."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def run_before(pilot) -> None:
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 1 + 5 * 5 + 2))
        await settle(pilot)

    assert snap_compare(make_test_app(), terminal_size=size, run_before=run_before)
