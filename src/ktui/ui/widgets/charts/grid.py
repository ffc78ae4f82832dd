"""The training view's charts, laid out for the terminal's size.

Loss, weights and metrics, and the learning rate when it moves (a schedule, a change: see
:attr:`ChartGrid.lr_wanted`; a constant rate is the progress line's ``lr``). All of them when
there is room (the learning rate beside the loss, a third of the row); on a short terminal
(80x24) two side by side, or one when it is narrow too, each at least ~8 rows tall, ``c``
(:meth:`ChartGrid.cycle`) showing the next, the learning rate last. The ``-pair``, ``-one``
and ``-lr`` classes select the layout in ``ktui.tcss``.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Grid

from ktui.ui.compared import ComparedRun
from ktui.ui.widgets.charts.chart import Chart
from ktui.ui.widgets.charts.loss import LossChart
from ktui.ui.widgets.charts.metrics import MetricChart

#: Below this many rows the three charts would be ~3 rows tall: show fewer, bigger ones.
SHORT_ROWS = 30
#: Below this many columns two charts side by side would be too narrow: show one.
NARROW_COLS = 100
CHART_IDS = ("loss-chart", "weights-chart", "metric-chart", "lr-chart")


class ChartGrid(Grid):
    """Holds the loss, learning-rate, weights and metric charts (composed into it by the
    screen, in that order: the grid fills rows left to right)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        #: Which chart a short terminal shows (``c`` cycles).
        self.index = 0
        #: "all" (every chart), "pair" (loss + one) or "one", from the terminal's size.
        self.mode = "all"
        #: Whether the learning-rate chart is one of them (the screen decides).
        self.lr_wanted = False

    def charts(self) -> list[Chart]:
        return list(self.query(Chart))

    def fit(self, width: int, height: int) -> None:
        """Show the charts that fit a ``width`` x ``height`` screen (nothing before the
        screen has a size)."""
        if not height:
            return
        mode = "all" if height >= SHORT_ROWS else ("pair" if width >= NARROW_COLS else "one")
        self.mode = mode
        wanted = CHART_IDS if self.lr_wanted else CHART_IDS[:-1]
        self.set_class(mode == "pair", "-pair")
        self.set_class(mode == "one", "-one")
        self.set_class(mode == "all" and self.lr_wanted, "-lr")
        if mode == "all":
            shown = set(wanted)
        elif mode == "pair":
            shown = {"loss-chart", wanted[1 + self.index % (len(wanted) - 1)]}
        else:
            shown = {wanted[self.index % len(wanted)]}
        for chart in self.charts():
            if chart.display != (chart.id in shown):
                chart.display = chart.id in shown
                chart.mark_dirty()
        self._mark_positions()

    def cycle(self, width: int, height: int) -> None:
        """The next chart (or pair) on a short terminal."""
        self.index += 1
        self.fit(width, height)

    def _mark_positions(self) -> None:
        """On a short terminal each cycled chart's header says which it is (``2 of 3 · c:
        next``: the footer says only "Chart"); with every chart shown, none does."""
        charts = [c for c in self.charts() if c.id != "lr-chart" or self.lr_wanted]
        cycled = charts[1:] if self.mode == "pair" else charts
        for chart in charts:
            where = (f"{cycled.index(chart) + 1} of {len(cycled)} · c: next"
                     if self.mode != "all" and chart in cycled and chart.display else "")
            if getattr(chart, "position", "") != where:
                chart.position = where
                chart.mark_dirty()

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
