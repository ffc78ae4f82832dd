"""The chart options' keys in the training view (and a past run's): ``e`` smoothing, ``y`` log
y, ``w`` a window of the last epochs.

The options belong to the app session (``charts.chart.session_options``): set here, they apply
to every time-series chart at once (loss, weights, metrics; the learning rate keeps its own log
scale), stay when a run starts again or a past run is opened, and each chart's title line says
them. A change marks the charts dirty once; they redraw at the next frame.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

from ktui.ui.widgets.charts.chart import Chart, session_options, set_session_options
from ktui.ui.widgets.charts.transform import ChartOptions


class ChartControls(Screen[None]):
    """Keys that change how the charts draw (mixed into the training view)."""

    BINDINGS = [
        # In the help and the palette; the footer is full at 80 columns, and each chart's
        # title line says what is on.
        Binding("e", "chart_smoothing", "Smooth", id="chart_smoothing", show=False),
        Binding("y", "chart_log_y", "Log y", id="chart_log_y", show=False),
        Binding("w", "chart_window", "Window", id="chart_window", show=False),
    ]

    @property
    def chart_options(self) -> ChartOptions:
        """The options the charts are drawn with (the app session's)."""
        return session_options(self.app)

    def set_chart_options(self, options: ChartOptions) -> None:
        """Draw every chart with ``options`` from the next frame (a redraw each, once)."""
        if options == self.chart_options:
            return
        set_session_options(self.app, options)
        for chart in self.query(Chart):
            if chart.options_apply:
                chart.mark_dirty()

    def action_chart_smoothing(self) -> None:
        self.set_chart_options(self.chart_options.next_smoothing())

    def action_chart_log_y(self) -> None:
        self.set_chart_options(self.chart_options.toggled_log())

    def action_chart_window(self) -> None:
        self.set_chart_options(self.chart_options.next_window())

    def chart_commands(self) -> list[tuple[str, str, str]]:
        """The palette's entries for these keys."""
        return [
            ("Chart smoothing", "Cycle the charts' smoothing (EMA): 0, 0.6, 0.9",
             "chart_smoothing"),
            ("Chart log y", "Toggle a log y axis on the charts (values ≤ 0 left out)",
             "chart_log_y"),
            ("Chart window", "All epochs, the last 10, the last 50", "chart_window"),
        ]


__all__ = ["ChartControls"]
