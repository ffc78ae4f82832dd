"""The chart options (smoothing, log y, a window of epochs) and what they do to a series.

Pure functions on lists of floats (no Textual, no plotext), so the maths is unit-tested on its
own; :class:`ktui.ui.widgets.charts.chart.Chart` applies them to the series it is about to draw
(already downsampled: a redraw smooths a few hundred points, never every step).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

#: What the smoothing key cycles through (TensorBoard's slider, in three stops).
SMOOTHING_STEPS = (0.0, 0.6, 0.9)
#: What the window key cycles through: every epoch, then the last N (None: all).
WINDOW_STEPS: tuple[int | None, ...] = (None, 10, 50)


@dataclass(frozen=True)
class ChartOptions:
    """How the time-series charts draw their data; the defaults draw it as it is."""

    smoothing: float = 0.0
    log_y: bool = False
    #: Only the last this many epochs (None: all of them).
    window: int | None = None

    def next_smoothing(self) -> ChartOptions:
        return replace(self, smoothing=_next(SMOOTHING_STEPS, self.smoothing))

    def toggled_log(self) -> ChartOptions:
        return replace(self, log_y=not self.log_y)

    def next_window(self) -> ChartOptions:
        return replace(self, window=_next(WINDOW_STEPS, self.window))

    def tag(self, hidden: int = 0, *, compact: bool = False) -> str:
        """The options as the chart's title line says them (``smooth 0.6 · log y · last
        10``), empty for the defaults; ``hidden`` points ≤ 0 left out of the log view."""
        parts = []
        if self.smoothing:
            parts.append(f"~{self.smoothing:g}" if compact else f"smooth {self.smoothing:g}")
        if self.log_y:
            log = "log" if compact else "log y"
            if hidden:
                log += f" ({hidden}≤0 hidden)" if compact else \
                    f" ({hidden} point{'s' * (hidden != 1)} ≤ 0 hidden)"
            parts.append(log)
        if self.window:
            parts.append(f"{self.window}ep" if compact else f"last {self.window}")
        return " · ".join(parts)


def _next(steps: Sequence, value: object) -> object:  # type: ignore[type-arg]
    try:
        return steps[(list(steps).index(value) + 1) % len(steps)]
    except ValueError:
        return steps[0]


def ema(ys: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's smoothing: an exponential moving average, debiased (divided by
    ``1 - weight**n`` after ``n`` finite points, so the first point is itself and the curve
    does not start near 0). Non-finite points are kept as they are and do not count; a
    constant series is returned as it is (as TensorBoard does)."""
    values = [float(y) for y in ys]
    if not 0 < weight < 1 or not values or all(v == values[0] for v in values):
        return values
    last, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight ** n))
    return out


def log_filter(xs: Sequence[float], ys: Sequence[float]
               ) -> tuple[list[float], list[float], int]:
    """The points a log axis can draw, as (x, log10 y), and how many finite points ≤ 0 were
    left out (non-finite ones are not counted: they are never drawn)."""
    out_x, out_y, hidden = [], [], 0
    for x, y in zip(xs, ys, strict=False):
        if not math.isfinite(y):
            continue
        if y <= 0:
            hidden += 1
            continue
        out_x.append(x)
        out_y.append(math.log10(y))
    return out_x, out_y, hidden


def window_span(end: float | None, last: int | None) -> tuple[int, int] | None:
    """The epochs ``[lo, hi]`` a window of the ``last`` epochs shows when the data reaches
    ``end``; None when there is no window or every epoch fits in it (then the axis is the
    usual one)."""
    if not last or end is None or not math.isfinite(end):
        return None
    hi = math.ceil(end)
    lo = hi - last
    return (lo, hi) if lo > 0 else None


def in_window(xs: Sequence[float], ys: Sequence[float], span: tuple[float, float] | None
              ) -> tuple[list[float], list[float]]:
    """The points with ``lo <= x <= hi`` (all of them without a span)."""
    if span is None:
        return list(xs), list(ys)
    lo, hi = span
    kept = [(x, y) for x, y in zip(xs, ys, strict=False) if lo <= x <= hi]
    return [x for x, _ in kept], [y for _, y in kept]


@dataclass(frozen=True)
class Shaped:
    """A series as the options draw it: the raw points, the smoothed ones (None: no
    smoothing) and the points ≤ 0 a log view left out."""

    raw: tuple[list[float], list[float]]
    smooth: tuple[list[float], list[float]] | None
    hidden: int = 0


def shape(xs: Sequence[float], ys: Sequence[float], options: ChartOptions,
          span: tuple[float, float] | None, *, smooth: bool = True) -> Shaped:
    """Smooth (in linear space, over the whole series, as TensorBoard does), cut to the
    window, then take log10 for a log view."""
    smoothed = ema(ys, options.smoothing) if smooth and options.smoothing else None
    raw = in_window(xs, ys, span)
    sm = in_window(xs, smoothed, span) if smoothed is not None else None
    hidden = 0
    if options.log_y:
        rx, ry, hidden = log_filter(*raw)
        raw = (rx, ry)
        if sm is not None:
            sx, sy, _ = log_filter(*sm)
            sm = (sx, sy)
    return Shaped(raw, sm, hidden)


__all__ = ["SMOOTHING_STEPS", "WINDOW_STEPS", "ChartOptions", "Shaped", "ema", "in_window",
           "log_filter", "shape", "window_span"]
