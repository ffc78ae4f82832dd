"""The learned and gradients pages opened before the data arrives, as a user (and the bench)
opens them at the start of a run: what they show, and how much of the screen a new epoch
repaints (issue 24)."""

from __future__ import annotations

import pytest

from ktui.core.events import Confusion, EpochDone
from ktui.core.spec.presets import get_preset
from ktui.ui.widgets.insight import ConfusionView

from .helpers import feed, make_test_app, settle
from .insight_events import classifier_insight_events

pytestmark = pytest.mark.slow  # seconds per test: not in `make test-fast`


async def test_the_matrix_shows_whole_when_the_page_was_open_before_it_came() -> None:
    """Before the first matrix the view says "waiting" at the matrix's height (the spec names
    ten classes), so the first matrix shows whole (it once stayed one line tall: only its
    title showed) and moves nothing below it: the gallery keeps its place and size (it was
    laid out again and redrawn whole, ~45 KB at 120x40, the moment the matrix came)."""
    from ktui.ui.widgets.insight import GalleryView

    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [])
        await pilot.press("v")
        await settle(pilot)
        view, gallery = screen.query_one(ConfusionView), screen.query_one(GalleryView)
        assert view.region.height == 2 + 10  # the title, the header and a row per class
        assert "no confusion matrix yet" in str(view.render())
        before = gallery.region
        for event in classifier_insight_events(epochs=2):
            screen.handle_event(event)
            if isinstance(event, Confusion):
                screen.flush()
                await settle(pilot)
                assert gallery.region == before
        classes = len(view.matrix.matrix) if view.matrix else 0
        assert classes == 10
        assert view.region.height == 2 + classes, view.region


async def test_an_epoch_repaints_a_line_once_on_the_learned_page() -> None:
    """A new epoch's matrix repaints only the lines that changed, each as one region."""
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        events = list(classifier_insight_events(epochs=4))
        first_epochs = [i for i, e in enumerate(events) if isinstance(e, EpochDone)]
        screen = await feed(pilot, events[:first_epochs[1]])
        await pilot.press("v")
        await settle(pilot)
        for event in events[first_epochs[1]:first_epochs[2]]:  # drawn whole once shown
            screen.handle_event(event)
        screen.flush()
        await settle(pilot)
        view = screen.query_one(ConfusionView)
        calls: list[tuple] = []
        real = view._set_dirty

        def set_dirty(*regions):  # type: ignore[no-untyped-def]
            calls.append(regions)
            real(*regions)

        view._set_dirty = set_dirty  # type: ignore[method-assign]
        for event in events[first_epochs[2]:first_epochs[3] + 3]:
            screen.handle_event(event)
        screen.flush()
        await settle(pilot)
        regions = [r for c in calls for r in c]
        assert regions and all(calls), calls  # regions, never the whole view
        rows = [r.y for r in regions]
        assert len(rows) == len(set(rows)), regions  # one region a line


async def test_a_new_matrix_waits_for_its_interval_while_training_not_once_paused() -> None:
    """While training, matrices closer than MIN_INTERVAL_S are drawn once, the latest, when
    the interval is over (a short epoch brought one a frame, ~6.5 KB each); paused, the
    latest is drawn at once."""
    from dataclasses import replace

    from ktui.core.events import Paused
    from ktui.ui.widgets.insight.confusion import MIN_INTERVAL_S

    from .helpers import TEST_SETTINGS

    assert MIN_INTERVAL_S >= 1
    app = make_test_app(get_preset("fashion-mlp"))
    app.settings = replace(TEST_SETTINGS, chart_min_interval=None)  # production intervals
    async with app.run_test(size=(120, 40)) as pilot:
        events = list(classifier_insight_events(epochs=4))
        screen = await feed(pilot, [])
        await pilot.press("v")
        await settle(pilot)
        view = screen.query_one(ConfusionView)
        for event in events:
            screen.handle_event(event)
            if isinstance(event, Confusion):
                screen.flush()
                await pilot.pause()
            if isinstance(event, Confusion) and event.epoch == 3:
                break
        assert "epoch 1" in view.content.plain  # 2 and 3 wait for the interval
        screen.handle_event(Paused(3, 0))
        screen.flush()
        await settle(pilot)
        assert "epoch 3" in view.content.plain


async def test_a_frame_does_not_search_the_screen_for_the_page_switcher() -> None:
    """``page`` is read a few times a frame; a DOM query walks the whole screen (~40 % of a
    frame's flush, cProfile), so the switcher is looked up once."""
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, list(classifier_insight_events(epochs=1)))
        screen.flush_pages()
        queried: list[object] = []
        real_query = screen.query

        def query(selector=None):  # type: ignore[no-untyped-def]
            queried.append(selector)
            return real_query(selector)

        screen.query = query  # type: ignore[method-assign]
        for _ in range(3):
            screen.flush_pages()
        await pilot.press("v")  # the page still follows the switcher
        await settle(pilot)
        assert screen.page == "learned"
        assert not [q for q in queried if "ContentSwitcher" in str(q)], queried


async def test_a_whole_frame_searches_the_screen_for_nothing() -> None:
    """The frame's own lookups (the charts, the chart grid, the progress line) were three
    queries over the whole screen 4 times a second: 176 µs of a frame whose other work
    takes 46 µs when nothing changed (measured side by side, fashion-mlp at 120x40)."""
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, list(classifier_insight_events(epochs=1)))
        screen.flush()
        queried: list[object] = []
        real_query, real_one = screen.query, screen.query_one

        def query(*args, **kwargs):  # type: ignore[no-untyped-def]
            queried.append(args)
            return real_query(*args, **kwargs)

        def query_one(*args, **kwargs):  # type: ignore[no-untyped-def]
            queried.append(args)
            return real_one(*args, **kwargs)

        screen.query, screen.query_one = query, query_one  # type: ignore[method-assign]
        for _ in range(3):
            screen._progress_dirty = True
            screen.flush()
        assert not queried, queried
