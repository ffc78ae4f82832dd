"""The loss chart: train and validation loss per epoch, and the step loss."""

from __future__ import annotations

from ktui.ui.widgets.charts.chart import STEP, TRAIN, VAL, Chart, Series
from ktui.ui.widgets.charts.series import downsample, finite


class LossChart(Chart):
    """Train and validation loss per epoch, plus the (downsampled) step loss."""

    title = "loss"

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
            out.append(Series(*finite(*downsample(h.step_x, h.step_y)), STEP, "step"))
        out.append(Series(*finite(h.epoch_x, h.train_loss), TRAIN, "train"))
        out.append(Series(*finite([x for x, _ in h.val_loss_points],
                                  [v for _, v in h.val_loss_points]), VAL, "val"))
        return out

