"""Live training charts on textual-plotext, each with its own ``plt`` (never plotext's global).

The screen feeds data in as events arrive (cheap: appends and a ``dirty`` flag) and calls
:meth:`Chart.flush` from a timer, so a chart rebuilds at most a few times per second and only
when its data changed, whatever the step rate.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from textual_plotext import PlotextPlot

from ktui.core.events import EpochDone, RunStarted, StepDone

#: Step-loss points kept; beyond this, neighbouring points are averaged in pairs.
MAX_KEPT = 2000
#: Seconds between redraws caused by new training data (user actions redraw at once).
DATA_REDRAW_S = 1.0
#: Points drawn per series at most (the chart is rarely wider than this in braille dots).
MAX_DRAWN = 400

TRAIN, VAL, STEP, TRUE = "cyan+", "orange+", "gray", "gray+"
#: Muted 256-colour codes for compared runs: visible, but quieter than the live run's series.
COMPARE_COLORS = (110, 139, 144)


@dataclass(frozen=True)
class ComparedRun:
    """A past run overlaid on the live charts: its short label and its per-epoch rows."""

    name: str
    label: str
    rows: tuple[dict[str, float], ...] = field(default=())

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        """``val_<key>`` per epoch when the run has it, else ``<key>`` (finite points only)."""
        for name in (f"val_{key}", key):
            xs, ys = finite([r.get("epoch", math.nan) for r in self.rows],
                            [r.get(name, math.nan) for r in self.rows])
            if xs:
                return xs, ys
        return [], []


_STAMPED = re.compile(r"\d{8}-(\d{6})-(.+)")


def short_label(run_name: str, width: int = 18) -> str:
    """A legend label for a run: ``170000 linear-gd`` for ``20260107-170000-linear-gd`` (the
    time tells apart runs of one experiment, the name the rest), else its last characters."""
    m = _STAMPED.fullmatch(run_name)
    if not m:
        return run_name if len(run_name) <= width else run_name[-width:]
    label = f"{m[1]} {m[2]}"
    return label if len(label) <= width else label[: width - 1] + "…"


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
    #: Seconds between redraws caused by new training data.
    data_interval = DATA_REDRAW_S

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, classes="chart")
        #: A change the user made (a new run, a comparison): redraw at the next frame.
        self._dirty = True
        #: New training data: redraw once :attr:`min_interval` has passed since the last one.
        self._pending = False
        self._last_draw = -math.inf
        self.min_interval = self.data_interval
        #: Past runs overlaid as dim series; kept across :meth:`reset` (a new run).
        self.compared: tuple[ComparedRun, ...] = ()

    def set_compared(self, runs: Sequence[ComparedRun]) -> None:
        runs = tuple(runs)
        if runs != self.compared:
            self.compared = runs
            self._dirty = True

    def draw_compared(self, key: str) -> None:
        """Each compared run's ``key`` curve (validation, else training), labelled by name."""
        self.drawn_compared: list[str] = []
        for i, run in enumerate(self.compared):
            xs, ys = run.curve(key)
            if xs:
                self.drawn_compared.append(run.label)
                self.plt.plot(xs, ys, label=run.label,
                              color=COMPARE_COLORS[i % len(COMPARE_COLORS)], marker="braille")

    def reset(self) -> None:
        self._dirty = True

    def mark_dirty(self) -> None:
        self._dirty = True

    def flush(self, now: float | None = None) -> bool:
        """Rebuild the figure if the data changed; return whether it did.

        A redraw rebuilds the whole plot in Python (plotext) and repaints the widget's whole
        region (the three charts are ~15 KB of terminal output at 120x40). New data therefore
        redraws a chart at most once per ``min_interval``, whatever the step and epoch rates,
        so a fast run costs neither CPU taken from training nor SSH bandwidth.
        """
        now = time.monotonic() if now is None else now
        due = self._pending and now - self._last_draw >= self.min_interval
        if not (self._dirty or due):
            return False
        self._dirty = self._pending = False
        self._last_draw = now
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
        self._pending = True

    def add_epoch(self, x: float, loss: float, val_loss: float | None) -> None:
        self.epoch_x.append(x)
        self.train.append(loss)
        if val_loss is not None:
            self.val.append((x, val_loss))
        self._pending = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        self.draw_compared("loss")
        if self.step_x:
            xs, ys = finite(*downsample(self.step_x, self.step_y))
            if xs:
                plt.plot(xs, ys, label="step", color=STEP, marker="braille")
        train_x, train_y = finite(self.epoch_x, self.train)
        if train_x:
            plt.plot(train_x, train_y, label="train", color=TRAIN, marker="braille")
        val_x, val_y = finite([x for x, _ in self.val], [v for _, v in self.val])
        if val_x:
            plt.plot(val_x, val_y, label="val", color=VAL, marker="braille")
        if not (self.step_x or self.train):
            plt.title("loss: waiting for the first step")


class WeightsChart(Chart):
    """W and b against their true values for a 1-unit linear model; kernel std per layer else."""

    #: Per-epoch data only: at a fast epoch rate, half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S

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
        self._pending = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        if not self.x:
            plt.title(f"{self.title}: waiting for the first epoch")
            return
        xs_all = [x for x in self.x if math.isfinite(x)]
        #: (first x, last x, value) of each reference line drawn (read by the tests).
        self.references: list[tuple[float, float, float]] = []
        if self.linear and xs_all:
            # The true values as flat grey reference lines across the whole x range, drawn
            # first so the trajectories stay on top. They are series from the first to the last
            # epoch rather than plt.hline, whose line plotext cuts short part way.
            lo, hi = min(xs_all), max(xs_all)
            hi = hi if hi > lo else lo + 1
            for value in (*self.true_w, *(() if self.true_b is None else (self.true_b,))):
                if math.isfinite(value):
                    plt.plot([lo, hi], [value, value], color=TRUE, marker="braille")
                    self.references.append((lo, hi, value))
        colors = ["cyan+", "green+", "magenta+", "yellow", "blue+", "red+"]
        for i, (label, ys) in enumerate(self.series.items()):
            xs, ys = finite(self.x[-len(ys):], ys)
            if xs:
                plt.plot(xs, ys, label=label, color=colors[i % len(colors)], marker="braille")
        if self.linear:
            truth = ", ".join(
                [f"W{'' if len(self.true_w) == 1 else i + 1}={w:g}"
                 for i, w in enumerate(self.true_w)]
                + ([] if self.true_b is None else [f"b={self.true_b:g}"]))
            if truth:
                plt.title(f"W and b (grey: true {truth})")


class MetricChart(Chart):
    """Train (solid) and validation metrics per epoch, whatever names the trainer reports."""

    #: Per-epoch data only: at a fast epoch rate, half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S

    title = "metrics"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.x: list[float] = []
        self.train: dict[str, list[float]] = {}
        self.val: dict[str, list[tuple[float, float]]] = {}
        if not hasattr(self, "names"):
            self.names: tuple[str, ...] = ()

    def start(self, event: RunStarted) -> None:
        self.reset()
        self.set_names(event.metric_names)

    def set_names(self, names: Sequence[str]) -> None:
        """The live run's metrics (from the spec before it starts): the title and the one
        metric compared runs are overlaid for."""
        self.names = tuple(names)
        self.title = ", ".join(n.upper() if len(n) <= 4 else n for n in names) or "metrics"
        self._dirty = True

    def add_epoch(self, x: float, event: EpochDone) -> None:
        self.x.append(x)
        for name, value in event.metrics.items():
            self.train.setdefault(name, []).append(value)
        for name, value in event.val_metrics.items():
            self.val.setdefault(name, []).append((x, value))
        self._pending = True

    def draw(self) -> None:
        plt = self.plt
        plt.xlabel("epoch")
        primary = (self.names or tuple(self.train) or ("",))[0]
        if primary:
            self.draw_compared(primary)
        if not self.x:
            plt.title(f"{self.title}: waiting for the first epoch")
            return
        single = len(self.train) <= 1
        for i, (name, ys) in enumerate(self.train.items()):
            label = "train" if single else name
            xs, ys = finite(self.x[-len(ys):], ys)
            if xs:
                plt.plot(xs, ys, label=label, color=[TRAIN, "green+", "magenta+"][i % 3],
                         marker="braille")
        for i, (name, pts) in enumerate(self.val.items()):
            label = "val" if single else f"val {name}"
            xs, ys = finite([x for x, _ in pts], [v for _, v in pts])
            if xs:
                plt.plot(xs, ys, label=label, color=[VAL, "yellow", "red+"][i % 3],
                         marker="braille")


def step_position(event: StepDone) -> float:
    """A step's x on the epoch axis: 0.5 is half-way through the first epoch."""
    spe = max(event.steps_per_epoch, 1)
    return event.global_step / spe
