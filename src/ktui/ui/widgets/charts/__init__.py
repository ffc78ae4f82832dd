"""Live training charts on textual-plotext, each with its own ``plt`` (never plotext's global).

The screen feeds data in as events arrive (cheap: appends and a ``dirty`` flag) and calls
:meth:`Chart.flush` from a timer, so a chart rebuilds at most a few times per second and only
when its data changed, whatever the step rate.

What every chart does the same way (so each answers its question at a glance):

- The x axis is the epoch, from 0 (the weights before the first step) to the last epoch
  shown, with integer ticks: a 1-epoch run is an axis 0-1, not a dot on 0.5-1.5.
- The y ticks are computed here ("nice" steps of 1, 2, 2.5 or 5 x 10^k) and labelled
  compactly: a diverging run reads ``1e40``, never forty digits.
- The title and the legend are one line of text *above* the plot, coloured like the series,
  so the legend never covers the first points (plotext 5 draws its own legend in the top-left
  corner of the canvas, with no option to move it).

One chart a module: ``loss``, ``weights``, ``metrics``; their base in ``chart``; the axes'
ticks in ``axes``; the points drawn in ``series``; the learning rate (log scale) in ``lr``;
the options every time-series chart shares (smoothing, log y, a window of epochs: keys of
``ktui.ui.screens.chart_controls``) in ``transform``, the title-and-legend line in
``header``; the CPU budget of their redraws in ``budget``. Past runs overlaid live in
``ktui.ui.compared``, outside the package: the app keeps them from its start, and the first
frame should not import plotext and every chart.
"""

from ktui.core.history import finite
from ktui.ui.compared import ComparedRun, short_label
from ktui.ui.widgets.charts.axes import epoch_ticks, nice_ticks, tick_labels
from ktui.ui.widgets.charts.chart import DATA_REDRAW_S, Chart, Frame, Series
from ktui.ui.widgets.charts.loss import LossChart
from ktui.ui.widgets.charts.lr import LrChart
from ktui.ui.widgets.charts.metrics import MetricChart
from ktui.ui.widgets.charts.series import downsample
from ktui.ui.widgets.charts.transform import ChartOptions
from ktui.ui.widgets.charts.weights import WeightsChart

__all__ = [
    "DATA_REDRAW_S", "Chart", "ChartOptions", "ComparedRun", "Frame", "LossChart", "LrChart",
    "MetricChart", "Series", "WeightsChart", "downsample", "epoch_ticks", "finite", "nice_ticks",
    "short_label", "tick_labels",
]
