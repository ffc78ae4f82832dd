"""What a regression model learned, drawn over its data (the picture seed 000 draws).

One feature: the validation sample as a scatter (x, target) and the model's predictions as a
line through it, sorted by x: the earliest one dim (before training: computed from the initial
W and b of a W-and-b model, else the first epoch's predictions) and the latest bright, so the
line is seen to move onto the data. Several features: predicted against true values, with
the diagonal ``y = x`` where a perfect model's points would lie.
"""

from __future__ import annotations

import math

from ktui.core.events.insight import Predictions
from ktui.core.history import finite
from ktui.ui.widgets.charts.axes import nice_ticks, tick_labels
from ktui.ui.widgets.charts.chart import Chart, Frame, Series

#: The data points, the earliest predictions (dim) and the latest ones, the diagonal.
DATA, BEFORE, NOW, DIAGONAL = "cyan+", "gray+", "orange+", "gray+"


class FittedChart(Chart):
    """The validation sample and the model's predictions for it (see the module)."""

    title = "fitted line"

    def data_key(self) -> tuple[int, int]:
        """A run starting, the sample, new predictions."""
        insight = self.history.insight
        return id(self.history.started), insight.samples_seen + insight.predictions_seen

    # ---- the data ----------------------------------------------------------------------------
    def one_feature(self) -> bool:
        sample = self.history.insight.sample
        return bool(sample and sample.features and len(sample.features[0]) == 1)

    def earliest(self) -> tuple[str, list[float]] | None:
        """The earliest picture of the model and its name: the initial weights' predictions
        for a W-and-b model (exact: ``x·W + b``), else the first predictions sent, when they
        are older than the latest."""
        h, insight = self.history, self.history.insight
        sample = insight.sample
        started = h.started
        if h.wb_model and sample and sample.features and started and started.initial_weights:
            layer = next((w for w in started.initial_weights if w.kernel is not None), None)
            kernel = layer.kernel.values if layer and layer.kernel else ()
            bias = layer.bias.values[0] if layer and layer.bias and layer.bias.values else 0.0
            if kernel and len(kernel) == len(sample.features[0]):
                name = ("before training" if started.start_epoch == 0
                        else f"epoch {started.start_epoch}")
                return name, [sum(w * v for w, v in zip(kernel, row, strict=True)) + bias
                              for row in sample.features]
        first, latest = insight.first_predictions, insight.predictions
        if first is not None and latest is not None and first.epoch != latest.epoch:
            return f"epoch {first.epoch}", list(first.predicted)
        return None

    def heading(self) -> str:
        insight = self.history.insight
        if insight.sample is None:
            if self.history.epochs_seen:
                return "fitted line: no validation sample in this run"
            return "fitted line: waiting for the validation sample"
        if not self.one_feature():
            return "predicted vs true (validation sample)"
        w, b = (self.history.weights.get(k) for k in ("W", "b"))
        if self.history.wb_model and w and b:  # the line itself: y = 3.06x + 1.94
            sign = "-" if b[-1] < 0 else "+"
            return f"the data and the model's line y = {w[-1]:.3g}x {sign} {abs(b[-1]):.3g}"
        return "the data and the model's line (validation sample)"

    def series(self) -> tuple[list[Series], list[Series]]:
        """(scatters, lines) to draw; the legend lists both."""
        insight = self.history.insight
        sample, latest = insight.sample, insight.predictions
        if sample is None:
            return [], []
        earliest = self.earliest()
        if self.one_feature():
            xs = [row[0] for row in sample.features]
            scatter = [Series(*finite(xs, sample.targets), DATA, "data")]
            lines = []
            if earliest is not None:
                lines.append(_line(xs, earliest[1], BEFORE, earliest[0], dim=True))
            if latest is not None:
                lines.append(_line(xs, latest.predicted, NOW, _epoch(latest)))
            return scatter, lines
        truth = list(sample.targets)
        scatters = []
        if earliest is not None:
            scatters.append(Series(*finite(truth, earliest[1]), BEFORE, earliest[0],
                                   dashed=True))
        if latest is not None:
            scatters.append(Series(*finite(truth, latest.predicted), NOW, _epoch(latest)))
        xs, ys = finite(truth, truth)
        lo, hi = (min(xs), max(xs)) if xs else (0.0, 0.0)
        steps = 60  # points along it, so plotext draws a thin line, not a staircase
        diagonal = [Series([lo + (hi - lo) * i / steps for i in range(steps + 1)],
                           [lo + (hi - lo) * i / steps for i in range(steps + 1)], DIAGONAL,
                           "y = x", dashed=True)] if xs else []
        return scatters, diagonal

    # ---- drawing -----------------------------------------------------------------------------
    def lines(self) -> list[Series]:
        scatters, lines = self.series()
        return scatters + lines

    def draw(self) -> None:
        """Scatters and lines on value axes (not the epoch axis of the other charts)."""
        scatters, lines = self.series()
        scatters = [s for s in scatters if s.xs]
        lines = [s for s in lines if s.xs]
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        legend = [s for s in [*scatters, *lines] if s.label]
        self.header = self._header(self.heading(), legend, self.note(), width, height)
        with_xlabel = height - len(self.header) >= 13
        rows = max(height - len(self.header) - 3 - with_xlabel, 1)
        every = [*scatters, *lines]
        self._value_axes([x for s in every for x in s.xs], [y for s in every for y in s.ys],
                         rows, width, "x" if self.one_feature() else "true value",
                         with_xlabel)
        plt = self.plt
        for s in lines:  # under the points: the data must stay visible where a line is
            plt.plot(s.xs, s.ys, color=s.color, marker="braille",
                     style="dim" if s.dashed else None)
        for s in scatters:
            plt.scatter(s.xs, s.ys, color=s.color, marker="dot" if s.color == DATA else "braille",
                        style="dim" if s.dashed else None)

    def _value_axes(self, xs: list[float], ys: list[float], rows: int, width: int, xlabel: str,
                    with_xlabel: bool) -> None:
        plt = self.plt
        if with_xlabel:
            plt.xlabel(xlabel)
        x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
        y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        yt = nice_ticks(y_lo, y_hi, max(2, min(7, rows // 2 + 2)))
        y_labels = tick_labels(yt)
        cols = max(width - max(len(label) for label in y_labels) - 2, 4)
        xt = nice_ticks(x_lo, x_hi, max(2, min(9, cols // 8)))
        x_labels = tick_labels(xt)
        plt.xlim(min(xt), max(xt))
        plt.ylim(min(yt), max(yt))
        plt.xticks(xt, x_labels)
        plt.yticks(yt, y_labels)
        self.frame = Frame(rows, cols, (min(xt), max(xt)), (min(yt), max(yt)),
                           tuple(y_labels), tuple(x_labels))


def _epoch(predictions: Predictions) -> str:
    return f"epoch {predictions.epoch}"


def _line(xs: list[float], ys: tuple[float, ...] | list[float], color: str, label: str,
          dim: bool = False) -> Series:
    """Predictions as a line through the data, sorted by x (the model's function of x)."""
    points = sorted(p for p in zip(xs, ys, strict=False)
                    if math.isfinite(p[0]) and math.isfinite(p[1]))
    return Series([x for x, _ in points], [y for _, y in points], color, label, dashed=dim)


__all__ = ["FittedChart"]
