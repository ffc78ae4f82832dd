"""Every trial's curve of the sweep's metric by epoch, overlaid: the best trial on top, the
running ones bright, the completed ones plain, the pruned and failed ones dim. Without colour
(``NO_COLOR``) each kind has its own mark (:func:`~ktui.ui.widgets.charts.marks.with_marks`
marks a chart's labelled series in order), and the legend lists each kind once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from ktui.core.history import RunHistory, finite
from ktui.core.sweep.board import Board, TrialRow
from ktui.ui.widgets.charts.chart import Chart, Series
from ktui.ui.widgets.charts.header import header_lines

#: Each kind of trial: its colour and legend label, in drawing order (the last on top).
KINDS = (("failed", 238, "failed"), ("pruned", 240, "pruned"),
         ("complete", "blue+", "complete"), ("running", "cyan+", "running"),
         ("best", "green+", "best"))
_KIND_OF = {"diverged": "failed", "failed": "failed", "pruned": "pruned",
            "complete": "complete", "running": "running", "waiting": "running"}


def kind_of(row: TrialRow) -> str:
    return "best" if row.rank == 1 else _KIND_OF.get(row.state, "failed")


class SweepChart(Chart):
    """The board's curves; redrawn when one of them changed."""

    title = "every trial"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        self._version = 0  # before the base's __init__, which reads data_key
        self._curves: tuple[Any, ...] = ()
        self.board: Board | None = None
        super().__init__(id=id)

    def show(self, board: Board) -> None:
        """Draw ``board`` at the next :meth:`flush` if a curve or a trial's kind changed."""
        curves = tuple((r.number, kind_of(r), r.curve) for r in board.rows)
        self.board = board
        if curves == self._curves and self.history.epochs == board.epochs:
            return
        self._curves = curves
        if self.history.epochs != board.epochs:
            self.history = RunHistory(epochs=board.epochs)
        self._version += 1

    def data_key(self) -> tuple[int, int]:
        return self._version, 0

    def heading(self) -> str:
        if self.board is None:
            return "reading the study…"
        if not any(r.curve for r in self.board.rows):
            return f"{self.board.metric}: no epoch reported yet"
        return f"{self.board.metric} by epoch, every trial"

    def lines(self) -> list[Series]:
        if self.board is None:
            return []
        out = []
        for kind, color, label in KINDS:
            for row in self.board.rows:
                if kind_of(row) == kind and row.curve:
                    xs, ys = finite([float(e) for e, _ in row.curve],
                                    [v for _, v in row.curve])
                    out.append(Series(xs, ys, color, label))
        return out

    @staticmethod
    def _header(title: str, legend: Sequence[Series], note: str, width: int, height: int,
                tags: tuple[str, str] = ("", "")) -> list[Text]:
        """The legend names each kind once (a series per trial shares its kind's label)."""
        once = list({s.label: s for s in legend}.values())
        return header_lines(title, once, note, width, height, tags)
