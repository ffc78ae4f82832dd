"""The points a chart draws: only finite ones, and at most a few hundred per series."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ktui.core import history

#: Points drawn per series at most (the chart is rarely wider than this in braille dots).
MAX_DRAWN = 400


def drawn_limit(width: int) -> int:
    """Points worth drawing per series on a chart ``width`` cells wide: two a cell (a braille
    cell is two dots wide), at most :data:`MAX_DRAWN`. plotext's cost grows with the points
    (a line per pair): 400 points cost 10 ms a redraw at 60x19, 120 cost 7."""
    return max(40, min(MAX_DRAWN, 2 * width))


def finite(xs: Sequence[float], ys: Sequence[float | None]) -> tuple[list[float], list[float]]:
    """Only the points plotext can draw (a NaN or a null from a log would break the figure)."""
    out_x, out_y = [], []
    for x, y in zip(xs, ys, strict=False):
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) \
                and math.isfinite(x) and math.isfinite(y):
            out_x.append(float(x))
            out_y.append(float(y))
    return out_x, out_y


def downsample(xs: list[float], ys: list[float], limit: int = MAX_DRAWN
               ) -> tuple[list[float], list[float]]:
    """At most ``limit`` points (default: what a chart draws), each the mean of a run of
    neighbours (:func:`ktui.core.history.downsample`, which keeps the step loss short)."""
    return history.downsample(xs, ys, limit)
