"""The training view's three charts, laid out for the terminal's size.

Three charts when there is room; on a short terminal (80x24) two side by side, or one when it
is narrow too, each at least ~8 rows tall, ``c`` (:meth:`ChartGrid.cycle`) showing the next.
The ``-pair`` and ``-one`` classes select the layout in ``ktui.tcss``.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Grid

from ktui.ui.widgets.charts.chart import Chart
from ktui.ui.widgets.charts.compared import ComparedRun
from ktui.ui.widgets.charts.loss import LossChart
from ktui.ui.widgets.charts.metrics import MetricChart

#: Below this many rows the three charts would be ~3 rows tall: show fewer, bigger ones.
SHORT_ROWS = 30
#: Below this many columns two charts side by side would be too narrow: show one.
NARROW_COLS = 100
CHART_IDS = ("loss-chart", "weights-chart", "metric-chart")


class ChartGrid(Grid):
    """Holds the loss, weights and metric charts (composed into it by the screen)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        #: Which chart a short terminal shows (``c`` cycles).
        self.index = 0
        #: "all" (three charts), "pair" (loss + one) or "one", from the terminal's size.
        self.mode = "all"

    def charts(self) -> list[Chart]:
        return list(self.query(Chart))

    def fit(self, width: int, height: int) -> None:
        """Show the charts that fit a ``width`` x ``height`` screen (nothing before the
        screen has a size)."""
        if not height:
            return
        mode = "all" if height >= SHORT_ROWS else ("pair" if width >= NARROW_COLS else "one")
        self.mode = mode
        self.set_class(mode == "pair", "-pair")
        self.set_class(mode == "one", "-one")
        if mode == "all":
            shown = set(CHART_IDS)
        elif mode == "pair":
            shown = {"loss-chart", CHART_IDS[1 + self.index % 2]}
        else:
            shown = {CHART_IDS[self.index % 3]}
        for chart in self.charts():
            if chart.display != (chart.id in shown):
                chart.display = chart.id in shown
                chart.mark_dirty()

    def cycle(self, width: int, height: int) -> None:
        """The next chart (or pair) on a short terminal."""
        self.index += 1
        self.fit(width, height)

    def show_compared(self, runs: Iterable[ComparedRun], own: str | None, dataset: str) -> None:
        """Overlay the past runs that trained on ``dataset`` (never the run ``own`` shown
        here); the others are counted as hidden in the legend."""
        shown: list[ComparedRun] = []
        hidden = 0
        for run in runs:
            if run.name == own:
                continue
            if run.dataset and run.dataset != dataset:
                hidden += 1
            else:
                shown.append(run)
        for chart in (self.query_one(LossChart), self.query_one(MetricChart)):
            chart.set_compared(shown, hidden)
