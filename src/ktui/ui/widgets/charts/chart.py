"""The base of every chart: redraw only on new data, nice axes, a legend above the plot."""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from ktui.core.history import RunHistory
from ktui.ui.compared import ComparedRun
from ktui.ui.settings import settings_of
from ktui.ui.widgets.charts.ansi_lines import AnsiLines
from ktui.ui.widgets.charts.axes import (
    drawn_values,
    epoch_ticks,
    log_tick_labels,
    log_ticks,
    nice_ticks,
    tick_labels,
    with_extra_ticks,
    x_extent,
)
from ktui.ui.widgets.charts.budget import NO_BUDGET, RedrawBudget
from ktui.ui.widgets.charts.header import DASH, header_lines
from ktui.ui.widgets.charts.marks import no_color, with_marks
from ktui.ui.widgets.charts.paint import PaintedLines, keyed
from ktui.ui.widgets.charts.transform import ChartOptions, shape, window_span
from ktui.ui.widgets.lines_visual import KeyedLine, LinesVisual, SelectableLines, StripCache

#: Seconds between redraws caused by new training data (user actions redraw at once).
DATA_REDRAW_S = 1.0

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

#: The raw points behind a smoothed line: a dark shade of the line's colour (256-colour codes;
#: plotext ignores a "dim" style on the canvas), as TensorBoard fades them.
FAINT = {"cyan+": 30, "orange+": 100, "green+": 64, "blue+": 61, "gray+": 243, "orange": 94}

#: The chart options of each app session (the keys of ChartControls set them; every time-series
#: chart of the app, a past run's too, draws with them).
_SESSION_OPTIONS: weakref.WeakKeyDictionary[object, ChartOptions] = weakref.WeakKeyDictionary()


def session_options(app: object) -> ChartOptions:
    """The chart options of ``app``'s session (the defaults until a key changes them)."""
    return _SESSION_OPTIONS.get(app, ChartOptions())


def set_session_options(app: object, options: ChartOptions) -> None:
    _SESSION_OPTIONS[app] = options


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
    #: The raw points behind a smoothed line: dim, no legend entry.
    faint: bool = False
    #: A compared past run's curve (smoothed, never drawn raw behind; not the window's end).
    compared: bool = False
    #: Without colour (NO_COLOR), the character that draws it and marks its legend entry,
    #: so train and validation, W and b, stay apart in greys (set by :func:`with_marks`).
    mark: str = ""


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


class Chart(SelectableLines, PlotextPlot):
    """A chart of a :class:`RunHistory` (the screen's, see :meth:`bind`) that redraws only
    when :meth:`flush` finds new data in it."""

    title = "chart"
    #: Seconds between redraws caused by new training data.
    data_interval = DATA_REDRAW_S
    #: Whether the session's :class:`ChartOptions` apply (time series over epochs do; the
    #: learning rate has its own log scale, a fitted line is no time series), and smoothing.
    options_apply, smooths = False, True

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
        #: The last built frame (what it was built for, its lines), its rows as painted, the
        #: plot's lines as decoded and the strips of all as rendered (each reused by the next
        #: frame where a line did not change).
        self._frame: tuple[tuple[int, int, str], list[KeyedLine]] | None = None
        self._painted = PaintedLines()
        self._ansi = AnsiLines()
        self.strip_cache = StripCache()
        #: The run drawn; the chart reads its series, the screen feeds it events.
        self.history = RunHistory()
        self._seen = self.data_key()
        #: The options of the latest draw, and the points <= 0 its log view left out.
        self.drawn_options = ChartOptions()
        self.hidden_points = 0
        self._log = False

    @property
    def options(self) -> ChartOptions:
        """The session's chart options, where they apply to this chart."""
        if not self.options_apply or not self.is_attached:
            return ChartOptions()
        return session_options(self.app)

    def bind(self, history: RunHistory) -> None:
        """Draw ``history`` (a new run): redrawn at the next frame."""
        self.history = history
        self._seen = self.data_key()
        self._dirty = True

    def data_key(self) -> tuple[int, int]:
        """Two counters of the history: when the first moves (a run started), the chart
        redraws at the next frame; when the second does (new points), within
        :attr:`min_interval`. Per-epoch charts count epochs."""
        return id(self.history.started), self.history.epochs_seen

    def _take_new_data(self) -> None:
        key = self.data_key()
        if key != self._seen:
            if key[0] != self._seen[0]:
                self._dirty = True
            else:
                self._pending = True
            self._seen = key

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
                                  (f"{time_part} {which}", time_part), compared=True))
        return out

    def mark_dirty(self) -> None:
        self._dirty = True

    def draw_when_rendered(self) -> None:
        """Draw everything the history has at the next render, at the size the chart has
        then: a run's end, whose result line is about to take rows from the charts (drawing
        now, at the old size, would be drawing twice)."""
        self._take_new_data()
        self._dirty = self._pending = False
        self._frame = None
        self.refresh()

    def on_resize(self) -> None:
        """Tick counts and the legend depend on the size: :meth:`render` draws the whole
        figure for a new size, so this only asks for it when no frame of that size exists
        (Textual renders a resized widget before its Resize event is handled)."""
        if self._frame is None or self._frame[0] != self._frame_key():
            self._dirty = True

    def flush(self, now: float | None = None, budget: RedrawBudget = NO_BUDGET) -> bool:
        """Rebuild the figure if the data changed; return whether it did.

        A redraw rebuilds the whole plot in Python (plotext) and repaints the widget's whole
        region (the three charts are ~15 KB of terminal output at 120x40). New data therefore
        redraws a chart at most once per ``min_interval``, whatever the step and epoch rates,
        so a fast run costs neither CPU taken from training nor SSH bandwidth; with a
        ``budget`` (the screen's, shared by its charts), only while it has CPU time left.
        """
        now = time.monotonic() if now is None else now
        self._take_new_data()
        budget.spend(self.strip_cache.take_seconds())  # the compositor's, for the last one
        due = self._pending and now - self._last_draw >= self.min_interval and budget.allows()
        if not (self._dirty or due):
            return False
        started = time.thread_time()
        self._redraw(now)
        self._repaint()
        budget.spend(time.thread_time() - started)
        return True

    def _redraw(self, now: float) -> None:
        """Draw the whole figure again, with every point the history has now."""
        self._dirty = self._pending = False
        self._last_draw = now
        self.plt.clear_figure()
        self.draw()

    @property
    def last_draw(self) -> float:
        """The monotonic time of the latest redraw (the screen offers its budget to the
        chart that waited longest first)."""
        return self._last_draw

    def _repaint(self) -> None:
        """Build the new frame now and refresh only its cells that changed (a new point
        moves a few cells), or none when no cell moved (see :mod:`.paint`)."""
        if not self.is_attached or not self.size.area:
            self.refresh()
            return
        key = self._frame_key()
        lines = self._build_frame()
        self._frame = (key, lines)
        regions = self._painted.update_lines(key, lines, self.size.width)
        if regions is None or not settings_of(self).partial_repaint:
            self.refresh()
        elif regions:
            self.refresh(*regions)

    # ---- drawing ----------------------------------------------------------------------------
    def draw(self) -> None:
        """The figure from :meth:`lines` and :meth:`heading`."""
        options = self.options
        self.drawn_options = options
        self._log = options.log_y
        lines, span = self._shaped([s for s in self.lines() if s.xs], options)
        if no_color(self):  # greys by brightness only: a mark per series, not a colour
            lines = with_marks(lines)
        width, height = max(self.size.width, 20), max(self.size.height, 6)
        legend = [s for s in lines if s.label]
        tags = (options.tag(self.hidden_points), options.tag(self.hidden_points, compact=True))
        self.header = self._header(self.heading(), legend, self.note(), width, height, tags)
        with_xlabel = height - len(self.header) >= 13
        rows = max(height - len(self.header) - 3 - with_xlabel, 1)
        self._axes(lines, rows, width, with_xlabel, span)
        # references under the raw points under the curves
        for s in sorted(lines, key=lambda s: (not s.dashed, not s.faint)):
            marker = DASH if s.dashed else (
                s.mark or ("dot" if len(s.xs) == 1 else "braille"))
            self.plt.plot(s.xs, s.ys, color=s.color, marker=marker,
                          style="dim" if s.dashed else None)

    def _shaped(self, lines: list[Series], options: ChartOptions
                ) -> tuple[list[Series], tuple[int, int] | None]:
        """``lines`` as the options draw them: smoothed (the raw points dim behind, for
        the live run's curves), cut to the window, on a log10 scale."""
        self.hidden_points = 0
        if options == ChartOptions():
            return lines, None
        own = [x for s in lines if not s.compared and not s.dashed for x in s.xs]
        span = window_span(max(own) if own else None, options.window)
        out: list[Series] = []
        for s in lines:
            shaped = shape(s.xs, s.ys, options, span, smooth=self.smooths and not s.dashed)
            if not s.compared:
                self.hidden_points += shaped.hidden
            if shaped.smooth is None:
                out.append(replace(s, xs=shaped.raw[0], ys=shaped.raw[1]))
                continue
            if not s.compared:
                out.append(replace(s, xs=shaped.raw[0], ys=shaped.raw[1], label=None,
                                   short=(), faint=True,
                                   color=FAINT.get(str(s.color), 240)))
            out.append(replace(s, xs=shaped.smooth[0], ys=shaped.smooth[1]))
        return [s for s in out if s.xs], span

    def lines(self) -> list[Series]:  # pragma: no cover - overridden
        raise NotImplementedError

    def heading(self) -> str:
        return self.title

    def note(self) -> str:
        """A dim remark after the legend: compared runs left out, which chart this is."""
        n = self.hidden_compared
        parts = (f"{n} hidden: other dataset" if n else "", getattr(self, "position", ""))
        return " · ".join(p for p in parts if p)

    def extra_yticks(self) -> tuple[float, ...]:
        """Values that must be labelled on the y axis (the W/b chart's true values)."""
        return ()

    def _axes(self, lines: list[Series], rows: int, width: int, with_xlabel: bool,
              span: tuple[int, int] | None = None) -> None:
        plt = self.plt
        if with_xlabel:
            plt.xlabel("epoch")
        xs = [x for s in lines for x in s.xs]
        extra = drawn_values(self.extra_yticks(), self._log)
        ys = [y for s in lines for y in s.ys] + list(extra)
        x_lo = min(0, math.floor(min(xs))) if xs else 0
        # The planned span while the run goes on; an ended run's axis fits its data (an
        # early stop at epoch 3 of 10 is not drawn as 70 % of empty axis).
        planned = self.history.epochs if self.history.result is None else 0
        x_hi = x_extent(math.ceil(max(xs)) if xs else 1, planned, x_lo)
        if span is not None:  # a window of the last N epochs: the axis is the window
            x_lo, x_hi = span
        y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        yt = self.y_ticks(y_lo, y_hi, max(2, min(7, rows // 2 + 2)))
        yt = with_extra_ticks(yt, extra, rows)
        y_labels = self.y_labels(yt)
        cols = max(width - max(len(label) for label in y_labels) - 2, 4)
        xt = epoch_ticks(x_lo, x_hi, max(2, min(11, cols // 7)))
        x_labels = [str(int(t)) for t in xt]
        plt.xlim(xt[0], xt[-1])
        plt.ylim(min(yt), max(yt))
        plt.xticks(xt, x_labels)
        plt.yticks(yt, y_labels)
        self.frame = Frame(rows, cols, (xt[0], xt[-1]), (min(yt), max(yt)), tuple(y_labels),
                           tuple(x_labels))

    def y_ticks(self, lo: float, hi: float, count: int) -> list[float]:
        """At most ``count`` y ticks covering ``[lo, hi]`` (a log chart has its own)."""
        return log_ticks(lo, hi, count) if self._log else nice_ticks(lo, hi, count)

    def y_labels(self, ticks: list[float]) -> list[str]:
        """The y ticks' labels (a log view's: the values, ``1e10``, not their logs)."""
        return log_tick_labels(ticks) if self._log else tick_labels(ticks)

    @staticmethod
    def _header(title: str, legend: list[Series], note: str, width: int,
                height: int, tags: tuple[str, str] = ("", "")) -> list[Text]:
        """The header line(s): see :func:`ktui.ui.widgets.charts.header.header_lines`."""
        return header_lines(title, legend, note, width, height, tags)

    def _frame_key(self) -> tuple[int, int, str]:
        return self.size.width, self.size.height, self.app.theme

    def render(self) -> RenderResult:
        """The frame :meth:`flush` built (Textual renders again for a partial refresh,
        converting only the lines not rendered before), or, for another size or theme, the
        whole figure drawn anew with the data it has now: ticks and legend fit the size, and
        nothing is left for the next frame to draw again (a resize, and the result line
        taking rows at a run's end, cost two plotext builds a chart)."""
        key = self._frame_key()
        if self._frame is None or self._frame[0] != key:
            started = time.thread_time()
            self._take_new_data()
            self._redraw(time.monotonic())
            self._frame = (key, self._build_frame())
            self._painted.update_lines(key, self._frame[1], self.size.width)
            self.strip_cache.seconds += time.thread_time() - started  # the budget counts it
        return LinesVisual(self._frame[1], self.strip_cache, self.app)

    def _build_frame(self) -> list[KeyedLine]:
        """The header line(s) above the plotext figure, which gets the rest of the height.

        Mirrors ``PlotextPlot.render`` (textual-plotext 1.0.1, pinned), with the figure's
        height reduced by the header's, and its ANSI decoded line by line (:class:`AnsiLines`).
        """
        width, height = self.size.width, self.size.height
        header = self.header[: max(height - 4, 0)]
        plot_height = max(height - len(header), 1)
        self._plot.plotsize(width, plot_height)
        self._plot._set_size(width, plot_height)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        body = self._ansi.decode(self._plot.build())
        return [*keyed(header), *body]
