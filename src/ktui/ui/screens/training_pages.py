"""The training view's pages: ``charts`` (loss, W/b, metric: the first), ``learned`` (what the
model learned: the fitted line, or the confusion matrix and the prediction gallery) and
``gradients`` (gradient norm per layer, the weights' heat strips); ``v`` cycles them.

The pages are children of a :class:`ContentSwitcher`; the title line names them with the
current one highlighted (:class:`PageTabs`). A hidden page draws nothing: its charts are not
flushed and its pictures not rebuilt (a gallery frame is ~35 KB of terminal output), and the
page drawn when it is shown again is the data's latest. Everything a page draws comes from the
screen's :class:`RunHistory` (its ``insight``), so a past run's pages are its replayed events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from ktui.core.history import RunHistory
from ktui.core.spec import ExperimentSpec
from ktui.ui.widgets.charts.chart import Chart
from ktui.ui.widgets.charts.fitted import FittedChart
from ktui.ui.widgets.charts.gradients import GradientsChart
from ktui.ui.widgets.insight import ConfusionView, GalleryView
from ktui.ui.widgets.insight.strips import WeightStrips

#: The pages, in the order ``v`` shows them (the first is shown on opening).
PAGES = ("charts", "learned", "gradients")
#: The palette's entries for the pages, found by what each shows ("confusion", "gallery").
PAGE_COMMANDS = (
    ("Charts page: loss, W and b, metric", "The live curves (v cycles the pages)",
     "show_page('charts')"),
    ("Learned page: confusion matrix, prediction gallery, fitted line",
     "What the model learned, on the fixed validation sample", "show_page('learned')"),
    ("Gradients page: gradient norms, weight histograms",
     "Do gradients reach every layer? Each kernel's histogram per epoch",
     "show_page('gradients')"),
)
#: The learned page of a classifier shows the confusion matrix and the gallery together from
#: this many rows; below, one at a time (``c`` shows the other).
BOTH_ROWS = 30


class PageTabs(Static):
    """``[charts]· learned · gradients`` at the right of the title line, the current page
    highlighted and in brackets; a page with a warning (a layer no gradient reaches)
    carries a ``⚠``."""

    def show(self, current: str, warn: frozenset[str] = frozenset()) -> None:
        text = Text(no_wrap=True)
        for i, page in enumerate(PAGES):
            if i:
                text.append("·", style="dim")
            label = f" {page} ⚠ " if page in warn else f" {page} "
            if page == current:  # brackets too: reverse video alone is lost without colour
                text.append(f"[{label[1:-1]}]", style="bold reverse")
            else:
                text.append(label, style="bold yellow" if page in warn else "dim")
        text.append(" v", style="dim")
        self.update(text)


class InsightPage(Container):
    """A page after the charts page; its charts start hidden, as the page does."""

    def on_mount(self) -> None:
        for chart in self.query(Chart):
            chart.display = False


class LearnedPage(InsightPage):
    """What the model learned: for regression the data and the model's line (or predicted vs
    true), for classification the confusion matrix and the prediction gallery."""

    def __init__(self, task: str, classes: int = 0, *,
                 id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.run_task = task
        #: The classes the spec names (0: known only from the data), for the matrix's height.
        self.class_count = classes
        #: Whether the page shows one picture at a time (a short terminal), and which.
        self.one_at_a_time = False
        self.index = 0

    @property
    def classifies(self) -> bool:
        return self.run_task == "classification"

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Both pictures when :data:`BOTH_ROWS` rows fit them, else one (``c`` the other)."""
        views = list(self.query_children("#confusion, #gallery"))
        if not self.classifies or len(views) < 2 or not self.size.height:
            return
        self.one_at_a_time = self.size.height < BOTH_ROWS
        for i, view in enumerate(views):
            view.display = not self.one_at_a_time or i == self.index % len(views)

    def cycle(self) -> None:
        self.index += 1
        self.fit()

    def compose(self) -> ComposeResult:
        if self.classifies:
            self.add_class("-classes")
            yield ConfusionView(classes=self.class_count, id="confusion")
            yield GalleryView(id="gallery")
        else:
            yield FittedChart(id="fitted-chart")


class GradientsPage(InsightPage):
    """Do gradients reach every layer, and how do the weights spread: the gradient norm per
    layer per step window above each layer's kernel histogram over the epochs."""

    def compose(self) -> ComposeResult:
        yield GradientsChart(id="gradients-chart")
        yield WeightStrips(id="weight-strips")


W = TypeVar("W", bound=Widget)


class TrainingPages(Screen[None]):
    """The training view's page switcher: keys, what a page shows, what is drawn (mixed into
    :class:`ktui.ui.screens.training.TrainingScreen`)."""

    BINDINGS = [
        Binding("v", "cycle_page", "Page", id="cycle_page"),
        # Not in the footer (full at 80 columns): the gallery's title says "m: order".
        Binding("m", "gallery_mode", "Gallery", id="gallery_mode", show=False),
    ]

    view: RunHistory
    spec: ExperimentSpec
    #: The screen's redraw (TrainingScreen.flush).
    flush: Callable[[], None]
    #: What each picture last showed: (history, counters) (a new run or new data redraws).
    _page_keys: dict[str, tuple[int, ...]]

    # ---- pages -------------------------------------------------------------------------
    @property
    def page(self) -> str:
        """The page shown (``charts`` before the switcher is mounted).

        Read a few times a frame: the switcher is looked up once, not queried each time (a
        query walks the whole screen: it was ~40 % of a frame's flush, measured with
        cProfile on 2 000 flushes)."""
        switcher: ContentSwitcher | None = getattr(self, "_switcher", None)
        if switcher is None or not switcher.is_attached:
            switchers = self.query(ContentSwitcher)
            if not switchers:
                return PAGES[0]
            switcher = self._switcher = switchers.first()
        return switcher.current or PAGES[0]

    def charts(self) -> list[Chart]:
        """Every chart of the view, found once (a frame asks 4 times a second, and a query
        walks the whole screen)."""
        charts: list[Chart] | None = getattr(self, "_charts", None)
        if not charts or not charts[0].is_attached:
            charts = self._charts = list(self.query(Chart))
        return charts

    def one(self, kind: type[W]) -> W:
        """The view's one widget of ``kind``, found once (see :meth:`charts`)."""
        found: dict[type, Any] = self.__dict__.setdefault("_found", {})
        widget = found.get(kind)
        if widget is None or not widget.is_attached:
            widget = found[kind] = self.query_one(kind)
        return widget

    def page_shows(self, widget: Widget) -> bool:
        """Whether ``widget`` is on screen: displayed, and so is every container up to the
        screen (a hidden page's widgets keep their own ``display``)."""
        node: DOMNode | None = widget
        while node is not None and node is not self:
            if not node.display:
                return False
            node = node.parent
        return True

    def page_commands(self) -> list[tuple[str, str, str]]:
        """The palette's entries for the pages (:data:`PAGE_COMMANDS`)."""
        return list(PAGE_COMMANDS)

    def action_show_page(self, name: str) -> None:
        """Go to page ``name`` (the palette's entries, found by what each page shows)."""
        if name in PAGES:
            while self.page != name:
                self.action_cycle_page()

    def action_cycle_page(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = PAGES[(PAGES.index(self.page) + 1) % len(PAGES)]
        for page in switcher.query_children(InsightPage):
            for chart in page.query(Chart):  # a chart on a hidden page is not displayed
                chart.display = page.id == switcher.current
        for chart in switcher.query(Chart):
            chart.mark_dirty()  # shown again: the latest data, at once
        self._page_keys = {}
        self.show_page_tabs()
        self.refresh_bindings()
        self.call_after_refresh(self.flush)  # once the page is laid out at its size

    def action_gallery_mode(self) -> None:
        for gallery in self.query(GalleryView):
            gallery.cycle_mode()

    def action_cycle_view(self) -> None:
        self.query_one(LearnedPage).cycle()
        self._page_keys = {}  # the picture shown now gets the latest data
        self.call_after_refresh(self.flush)

    def page_action(self, action: str) -> bool | None:
        """What the page allows of ``action``; None: not the page's to decide."""
        if action == "gallery_mode":
            return self.page == "learned" and self.spec.task == "classification"
        if action == "cycle_chart" and self.page != "charts":  # c: the learned page's other
            return self.page == "learned" and self.query_one(LearnedPage).one_at_a_time
        return None

    def show_page_tabs(self) -> None:
        warn = frozenset({"gradients"}) if self.view.insight.no_gradient() else frozenset()
        key = (PAGES.index(self.page), bool(warn))
        if getattr(self, "_tabs_key", None) != key:
            self._tabs_key = key
            self.query_one(PageTabs).show(self.page, warn)

    def flush_pages(self) -> None:
        """Give the shown page's pictures their new data (the charts are flushed with the
        others, when shown); called by the screen's flush."""
        if not hasattr(self, "_page_keys"):
            self._page_keys = {}
        insight = self.view.insight
        self.show_page_tabs()
        page = self.page
        if page == "gradients":
            self._update(self.query_one(WeightStrips), (id(insight), insight.histograms_seen),
                         self._show_strips)
        elif page == "learned" and self.spec.task == "classification":
            confusion, gallery = self.query_one(ConfusionView), self.query_one(GalleryView)
            now = self.view.state != "running"  # paused or over: the latest at once
            classes = len(insight.sample.class_names) if insight.sample is not None else 0
            self._update(confusion, (id(insight), insight.confusions_seen, classes, now),
                         lambda: confusion.show(insight.confusion.get("validation"),
                                                insight.confusion.get("test"), now, classes))
            self._update(gallery, (id(insight), insight.samples_seen, insight.predictions_seen,
                                   now),
                         lambda: gallery.show(insight.sample, insight.predictions, now))

    def _update(self, widget: Widget, key: tuple[int, ...], show: Any) -> None:
        """``show()`` when ``widget`` is on screen and ``key`` (its data) moved since."""
        name = widget.id or ""
        if self.page_shows(widget) and self._page_keys.get(name) != key:
            self._page_keys[name] = key
            show()

    def _show_strips(self) -> None:
        insight, h = self.view.insight, self.view
        if h.epochs_seen or insight.histograms:
            empty = "weight histograms: every kernel here is one value (see W and b on charts)"
        else:
            empty = "weight histograms: waiting for the first epoch"
        self.query_one(WeightStrips).show(insight.histograms, empty)


__all__ = ["PAGES", "GradientsPage", "InsightPage", "LearnedPage", "PageTabs", "TrainingPages"]
