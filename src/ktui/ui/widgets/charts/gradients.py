"""The gradients chart: each layer's gradient global norm per step window, on a log scale.

It answers "do gradients reach my layer?": one line per layer (the legend gives its latest
norm), and a layer whose latest norm is exactly 0 is named in the title (``dense_2: no
gradient``), since a zero has no place on a log axis. Norms span decades between the first
and the last layer, hence log10 values on the y axis, labelled with the norms themselves.
"""

from __future__ import annotations

import math

from ktui.ui.widgets.charts.axes import log_tick_labels, log_ticks
from ktui.ui.widgets.charts.chart import SERIES_COLORS, Chart, Series
from ktui.ui.widgets.charts.series import downsample, drawn_limit


def norm_text(value: float | None) -> str:
    """A gradient norm as the legend writes it (``0.042``, ``3.1e-05``)."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2g}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.1e}"


class GradientsChart(Chart):
    """Gradient norm per layer per step window (log y), with the latest numbers."""

    title = "gradient norm"

    def data_key(self) -> tuple[int, int]:
        """A run starting, or a new step window's norms."""
        return id(self.history.started), self.history.insight.grads_seen

    def flagged(self) -> list[str]:
        """What the title warns of: layers with no gradient, or norms that are not finite."""
        insight = self.history.insight
        out = [f"{name}: no gradient" for name in insight.no_gradient()]
        for name in insight.grad_layers():
            latest = insight.latest_grad(name)
            if latest is not None and not math.isfinite(latest):
                out.append(f"{name}: not finite")
        return out

    def heading(self) -> str:
        insight = self.history.insight
        if not insight.grad_x:
            if self.history.steps_seen:
                return f"{self.title}: not measured in this run"
            return f"{self.title}: waiting for the first step"
        flags = self.flagged()
        head = f"{self.title} per layer (log)" if not flags else f"{self.title} (log)"
        return f"{head}  ⚠ {', '.join(flags)}" if flags else head

    def lines(self) -> list[Series]:
        insight = self.history.insight
        out = []
        for i, name in enumerate(insight.grad_layers()):
            points = [(x, math.log10(y)) for x, y in zip(insight.grad_x, insight.grad_norms[name],
                                                         strict=False)
                      if math.isfinite(y) and y > 0]
            xs, ys = downsample([x for x, _ in points], [y for _, y in points],
                                drawn_limit(self.size.width))
            latest = norm_text(insight.latest_grad(name))
            out.append(Series(xs, ys, SERIES_COLORS[i % len(SERIES_COLORS)],
                              f"{name} {latest}", (name, name[:8], name[:4])))
        return out

    def y_ticks(self, lo: float, hi: float, count: int) -> list[float]:
        return log_ticks(lo, hi, count)

    def y_labels(self, ticks: list[float]) -> list[str]:
        return log_tick_labels(ticks)


__all__ = ["GradientsChart", "norm_text"]
