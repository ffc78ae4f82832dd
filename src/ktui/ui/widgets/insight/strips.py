"""Each layer's kernel histogram over the epochs as a heat strip (TensorBoard's histogram view,
in terminal cells): x is the epoch, y the weight's value, the colour how many weights have it.

Every epoch's histogram is spread over one value range shared by all epochs of the layer (so a
spreading distribution is seen to spread), each column scaled to its own largest bin (so its
shape reads at any count), and drawn in half-block cells: ``▀`` with the upper bin as the
foreground and the lower one as the background, two bins a row. Drawn when new epochs arrive
and the page is shown (see :meth:`WeightStrips.show`), never per frame.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ktui.core.insight_history import HistogramColumn
from ktui.ui.settings import settings_of
from ktui.ui.widgets.charts.paint import PaintedLines

#: The colour of a bin from empty to the column's fullest (viridis: dark to bright, readable
#: in greys too); empty bins are left blank.
PALETTE = ("#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779",
           "#6ece58", "#b5de2b", "#fde725")
#: A layer's panel at least this wide (its y labels and a dozen epochs).
MIN_PANEL = 24
#: Left margin of a panel: the value labels.
LABEL_W = 7
#: Seconds between two redraws for new epochs (the first one and a resize: at once). Each
#: new epoch changes every column (the shared range moves), so a redraw repaints the whole
#: strip: measured on a 48-epoch fashion-mlp run at 120x40, the gradients page sent 10 350
#: B/s with its UI thread busy 0.056 of the time at 5 s, and 7 946 B/s, 0.044 at 10 s.
MIN_INTERVAL_S = 10.0


def rebin(column: HistogramColumn, lo: float, hi: float, bins: int) -> np.ndarray:
    """``column``'s counts over ``bins`` equal bins of ``[lo, hi]``: each source bin's count
    spread evenly over its width (a tensor of one value is all in the bin of that value)."""
    counts = np.asarray(column.counts, np.float64)
    if hi <= lo:
        out = np.zeros(bins)
        out[0] = counts.sum()
        return out
    if column.hi <= column.lo:  # every weight equal: a point mass
        out = np.zeros(bins)
        out[min(int((column.lo - lo) / (hi - lo) * bins), bins - 1)] = counts.sum()
        return out
    edges = np.linspace(column.lo, column.hi, len(counts) + 1)
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    target = np.linspace(lo, hi, bins + 1)
    return np.diff(np.interp(target, edges, cumulative))


def picked(n: int, width: int) -> list[int]:
    """Which of ``n`` columns fit ``width`` cells: all, else evenly spaced ones (the first
    and the last always)."""
    if n <= width:
        return list(range(n))
    return sorted({round(i * (n - 1) / max(width - 1, 1)) for i in range(width)})


def heat(columns: Sequence[HistogramColumn], width: int, rows: int) -> tuple[list[Text], float,
                                                                             float]:
    """A strip ``width`` cells by ``rows`` rows (2 bins a row), top row the largest values;
    and the value range drawn."""
    lo = min(c.lo for c in columns)
    hi = max(c.hi for c in columns)
    chosen = [columns[i] for i in picked(len(columns), width)]
    cell_w = max(width // len(chosen), 1)
    bins = 2 * rows
    grid = np.stack([rebin(c, lo, hi, bins) for c in chosen], axis=1)  # bins x columns
    peak = grid.max(axis=0, keepdims=True)
    scaled = np.divide(grid, peak, out=np.zeros_like(grid), where=peak > 0)
    lines = []
    for r in range(rows):
        upper, lower = scaled[bins - 1 - 2 * r], scaled[bins - 2 - 2 * r]
        line = Text()
        run_text, run_style = "", None  # equal cells as one span: one colour code a run
        for u, d in zip(upper, lower, strict=True):
            text, style = _cell(float(u), float(d), cell_w)
            if style == run_style:
                run_text += text
                continue
            if run_text:
                line.append(run_text, run_style)
            run_text, run_style = text, style
        if run_text:
            line.append(run_text, run_style)
        lines.append(line)
    return lines, lo, hi


def _colour(value: float) -> str | None:
    if value <= 0:
        return None
    return PALETTE[min(int(value * len(PALETTE)), len(PALETTE) - 1)]


def _cell(upper: float, lower: float, width: int) -> tuple[str, Style]:
    up, down = _colour(upper), _colour(lower)
    if up is None and down is None:
        return " " * width, Style()
    if up is None:
        return "▄" * width, Style(color=down)
    return "▀" * width, Style(color=up, bgcolor=down)


def value_label(value: float) -> str:
    """A value for the strip's margin, at most :data:`LABEL_W` - 1 characters."""
    text = f"{value:.2g}" if abs(value) < 1e4 else f"{value:.0e}"
    return text.replace("e+0", "e").replace("e-0", "e-")[: LABEL_W - 1]


def panel(name: str, columns: Sequence[HistogramColumn], width: int, rows: int) -> list[Text]:
    """One layer: its name, the strip with the value range in the margin, the epoch axis."""
    strip_w = max(width - LABEL_W, 1)
    lines, lo, hi = heat(columns, strip_w, rows)
    first, last = columns[0].x, columns[-1].x
    head = Text(name, style="bold")
    head.append(f"  kernel, {len(columns)} epoch{'s' * (len(columns) != 1)}", style="dim")
    out = [head]
    for r, line in enumerate(lines):
        label = value_label(hi) if r == 0 else value_label(lo) if r == rows - 1 else ""
        margin = Text(f"{label:>{LABEL_W - 1}} ", style="dim")
        out.append(margin + line)
    axis = f"{first:g}".ljust(strip_w // 2) + f"epoch {last:g}".rjust(strip_w - strip_w // 2)
    out.append(Text(" " * LABEL_W + axis, style="dim"))
    return [_fit(t, width) for t in out]


def _fit(text: Text, width: int) -> Text:
    text = text.copy()
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


def strips(histograms: dict[str, list[HistogramColumn]], width: int, height: int) -> Text:
    """Every layer's panel, side by side as many as fit :data:`MIN_PANEL` wide, in as many
    rows of panels as fit ``height`` (each strip at least 2 rows); the rest counted."""
    layers = [(name, cols) for name, cols in histograms.items() if cols]
    per_row = max(1, min(len(layers), (width + 1) // (MIN_PANEL + 1)))
    panel_w = (width - (per_row - 1)) // per_row
    needed = math.ceil(len(layers) / per_row)
    panel_rows, room = needed, height
    while panel_rows > 1 and room // panel_rows - 2 < 2:
        panel_rows -= 1
        room = height - 1  # a line says how many are left out
    strip_rows = max(2, room // panel_rows - 2)
    shown = layers[: panel_rows * per_row]
    lines: list[Text] = []
    for start in range(0, len(shown), per_row):
        group = [panel(name, cols, panel_w, strip_rows) for name, cols in
                 shown[start:start + per_row]]
        for i in range(strip_rows + 2):
            lines.append(Text(" ").join(p[i] for p in group))
    if len(shown) < len(layers):
        lines.append(Text(f"+{len(layers) - len(shown)} more layers (a taller terminal shows "
                          "them)", style="dim"))
    return Text("\n").join(lines)


class WeightStrips(Widget):
    """The heat strips of every layer's kernel (see the module's docstring)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self.histograms: dict[str, list[HistogramColumn]] = {}
        #: Why there is nothing to draw (shown instead of strips).
        self.empty = "weight histograms: waiting for the first epoch"
        #: How many times the strips were built (read by the tests: a hidden page draws none).
        self.builds = 0
        self._cache: tuple[tuple[int, int, int], Text] | None = None
        self._version = 0
        self._drawn_at = -1e9
        self._timer: Any = None
        self._painted = PaintedLines()

    def show(self, histograms: dict[str, list[HistogramColumn]], empty: str) -> None:
        """New data: redraw (the screen calls this only while the page is shown), at once
        the first time, then at most once per :data:`MIN_INTERVAL_S` (each new epoch widens
        every column: a whole repaint)."""
        self.histograms = {name: list(cols) for name, cols in histograms.items()}
        self.empty = empty
        self.set_class(not any(self.histograms.values()), "-empty")  # one line, not half
        chosen = settings_of(self).chart_min_interval
        interval = MIN_INTERVAL_S if chosen is None else chosen
        wait = self._drawn_at + interval - time.monotonic()
        if wait > 0 and self._version:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._draw)
            return
        self._draw()

    def _draw(self) -> None:
        self._timer = None
        self._version += 1
        self._drawn_at = time.monotonic()
        if not self.is_attached or not self.size.area:
            self.refresh()
            return
        text = self.render()  # built now, so only the changed cells are repainted
        key = (self.size.width, self.size.height)
        regions = self._painted.update(key, text, self.size.width)
        if regions is None or not settings_of(self).partial_repaint:
            self.refresh()
        elif regions:
            self.refresh(*regions)

    def render(self) -> RenderResult:
        key = (self.size.width, self.size.height, self._version)
        if self._cache is None or self._cache[0] != key:
            self.builds += 1
            if any(self.histograms.values()):
                text = strips(self.histograms, self.size.width, self.size.height)
            else:
                text = Text(self.empty, style="dim")
            self._cache = (key, text)
            if key[:2] != self._painted.key:
                self._painted.update(key[:2], text, self.size.width)
        return self._cache[1]


__all__ = ["PALETTE", "WeightStrips", "heat", "panel", "picked", "rebin", "strips"]
