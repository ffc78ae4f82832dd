"""The learning-rate chart: the rate at the end of each epoch, on a log scale.

Schedules multiply the rate (a step drop, an exponential decay, a plateau's factor, the
user's ``+``/``-``), so equal ratios are equal heights: the y axis is log10 of the rate,
labelled with the rates themselves (``0.01``, ``0.02``, ``0.05``). A change since the last
epoch (a key, a plateau's drop) is drawn at once, where the run is now, not at the next epoch.
"""

from __future__ import annotations

import math

from ktui.core.history import RunHistory
from ktui.ui.widgets.charts.axes import log_tick_labels, log_ticks
from ktui.ui.widgets.charts.chart import DATA_REDRAW_S, Chart, Series

#: The rate's colour (none of the loss or metric charts' train/val colours).
LR_COLOR = "green+"


def lr_text(lr: float | None) -> str:
    """A learning rate as the progress line, the chart and the CLI's epoch line write it."""
    return "–" if lr is None else f"{lr:.4g}"


def lr_points(history: RunHistory) -> tuple[list[float], list[float]]:
    """(epoch x, rate) per epoch, then the rate now where it changed since (positive
    finite rates only: the log of anything else is not drawn)."""
    points = [(x, y) for x, y in history.lr_points if _drawable(x, y)]
    lr = history.lr
    if lr is not None and _drawable(0.0, lr) and (not points or points[-1][1] != lr):
        spe = history.steps_per_epoch
        now = history.global_step / spe if spe else float(history.epochs_done)
        x = max(now, points[-1][0]) if points else now
        points.append((x, lr))
    return [x for x, _ in points], [y for _, y in points]


def _drawable(x: float, y: float) -> bool:
    return math.isfinite(x) and math.isfinite(y) and y > 0


def lr_varies(history: RunHistory) -> bool:
    """Whether the run's rate has taken more than one value (then the chart says more than
    the progress line's ``lr``)."""
    values = {y for _, y in history.lr_points}
    if history.lr is not None:
        values.add(history.lr)
    return len(values) > 1


class LrChart(Chart):
    """The learning rate per epoch (log y), and the rate now when it changed since."""

    title = "learning rate"
    #: Per-epoch data (and the odd change): half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S

    def data_key(self) -> tuple[int, int]:
        """A run starting, an epoch, or a change of the rate between epochs."""
        h = self.history
        return id(h.started), hash((h.epochs_seen, h.lr))

    def heading(self) -> str:
        h = self.history
        if h.lr is None and not h.lr_points:
            return f"{self.title}: waiting for the first epoch"
        return f"{self.title} {lr_text(h.lr)}  (log scale)"

    def lines(self) -> list[Series]:
        xs, ys = lr_points(self.history)
        return [Series(xs, [math.log10(y) for y in ys], LR_COLOR)]

    def y_ticks(self, lo: float, hi: float, count: int) -> list[float]:
        return log_ticks(lo, hi, count)

    def y_labels(self, ticks: list[float]) -> list[str]:
        return log_tick_labels(ticks)


__all__ = ["LR_COLOR", "LrChart", "lr_points", "lr_text", "lr_varies"]
