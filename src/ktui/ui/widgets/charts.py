"""Live training charts on textual-plotext, each with its own ``plt`` (never plotext's global).

The screen feeds data in as events arrive (cheap: appends and a ``dirty`` flag) and calls
:meth:`Chart.flush` from a timer, so a chart rebuilds at most a few times per second and only
when its data changed, whatever the step rate.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ktui.core.events import EpochDone, RunStarted, StepDone

#: Step-loss points kept; beyond this, neighbouring points are averaged in pairs.
MAX_KEPT = 2000
#: Points drawn per series at most (the chart is rarely wider than this in braille dots).
MAX_DRAWN = 400

TRAIN, VAL, STEP, TRUE = "cyan+", "orange+", "gray", "gray+"


def downsample(xs: list[float], ys: list[float], limit: int = MAX_DRAWN
               ) -> tuple[list[float], list[float]]:
    """At most ``limit`` points, each the mean of a run of neighbours (keeps the trend)."""
    n = len(xs)
    if n <= limit:
        return xs, ys
    size = n / limit
    out_x, out_y = [], []
    for i in range(limit):
        lo, hi = int(i * size), max(int((i + 1) * size), int(i * size) + 1)
        out_x.append(xs[hi - 1])
        out_y.append(sum(ys[lo:hi]) / (hi - lo))
    return out_x, out_y


class Chart(PlotextPlot):
    """A chart that redraws only when :meth:`flush` finds new data."""

    title = "chart"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, classes="chart")
        self._dirty = True

    def reset(self) -> None:
        self._dirty = True

    def mark_dirty(self) -> None:
        self._dirty = True

    def flush(self) -> bool:
        """Rebuild the figure if the data changed; return whether it did."""
        if not self._dirty:
            return False
        self._dirty = False
        plt = self.plt
        plt.clear_figure()
        plt.title(self.title)
        self.draw()
        self.refresh()
        return True

    def draw(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class LossChart(Chart):
    """Train and validation loss per epoch, plus the (downsampled) step loss."""

    title = "loss"

    def reset(self) -> None:
        super().reset()
        self.step_x: list[float] = []
        self.step_y: list[float] = []
        self.epoch_x: list[float] = []
        self.train: list[float] = []
        self.val: list[tuple[float, float]] = []

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.reset()

    def add_step(self, x: float, loss: float) -> None:
        self.step_x.append(x)
        self.step_y.append(loss)
        if len(self.step_x) > MAX_KEPT:
            self.step_x, self.step_y = downsample(self.step_x, self.step_y, MAX_KEPT // 2)
        self._dirty = True

    def add_epoch(self, x: float, loss: float, val_loss: float | None) -> None:
        self.epoch_x.append(x)
        self.train.append(loss)
        if val_loss is not None:
            self.val.append((x, val_loss))
        self._dirty = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        if self.step_x:
            xs, ys = downsample(self.step_x, self.step_y)
            plt.plot(xs, ys, label="step", color=STEP, marker="braille")
        if self.train:
            plt.plot(self.epoch_x, self.train, label="train", color=TRAIN, marker="braille")
        if self.val:
            plt.plot([x for x, _ in self.val], [v for _, v in self.val], label="val",
                     color=VAL, marker="braille")
        if not (self.step_x or self.train):
            plt.title("loss: waiting for the first step")


class WeightsChart(Chart):
    """W and b against their true values for a 1-unit linear model; kernel std per layer else."""

    title = "weights"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.true_w: tuple[float, ...] = ()
        self.true_b: float | None = None
        self.x: list[float] = []
        #: label -> values, in epoch order
        self.series: dict[str, list[float]] = {}
        self.linear: bool | None = None

    def start(self, event: RunStarted) -> None:
        self.reset()
        self.true_w, self.true_b = event.true_weights, event.true_bias

    def add_epoch(self, x: float, event: EpochDone) -> None:
        layers = [w for w in event.weights if w.kernel is not None]
        if self.linear is None:
            k = layers[0].kernel if len(layers) == 1 else None
            self.linear = bool(k and k.values and len(k.values) <= 4)
            self.title = "W and b" if self.linear else "kernel std per layer"
        self.x.append(x)
        if self.linear:
            kernel = layers[0].kernel
            bias = layers[0].bias
            values = kernel.values if kernel else ()
            for i, w in enumerate(values):
                self.series.setdefault("W" if len(values) == 1 else f"W{i + 1}", []).append(w)
            if bias is not None and bias.values:
                self.series.setdefault("b", []).append(bias.values[0])
        else:
            for lw in layers:
                assert lw.kernel is not None
                self.series.setdefault(lw.layer, []).append(lw.kernel.std)
        self._dirty = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        if not self.x:
            plt.title(f"{self.title}: waiting for the first epoch")
            return
        colors = ["cyan+", "green+", "magenta+", "yellow", "blue+", "red+"]
        for i, (label, ys) in enumerate(self.series.items()):
            xs = self.x[-len(ys):]
            plt.plot(xs, ys, label=label, color=colors[i % len(colors)], marker="braille")
        if self.linear:
            # The true values as flat reference lines (plotext has no dashes; grey reads as
            # "target" beside the coloured trajectories, and the title names the values).
            for value in (*self.true_w, *(() if self.true_b is None else (self.true_b,))):
                plt.hline(value, TRUE)
            truth = ", ".join(
                [f"W{'' if len(self.true_w) == 1 else i + 1}={w:g}"
                 for i, w in enumerate(self.true_w)]
                + ([] if self.true_b is None else [f"b={self.true_b:g}"]))
            if truth:
                plt.title(f"W and b (grey: true {truth})")


class MetricChart(Chart):
    """Train (solid) and validation metrics per epoch, whatever names the trainer reports."""

    title = "metrics"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.x: list[float] = []
        self.train: dict[str, list[float]] = {}
        self.val: dict[str, list[tuple[float, float]]] = {}

    def start(self, event: RunStarted) -> None:
        self.reset()
        names = event.metric_names
        self.title = ", ".join(n.upper() if len(n) <= 4 else n for n in names) or "metrics"

    def add_epoch(self, x: float, event: EpochDone) -> None:
        self.x.append(x)
        for name, value in event.metrics.items():
            self.train.setdefault(name, []).append(value)
        for name, value in event.val_metrics.items():
            self.val.setdefault(name, []).append((x, value))
        self._dirty = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        if not self.x:
            plt.title(f"{self.title}: waiting for the first epoch")
            return
        single = len(self.train) <= 1
        for i, (name, ys) in enumerate(self.train.items()):
            label = "train" if single else name
            plt.plot(self.x[-len(ys):], ys, label=label, color=[TRAIN, "green+", "magenta+"][i % 3],
                     marker="braille")
        for i, (name, pts) in enumerate(self.val.items()):
            label = "val" if single else f"val {name}"
            plt.plot([x for x, _ in pts], [v for _, v in pts], label=label,
                     color=[VAL, "yellow", "red+"][i % 3], marker="braille")


def step_position(event: StepDone) -> float:
    """A step's x on the epoch axis: 0.5 is half-way through the first epoch."""
    spe = max(event.steps_per_epoch, 1)
    return event.global_step / spe
