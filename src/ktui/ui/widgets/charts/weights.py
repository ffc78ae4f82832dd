"""The weights chart: W and b against their true values, or kernel std per layer."""

from __future__ import annotations

from ktui.core.history import finite
from ktui.ui.widgets.charts.chart import DATA_REDRAW_S, SERIES_COLORS, Chart, Series


class WeightsChart(Chart):
    """W and b against their true values for a W-and-b model; kernel std per layer else.

    Which one is the history's ``wb_model``, decided by the trainer from the model. For a
    W-and-b model the title gives the current values and the targets (``W 3.268 → 3  b 1.806
    → 2``), the curves start at epoch 0 (the initial weights, when the run sent them), the
    true values are dashed lines in a dimmer shade of their series' colour, and the y axis
    labels them.
    """

    #: Per-epoch data only: at a fast epoch rate, half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S
    #: Log y and the window of epochs apply (see ChartControls); smoothing does not: the
    #: title prints W and b as they are, and a smoothed curve would bend away from them.
    options_apply = True
    smooths = False

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        #: (first x, last x, value) of each reference line drawn (read by the tests).
        self.references: list[tuple[float, float, float]] = []

    @property
    def title(self) -> str:  # type: ignore[override]
        if not self.history.weight_labels():
            return "weights"
        return "W and b" if self.history.wb_model else "kernel std per layer"

    def _curve(self, label: str) -> tuple[list[float], list[float]]:
        return finite(*self.history.weight_curve(label))

    def heading(self) -> str:
        h = self.history
        if not (h.epoch_x or h.initial_weights):
            return f"{self.title}: waiting for the first epoch"
        if not h.wb_model:
            return self.title
        truth = h.true_values()
        parts = []
        for label in h.weight_labels():
            _, ys = self._curve(label)
            if ys:
                target = f" → {truth[label]:g}" if label in truth else ""
                parts.append(f"{label} {ys[-1]:.3f}{target}")
        return "  ".join(parts) or self.title

    def extra_yticks(self) -> tuple[float, ...]:
        return tuple(self.history.true_values().values())

    def lines(self) -> list[Series]:
        self.references = []
        curves = {label: self._curve(label) for label in self.history.weight_labels()}
        xs_all = [x for xs, _ in curves.values() for x in xs]
        truth = self.history.true_values()
        out: list[Series] = []
        if xs_all and truth:
            # Drawn first, so the trajectories stay on top; series from the first to the last
            # x rather than plt.hline, whose line plotext cuts short part way.
            lo, hi = min(xs_all), max(xs_all)
            hi = hi if hi > lo else lo + 1
            several = len(truth) > 2
            for i, (label, value) in enumerate(truth.items()):
                entry = None if several and i else ("true values" if several else f"true {label}")
                out.append(Series([lo, hi], [value, value],
                                  SERIES_COLORS[i % len(SERIES_COLORS)], entry, ("true",),
                                  dashed=True))
                self.references.append((lo, hi, value))
        for i, (label, (xs, ys)) in enumerate(curves.items()):
            out.append(Series(xs, ys, SERIES_COLORS[i % len(SERIES_COLORS)], label))
        if truth and len(truth) <= 2:  # legend order: W, true W, b, true b
            ref, live = out[: len(truth)], out[len(truth):]
            out = [s for pair in zip(live, ref, strict=False) for s in pair] \
                + live[len(ref):]
        return out
