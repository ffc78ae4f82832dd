"""The points a chart draws: at most a few hundred per series (only finite ones:
:func:`ktui.core.history.finite`)."""

from __future__ import annotations

from ktui.core import history

#: Points drawn per series at most (the chart is rarely wider than this in braille dots).
MAX_DRAWN = 400


def drawn_limit(width: int) -> int:
    """Points worth drawing per series on a chart ``width`` cells wide: two a cell (a braille
    cell is two dots wide), at most :data:`MAX_DRAWN`. plotext's cost grows with the points
    (a line per pair): 400 points cost 10 ms a redraw at 60x19, 120 cost 7."""
    return max(40, min(MAX_DRAWN, 2 * width))


def downsample(xs: list[float], ys: list[float], limit: int = MAX_DRAWN
               ) -> tuple[list[float], list[float]]:
    """At most ``limit`` points (default: what a chart draws), each the mean of a run of
    neighbours (:func:`ktui.core.history.downsample`, which keeps the step loss short)."""
    return history.downsample(xs, ys, limit)
