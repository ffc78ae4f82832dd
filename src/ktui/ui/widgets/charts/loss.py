"""The loss chart: train and validation loss per epoch, and the step loss."""

from __future__ import annotations

from bisect import bisect_left

from ktui.core.history import finite
from ktui.ui.widgets.charts.chart import STEP, TRAIN, VAL, Chart, Series
from ktui.ui.widgets.charts.series import downsample, drawn_limit
from ktui.ui.widgets.charts.transform import window_span


class LossChart(Chart):
    """Train and validation loss per epoch, plus the (downsampled) step loss."""

    title = "loss"
    #: Smoothing, log y and the window of epochs apply (see ChartControls).
    options_apply = True

    def data_key(self) -> tuple[int, int]:
        """Steps and epochs are new points (a run starting changes nothing drawn)."""
        return 0, self.history.steps_seen + self.history.epochs_seen

    def heading(self) -> str:
        h = self.history
        return self.title if (h.step_x or h.train_loss) else "loss: waiting for the first step"

    def lines(self) -> list[Series]:
        h = self.history
        out = self.compared_series("loss")
        if h.step_x:
            xs, ys = self._windowed_steps()
            out.append(Series(*finite(*downsample(xs, ys, drawn_limit(self.size.width))), STEP,
                              "step"))
        out.append(Series(*finite(h.epoch_x, h.train_loss), TRAIN, "train"))
        out.append(Series(*finite([x for x, _ in h.val_loss_points],
                                  [v for _, v in h.val_loss_points]), VAL, "val"))
        return out

    def _windowed_steps(self) -> tuple[list[float], list[float]]:
        """The step loss, only the window's when the options show the last N epochs, cut
        before it is downsampled (the window keeps the resolution of its own steps)."""
        h = self.history
        ends = h.step_x[-1:] + h.epoch_x[-1:]
        span = window_span(max(ends) if ends else None, self.options.window)
        if span is None:
            return h.step_x, h.step_y
        i = bisect_left(h.step_x, span[0])
        return h.step_x[i:], h.step_y[i:]
