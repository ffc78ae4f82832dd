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
ticks in ``axes``; the points drawn in ``series``; past runs overlaid in ``compared``; the
learning rate (log scale) in ``lr``; the options every time-series chart shares (smoothing,
log y, a window of epochs: keys of ``ktui.ui.screens.chart_controls``) in ``transform``, the
title-and-legend line in ``header``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ktui.ui.widgets.charts.axes import epoch_ticks, nice_ticks, tick_labels
    from ktui.ui.widgets.charts.chart import DATA_REDRAW_S, Chart, Frame, Series
    from ktui.ui.widgets.charts.compared import ComparedRun, short_label
    from ktui.ui.widgets.charts.loss import LossChart
    from ktui.ui.widgets.charts.lr import LrChart
    from ktui.ui.widgets.charts.metrics import MetricChart
    from ktui.ui.widgets.charts.series import downsample, finite
    from ktui.ui.widgets.charts.transform import ChartOptions
    from ktui.ui.widgets.charts.weights import WeightsChart

#: Where each name lives. The package imports a module when one of its names is first read
#: (PEP 562): the app imports ``charts.compared`` for its past runs, and the first frame (the
#: setup view) should not wait for plotext and every chart (~55 ms of imports).
_HOME = {
    "epoch_ticks": "axes", "nice_ticks": "axes", "tick_labels": "axes",
    "DATA_REDRAW_S": "chart", "Chart": "chart", "Frame": "chart", "Series": "chart",
    "ComparedRun": "compared", "short_label": "compared", "LossChart": "loss",
    "LrChart": "lr", "MetricChart": "metrics", "downsample": "series", "finite": "series",
    "ChartOptions": "transform", "WeightsChart": "weights",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)

__all__ = [
    "DATA_REDRAW_S", "Chart", "ChartOptions", "ComparedRun", "Frame", "LossChart", "LrChart",
    "MetricChart", "Series", "WeightsChart", "downsample", "epoch_ticks", "finite", "nice_ticks",
    "short_label", "tick_labels",
]
