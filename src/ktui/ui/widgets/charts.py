"""Live training charts on textual-plotext, each with its own ``plt`` (never plotext's global).

The screen feeds data in as events arrive (cheap: appends and a ``dirty`` flag) and calls
:meth:`Chart.flush` from a timer, so a chart rebuilds at most a few times per second and only
when its data changed, whatever the step rate.

What every chart does the same way (so each answers its question at a glance):

- The x axis is the epoch, from 0 (the weights before the first step) to the last epoch
  shown, with integer ticks: a 1-epoch run is an axis 0-1, not a dot on 0.5-1.5.
- The y ticks are computed here ("nice" steps of 1, 2, 2.5 or 5 x 10^k) and labelled
  compactly: a diverging run reads ``1e40``, never forty digits.
- The title and the legend are one line of text *above* the plot, coloured like the series,
  so the legend never covers the first points (plotext 5 draws its own legend in the top-left
  corner of the canvas, with no option to move it).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from plotext._dict import color_codes
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from ktui.core.events import EpochDone, LayerWeights, RunStarted, StepDone

#: Step-loss points kept; beyond this, neighbouring points are averaged in pairs.
MAX_KEPT = 2000
#: Seconds between redraws caused by new training data (user actions redraw at once).
DATA_REDRAW_S = 1.0
#: Points drawn per series at most (the chart is rarely wider than this in braille dots).
MAX_DRAWN = 400

# Colours are plotext names of the 16 ANSI colours, so a 16-colour terminal (TERM=xterm) shows
# them as chosen. Checked on the default theme, in 16 colours and with NO_COLOR (which turns
# them into greys by brightness): the step loss was colour 8 ("bright black", grey 94 on 28),
# and red and magenta are one dim colour there (grey 59), so neither carries a series.
# ("orange" is plotext's name for ANSI yellow: orange in Textual's theme, "orange+" yellow.)
TRAIN, VAL, STEP = "cyan+", "orange+", "gray+"
#: The W/b chart's series (and kernel std per layer); their true values are dashed lines of
#: the same colour, dimmed (ANSI "cyan" and "cyan+" are one colour in Textual's theme).
SERIES_COLORS = ("cyan+", "orange+", "green+", "blue+", "gray+", "orange")
#: Compared past runs: one colour each, none used by the live run's loss or metric curves.
COMPARE_COLORS = ("green+", "blue+", "orange")
#: The character of a dashed reference line (plotext draws any one character as a marker).
DASH = "╌"


@dataclass(frozen=True)
class ComparedRun:
    """A past run overlaid on the charts: its short label, its dataset, its per-epoch rows."""

    name: str
    label: str
    rows: tuple[dict[str, float], ...] = field(default=())
    #: ``linear`` or ``fashion_mnist`` ("" when its spec could not be read): runs of another
    #: dataset are not overlaid (their losses would only stretch the axis).
    dataset: str = ""

    def curve(self, key: str) -> tuple[list[float], list[float]]:
        """``val_<key>`` per epoch when the run has it, else ``<key>`` (finite points only)."""
        xs, ys, _ = self.curve_of(key)
        return xs, ys

    def curve_of(self, key: str) -> tuple[list[float], list[float], str]:
        """As :meth:`curve`, and which one it is: ``"val"`` or ``"train"`` ("" when none)."""
        for name, which in ((f"val_{key}", "val"), (key, "train")):
            xs, ys = finite([r.get("epoch", math.nan) for r in self.rows],
                            [r.get(name, math.nan) for r in self.rows])
            if xs:
                return xs, ys, which
        return [], [], ""


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


# ---- axes ------------------------------------------------------------------------------------

def nice_ticks(lo: float, hi: float, count: int, *, integer: bool = False) -> list[float]:
    """At most ``count`` (at least 2) evenly spaced round ticks covering ``[lo, hi]``: steps of
    1, 2, 2.5 or 5 x 10^k (no 2.5 for ``integer`` ticks, whose step is at least 1): at least
    three where they fit, then the step that wastes the least room beyond the data, then the
    one with more ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = 1.0 if lo == 0 else abs(lo) * 0.1
        lo, hi = lo - pad, hi + pad
    span = hi - lo
    if not math.isfinite(span) or span <= 0:  # e.g. -1e308 to 1e308: no room for arithmetic
        return [lo, hi]
    count = max(count, 2)
    k = math.floor(math.log10(span / (count - 1)))
    best: tuple[bool, float, int, float, int, int] | None = None
    for exp in (k - 1, k, k + 1):
        for m in ((1, 2, 5) if integer else (1, 2, 2.5, 5)):
            step = m * 10.0 ** exp
            if integer and step < 1:
                continue
            start, end = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            n = end - start + 1
            if n > count:
                continue
            waste = ((end - start) * step - span) / span
            key = (n < min(3, count), round(waste, 6), -n, step, start, end)
            if best is None or key < best:
                best = key
    if best is None or best[5] - best[4] > 50:
        return [lo, hi]
    *_, step, start, end = best
    if integer:
        step = round(step)
    return [i * step for i in range(start, end + 1)]


def epoch_ticks(lo: int, hi: int, count: int) -> list[int]:
    """Whole-epoch ticks from ``lo`` to ``hi`` (the axis ends at the last epoch, not at the
    next round number), about ``count`` of them: multiples of a nice step, and ``hi``."""
    hi = max(hi, lo + 1)
    round_ticks = nice_ticks(lo, hi, count, integer=True)
    step = max(int(round_ticks[1] - round_ticks[0]), 1)
    ticks = list(range(lo, hi + 1, step))
    if ticks[-1] != hi:
        if hi - ticks[-1] <= step / 2 and len(ticks) > 1:
            ticks[-1] = hi  # too close to the last round tick: the end replaces it
        else:
            ticks.append(hi)
    return ticks


def _sci(value: float) -> str:
    """``1e40``, ``-2.5e-7``: :.3g without the exponent's plus sign and leading zeros."""
    text = f"{value:.3g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Short labels that tell the ticks apart: as few decimals as the step needs, or
    scientific notation for huge and tiny values (never longer than ~9 characters)."""
    finite_ticks = [t for t in ticks if math.isfinite(t)]
    biggest = max((abs(t) for t in finite_ticks), default=0.0)
    if biggest >= 1e5 or 0 < biggest < 1e-3:
        return [_sci(t) for t in ticks]
    diffs = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b > a]
    step = min(diffs, default=1.0)
    for decimals in range(0, 7):
        labels = [f"{t:.{decimals}f}" for t in ticks]
        if all(abs(float(label) - t) <= step * 1e-3 for label, t in zip(labels, ticks,
                                                                          strict=True)):
            break
    return [label[1:] if label.startswith("-") and float(label) == 0 else label
            for label in labels]  # no "-0.0"


def rich_color(color: str | int) -> Style:
    """The Rich style of a plotext colour (the same ANSI colour, so legend and line match)."""
    code = color if isinstance(color, int) else color_codes.get(color.strip(), 7)
    return Style(color=Color.from_ansi(code))


@dataclass(frozen=True)
class Series:
    """One line of a chart, as drawn, and its legend entry (``label`` None: no entry)."""

    xs: list[float]
    ys: list[float]
    color: str | int
    label: str | None = None
    #: Shorter labels to try, in order, when the legend does not fit.
    short: tuple[str, ...] = ()
    dashed: bool = False


@dataclass
class Frame:
    """The plot area of the latest draw: canvas size in cells and the axes' ranges (for
    tests and for choosing how many ticks fit)."""

    rows: int = 0
    cols: int = 0
    x: tuple[float, float] = (0.0, 1.0)
    y: tuple[float, float] = (0.0, 1.0)
    yticks: tuple[str, ...] = ()
    xticks: tuple[str, ...] = ()


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
        #: Compared runs left out because they trained on another dataset.
        self.hidden_compared = 0
        #: Labels of the compared runs drawn at the latest redraw (read by the tests).
        self.drawn_compared: list[str] = []
        #: The title-and-legend line(s) above the plot, and the plot's frame.
        self.header: list[Text] = []
        self.frame = Frame()

    def set_compared(self, runs: Sequence[ComparedRun], hidden: int = 0) -> None:
        runs = tuple(runs)
        if runs != self.compared or hidden != self.hidden_compared:
            self.compared, self.hidden_compared = runs, hidden
            self._dirty = True

    def compared_series(self, key: str) -> list[Series]:
        """Each compared run's ``key`` curve (validation, else training), its label saying
        which (``093000 linear-gd val``): two runs of one experiment differ by their time."""
        self.drawn_compared = []
        out = []
        for i, run in enumerate(self.compared):
            xs, ys, which = run.curve_of(key)
            if xs:
                self.drawn_compared.append(run.label)
                time_part = run.label.split(" ", 1)[0]
                out.append(Series(xs, ys, COMPARE_COLORS[i % len(COMPARE_COLORS)],
                                  f"{run.label} {which}",
                                  (f"{run.label[:10].rstrip()} {which}",
                                   f"{time_part} {which}")))
        return out

    def reset(self) -> None:
        self._dirty = True

    def mark_dirty(self) -> None:
        self._dirty = True

    def on_resize(self) -> None:
        """Tick counts and the legend depend on the size: rebuild at the next frame."""
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
        self.plt.clear_figure()
        self.draw()
        self.refresh()
        return True

    # ---- drawing ----------------------------------------------------------------------------
    def draw(self) -> None:
        """The figure from :meth:`lines` and :meth:`heading`."""
        lines = [s for s in self.lines() if s.xs]
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        legend = [s for s in lines if s.label]
        self.header = self._header(self.heading(), legend, self.note(), width, height)
        with_xlabel = height - len(self.header) >= 13
        rows = max(height - len(self.header) - 3 - with_xlabel, 1)
        self._axes(lines, rows, width, with_xlabel)
        for s in sorted(lines, key=lambda s: not s.dashed):  # references under the curves
            marker = DASH if s.dashed else ("dot" if len(s.xs) == 1 else "braille")
            self.plt.plot(s.xs, s.ys, color=s.color, marker=marker,
                          style="dim" if s.dashed else None)

    def lines(self) -> list[Series]:  # pragma: no cover - overridden
        raise NotImplementedError

    def heading(self) -> str:
        return self.title

    def note(self) -> str:
        """A dim remark after the legend (compared runs left out, and why)."""
        n = self.hidden_compared
        return f"{n} hidden: other dataset" if n else ""

    def extra_yticks(self) -> tuple[float, ...]:
        """Values that must be labelled on the y axis (the W/b chart's true values)."""
        return ()

    def _axes(self, lines: list[Series], rows: int, width: int, with_xlabel: bool) -> None:
        plt = self.plt
        if with_xlabel:
            plt.xlabel("epoch")
        xs = [x for s in lines for x in s.xs]
        ys = [y for s in lines for y in s.ys] + list(self.extra_yticks())
        x_lo = min(0, math.floor(min(xs))) if xs else 0
        x_hi = max(math.ceil(max(xs)), x_lo + 1) if xs else 1
        y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        yt = nice_ticks(y_lo, y_hi, max(2, min(7, rows // 2 + 2)))
        yt = self._with_extra(yt, rows)
        y_labels = tick_labels(yt)
        cols = max(width - max(len(label) for label in y_labels) - 2, 4)
        xt = epoch_ticks(x_lo, x_hi, max(2, min(11, cols // 7)))
        x_labels = [str(int(t)) for t in xt]
        plt.xlim(xt[0], xt[-1])
        plt.ylim(min(yt), max(yt))
        plt.xticks(xt, x_labels)
        plt.yticks(yt, y_labels)
        self.frame = Frame(rows, cols, (xt[0], xt[-1]), (min(yt), max(yt)), tuple(y_labels),
                           tuple(x_labels))

    def _with_extra(self, ticks: list[float], rows: int) -> list[float]:
        """``ticks`` plus :meth:`extra_yticks`, dropping round ticks too close to them."""
        extra = [v for v in self.extra_yticks() if math.isfinite(v)]
        if not extra or len(ticks) < 2:
            return ticks
        lo, hi = min(ticks), max(ticks)
        near = 0.99 * (hi - lo) / max(rows - 1, 1)  # labels on distinct rows
        kept = [t for t in ticks if all(abs(t - v) >= near for v in extra)
                or t in (lo, hi)]
        return sorted({*kept, *extra})

    @staticmethod
    def _header(title: str, legend: list[Series], note: str, width: int,
                height: int) -> list[Text]:
        """The title and the legend on one line (two when it does not fit and the chart is
        tall), labels shortened and then dropped ("+2") when they still do not fit."""
        head = Text(title, style="bold")
        for variant in range(3):
            entries = _legend(legend, variant)
            if note:
                entries.append(Text(f"({note})", style="dim"))
            one = Text("  ").join([head, *entries]) if entries else head
            if one.cell_len <= width:
                return [_centred(one, width)]
            if height >= 16 and Text("  ").join(entries).cell_len <= width:
                return [_centred(head, width), _centred(Text("  ").join(entries), width)]
        entries = _legend(legend, 2)
        while entries:
            dropped = len(legend) - len(entries) + 1
            line = Text("  ").join([head, *entries[:-1], Text(f"+{dropped}", style="dim")])
            entries = entries[:-1]
            if line.cell_len <= width:
                return [_centred(line, width)]
        head.truncate(width, overflow="ellipsis")
        return [_centred(head, width)]

    def render(self) -> RenderResult:
        """The header line(s) above the plotext figure, which gets the rest of the height.

        Mirrors ``PlotextPlot.render`` (textual-plotext 1.0.1, pinned), with the figure's
        height reduced by the header's.
        """
        width, height = self.size.width, self.size.height
        header = self.header[: max(height - 4, 0)]
        plot_height = max(height - len(header), 1)
        self._plot.plotsize(width, plot_height)
        self._plot._set_size(width, plot_height)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        body = Text.from_ansi(self._plot.build())
        return Text("\n").join([*header, body]) if header else body


def _legend(legend: list[Series], variant: int) -> list[Text]:
    entries = []
    for s in legend:
        labels = (s.label or "", *s.short)
        label = labels[min(variant, len(labels) - 1)]
        style = rich_color(s.color) + Style(dim=True) if s.dashed else rich_color(s.color)
        entry = Text(DASH * 2 if s.dashed else "──", style=style)
        entry.append(f" {label}")
        entries.append(entry)
    return entries


def _centred(text: Text, width: int) -> Text:
    text = text.copy()
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis")
    text.align("center", width)
    return text


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

    def heading(self) -> str:
        return self.title if (self.step_x or self.train) else "loss: waiting for the first step"

    def lines(self) -> list[Series]:
        out = self.compared_series("loss")
        if self.step_x:
            out.append(Series(*finite(*downsample(self.step_x, self.step_y)), STEP, "step"))
        out.append(Series(*finite(self.epoch_x, self.train), TRAIN, "train"))
        out.append(Series(*finite([x for x, _ in self.val], [v for _, v in self.val]), VAL,
                          "val"))
        return out


class WeightsChart(Chart):
    """W and b against their true values for a 1-unit linear model; kernel std per layer else.

    For the linear model the title gives the current values and the targets (``W 3.268 → 3
    b 1.806 → 2``), the curves start at epoch 0 (the initial weights, when the run sent
    them), the true values are dashed lines in a dimmer shade of their series' colour, and
    the y axis labels them.
    """

    #: Per-epoch data only: at a fast epoch rate, half as often as the loss chart.
    data_interval = 2 * DATA_REDRAW_S

    title = "weights"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.title = "weights"
        self.true_w: tuple[float, ...] = ()
        self.true_b: float | None = None
        self.x: list[float] = []
        #: label -> values, in epoch order (one per EpochDone)
        self.series: dict[str, list[float]] = {}
        #: The point before the first step: its x and label -> value (empty when not sent).
        self.initial_x: float | None = None
        self.initial: dict[str, float] = {}
        self.linear: bool | None = None
        #: (first x, last x, value) of each reference line drawn (read by the tests).
        self.references: list[tuple[float, float, float]] = []

    def start(self, event: RunStarted) -> None:
        self.reset()
        self.true_w, self.true_b = event.true_weights, event.true_bias
        if event.initial_weights:
            self.initial = self._values(event.initial_weights)
            self.initial_x = float(event.start_epoch)
            self._dirty = True

    def _values(self, weights: Sequence[LayerWeights]) -> dict[str, float]:
        """label -> value of one set of weights (W, b; or the kernel std of each layer)."""
        layers = [w for w in weights if w.kernel is not None]
        if self.linear is None and layers:
            k = layers[0].kernel if len(layers) == 1 else None
            self.linear = bool(k and k.values and len(k.values) <= 4)
            self.title = "W and b" if self.linear else "kernel std per layer"
        out: dict[str, float] = {}
        if self.linear:
            kernel, bias = layers[0].kernel, layers[0].bias
            values = kernel.values if kernel else ()
            for i, w in enumerate(values):
                out["W" if len(values) == 1 else f"W{i + 1}"] = w
            if bias is not None and bias.values:
                out["b"] = bias.values[0]
        else:
            for lw in layers:
                assert lw.kernel is not None
                out[lw.layer] = lw.kernel.std
        return out

    def add_epoch(self, x: float, event: EpochDone) -> None:
        self.x.append(x)
        for label, value in self._values(event.weights).items():
            self.series.setdefault(label, []).append(value)
        self._pending = True

    def _curve(self, label: str) -> tuple[list[float], list[float]]:
        ys = self.series.get(label, [])
        xs = self.x[-len(ys):] if ys else []
        if label in self.initial and self.initial_x is not None:
            xs, ys = [self.initial_x, *xs], [self.initial[label], *ys]
        return finite(xs, ys)

    def _truth(self) -> dict[str, float]:
        """label -> true value, for the labels of the linear model's series."""
        if not self.linear:
            return {}
        n = len(self.true_w)
        truth = {("W" if n == 1 else f"W{i + 1}"): w for i, w in enumerate(self.true_w)}
        if self.true_b is not None:
            truth["b"] = self.true_b
        return {k: v for k, v in truth.items() if math.isfinite(v)}

    def labels(self) -> list[str]:
        return list(dict.fromkeys([*self.initial, *self.series]))

    def heading(self) -> str:
        if not (self.x or self.initial):
            return f"{self.title}: waiting for the first epoch"
        if not self.linear:
            return self.title
        truth = self._truth()
        parts = []
        for label in self.labels():
            _, ys = self._curve(label)
            if ys:
                target = f" → {truth[label]:g}" if label in truth else ""
                parts.append(f"{label} {ys[-1]:.3f}{target}")
        return "  ".join(parts) or self.title

    def extra_yticks(self) -> tuple[float, ...]:
        return tuple(self._truth().values())

    def lines(self) -> list[Series]:
        self.references = []
        curves = {label: self._curve(label) for label in self.labels()}
        xs_all = [x for xs, _ in curves.values() for x in xs]
        truth = self._truth()
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

    def heading(self) -> str:
        return self.title if self.x else f"{self.title}: waiting for the first epoch"

    def lines(self) -> list[Series]:
        primary = (self.names or tuple(self.train) or ("",))[0]
        out = self.compared_series(primary) if primary else []
        single = len(self.train) <= 1
        for i, (name, ys) in enumerate(self.train.items()):
            xs, ys = finite(self.x[-len(ys):], ys)
            out.append(Series(xs, ys, [TRAIN, "green+", "blue+"][i % 3],
                              "train" if single else name))
        for i, (name, pts) in enumerate(self.val.items()):
            xs, ys = finite([x for x, _ in pts], [v for _, v in pts])
            out.append(Series(xs, ys, [VAL, "orange", "gray+"][i % 3],
                              "val" if single else f"val {name}"))
        return out


def step_position(event: StepDone) -> float:
    """A step's x on the epoch axis: 0.5 is half-way through the first epoch."""
    spe = max(event.steps_per_epoch, 1)
    return event.global_step / spe
