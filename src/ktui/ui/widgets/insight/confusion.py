"""The confusion matrix as a coloured table: counts, per-class recall and precision.

Rows are the true classes, columns the predicted ones (numbered; the row labels carry the
names, so ten classes fit 80 columns). A cell's background is the share of its row: right
answers on the diagonal in green, errors in red, so the classes a model confuses (a shirt
for a T-shirt) stand out. The test set's final matrix when there is one, else the latest
validation one. Drawn when the matrix changes, at most once per :data:`MIN_INTERVAL_S` while
the run goes on (a fast run's epochs do not each redraw it; paused or over, at once); the lines
that change are repainted alone.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ktui.core.events import Confusion
from ktui.core.insight import accuracy, class_stats
from ktui.ui.settings import settings_of
from ktui.ui.widgets.insight.pictures import cell_style, short_name
from ktui.ui.widgets.partial_static import PartialStatic

WAITING = "no confusion matrix yet: it comes after the first validation pass"
#: Row labels' width for the class names (after the class number): at least this (shorter
#: names are abbreviated), at most :data:`MAX_NAME_WIDTH` when the width has room.
NAME_WIDTH = 8
MAX_NAME_WIDTH = 16
#: The recall and precision columns.
SCORES_WIDTH = 14
#: Seconds between two redraws for new matrices while training: a new matrix changes most
#: cells (~6.5 KB at 120x40), and a short epoch brings one every frame.
MIN_INTERVAL_S = 3.0


def _fraction(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.1%}" if value < 1 else " 100%"


def confusion_table(confusion: Confusion, width: int) -> Group:
    """The matrix of ``confusion`` as a table that fits ``width`` columns (recall and
    precision beside it when they fit)."""
    m = np.asarray(confusion.matrix, np.int64)
    k = len(m)
    names = tuple(confusion.class_names) or tuple(str(i) for i in range(k))
    stats = class_stats(m, names)
    cell = max(3, len(str(int(m.max()) if m.size else 0)))
    number = len(str(k - 1)) + 1
    room = width - number - k * (cell + 1) - SCORES_WIDTH
    fit = min(MAX_NAME_WIDTH, max(NAME_WIDTH, room))
    name_width = max(len(short_name(n, fit)) for n in names)
    label_width = number + name_width
    with_scores = label_width + k * (cell + 1) + SCORES_WIDTH <= width
    table = Table(box=None, padding=(0, 0), pad_edge=False, show_edge=False,
                  header_style="dim", collapse_padding=True)
    table.add_column(Text("true╲pred"[:label_width], style="dim"), no_wrap=True,
                     width=label_width)
    for j in range(k):
        table.add_column(str(j), justify="right", width=cell + 1, no_wrap=True)
    if with_scores:
        table.add_column("recall", justify="right", width=7, no_wrap=True)
        table.add_column("prec.", justify="right", width=7, no_wrap=True)
    for i in range(k):
        support = max(int(m[i].sum()), 1)
        label = Text(f"{i:>{len(str(k - 1))}} ", style="dim")
        label.append(short_name(names[i], name_width))
        row: list[Text] = [label]
        for j in range(k):
            value = int(m[i, j])
            style = cell_style(value / support, i == j)
            row.append(Text(f" {value:>{cell}}" if value else f" {'·':>{cell}}",
                            style=style or "dim"))
        if with_scores:
            row += [Text(_fraction(stats[i].recall)), Text(_fraction(stats[i].precision))]
        table.add_row(*row)
    return Group(table)


def title(confusion: Confusion, width: int = 200) -> Text:
    where = ("test set, final" if confusion.split == "test"
             else f"validation, epoch {confusion.epoch}")
    acc = accuracy(np.asarray(confusion.matrix, np.int64))
    text = Text("confusion matrix", style="bold")
    text.append(f"  {where}")
    if acc is not None:
        text.append(f" · accuracy {acc:.1%}", style="bold")
    hint = "  rows: true, columns: predicted"
    if text.cell_len + len(hint) <= width:
        text.append(hint, style="dim")
    return text


class ConfusionView(PartialStatic):
    """The matrix of the run on screen: :meth:`show` with the latest validation and test
    matrices (either may be None)."""

    def __init__(self, *, classes: int = 0,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__("", id=id, classes="insight-confusion")
        self._shown: tuple[object, ...] | None = None
        self._data: tuple[Confusion | None, Confusion | None] = (None, None)
        self._lines = 0
        self._drawn_at = -1e9
        self._timer: Any = None
        #: The classes a matrix will have (known from the sample, before the first matrix):
        #: the view waits at the matrix's height, so nothing below moves when it comes.
        self._class_count = classes

    @property
    def matrix(self) -> Confusion | None:
        """The matrix drawn: the test set's when there is one, else the validation one."""
        validation, test = self._data
        return test if test is not None else validation

    def show(self, validation: Confusion | None, test: Confusion | None,
             now: bool = False, classes: int = 0) -> None:
        """New matrices; ``now``: draw without waiting for the interval (paused, over);
        ``classes``: how many the matrix will have, when known (0: not yet)."""
        self._data = (validation, test)
        self._class_count = classes or self._class_count
        chosen = settings_of(self).chart_min_interval
        wait = self._drawn_at + (MIN_INTERVAL_S if chosen is None else chosen) - time.monotonic()
        if wait > 0 and not now and self._shown is not None and self._shown[0] is not None:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._later)
            return
        self._draw()

    def _later(self) -> None:
        self._timer = None
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        chosen = self.matrix
        width = self.size.width or 80
        key = (None if chosen is None else (chosen.epoch, chosen.split, chosen.matrix), width,
               self._class_count)
        if key == self._shown:
            return
        self._shown, self._drawn_at = key, time.monotonic()
        if chosen is None or not chosen.matrix:
            # At the matrix's height (its title, the header, a row a class) when the class
            # count is known: the first matrix then moves nothing below it (the gallery was
            # laid out again and redrawn whole, ~45 KB at 120x40).
            padding = "\n" * (self._class_count + 1 if self._class_count else 0)
            self._show(Text(WAITING + padding, style="dim italic"))
            return
        from rich.console import Console

        # Rendered to text here (not a Table for Textual to lay out) so the repaint can be
        # limited to the cells that changed.
        console = Console(width=width, color_system="truecolor", record=False,
                          legacy_windows=False, force_terminal=True)
        lines = console.render_lines(confusion_table(chosen, width), console.options,
                                     pad=False)
        rows = []
        for line in lines:
            row = Text()
            for segment in line:
                row.append(segment.text, segment.style)
            rows.append(row)
        body = Text("\n").join(rows)
        self._show(Text("\n").join([title(chosen, width), body]))

    def _show(self, text: Text) -> None:
        """Show ``text``; laid out again when its number of lines changed (the view's height
        is its text's: the first matrix after the one-line "waiting" must grow the view, or
        only the matrix's title shows)."""
        lines = len(text.plain.split("\n"))
        self.show_text(text, layout=lines != self._lines)
        self._lines = lines


__all__ = ["WAITING", "ConfusionView", "confusion_table", "title"]
