"""The metrics chart: train and validation metrics per epoch."""

from __future__ import annotations

from collections.abc import Sequence

from ktui.core.history import finite
from ktui.ui.widgets.charts.chart import DATA_REDRAW_S, TRAIN, VAL, Chart, Series


class MetricChart(Chart):
    """Train (solid) and validation metrics per epoch, whatever names the trainer reports."""

    #: Per-epoch data only: at a fast epoch rate, half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S
    #: Smoothing, log y and the window of epochs apply (see ChartControls).
    options_apply = True

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        #: The metrics of the spec, shown until the run says its own.
        self.names: tuple[str, ...] = ()

    def set_names(self, names: Sequence[str]) -> None:
        """The experiment's metrics before its run starts (from the spec)."""
        self.names = tuple(names)
        self._dirty = True

    def metric_names(self) -> tuple[str, ...]:
        """The run's metrics once it started, else the spec's: the title, and the one metric
        compared runs are overlaid for."""
        h = self.history
        return h.metric_names if h.started is not None else self.names

    @property
    def title(self) -> str:  # type: ignore[override]
        return ", ".join(n.upper() if len(n) <= 4 else n for n in self.metric_names()) \
            or "metrics"

    def heading(self) -> str:
        return self.title if self.history.epoch_x else f"{self.title}: waiting for the first epoch"

    def lines(self) -> list[Series]:
        h = self.history
        primary = (self.metric_names() or tuple(h.train_metrics) or ("",))[0]
        out = self.compared_series(primary) if primary else []
        single = len(h.train_metrics) <= 1
        for i, (name, ys) in enumerate(h.train_metrics.items()):
            xs, ys = finite(h.epoch_x[-len(ys):], ys)
            out.append(Series(xs, ys, [TRAIN, "green+", "blue+"][i % 3],
                              "train" if single else name))
        for i, (name, pts) in enumerate(h.val_metric_points.items()):
            xs, ys = finite([x for x, _ in pts], [v for _, v in pts])
            out.append(Series(xs, ys, [VAL, "orange", "gray+"][i % 3],
                              "val" if single else f"val {name}"))
        return out
