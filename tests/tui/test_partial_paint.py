"""A live run repaints only the cells that changed: a new point, a step counter."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest
from textual.geometry import Region

from ktui.ui.widgets.charts import LossChart
from ktui.ui.widgets.progress import RunProgress

from .fakes import linear_events
from .helpers import feed, make_test_app

pytestmark = pytest.mark.slow  # seconds per test: not in `make test-fast`

SIZE = (120, 40)


def spy_refresh(widget: Any) -> list[tuple[Region, ...]]:
    """Record the regions ``widget`` marks for repainting (() = the whole widget)."""
    calls: list[tuple[Region, ...]] = []
    real = widget._set_dirty

    def set_dirty(*regions: Region) -> None:
        calls.append(regions)
        real(*regions)

    widget._set_dirty = set_dirty
    return calls


async def test_a_new_step_repaints_a_few_cells_of_the_chart_and_the_progress() -> None:
    events = list(linear_events(epochs=10))
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        # Mid-run, in epoch 6: the axes (0..10 epochs, the loss range) are settled.
        screen = await feed(pilot, islice(events, 0, 27))
        chart, progress = screen.query_one(LossChart), screen.query_one(RunProgress)
        chart_calls, progress_calls = spy_refresh(chart), spy_refresh(progress)
        screen.handle_event(events[27])  # one more step
        screen.flush()
        await pilot.pause()
        area = chart.size.width * chart.size.height
        partial = [c for c in chart_calls if c]
        assert partial and not any(c == () for c in chart_calls), chart_calls
        painted = sum(r.area for c in partial for r in c)
        assert 0 < painted < area // 10, (painted, area)
        assert progress_calls and all(progress_calls), progress_calls  # regions, not all
        progress_cells = sum(r.area for c in progress_calls for r in c)
        assert progress_cells < progress.size.width, progress_cells
        # Nothing new: nothing repainted.
        chart_calls.clear()
        progress_calls.clear()
        chart.mark_dirty()
        chart.flush()
        assert chart_calls == []
