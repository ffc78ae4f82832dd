"""The sweep view's table of trials: rank, trial, state, value, epoch, each parameter, a
sparkline of the metric. Rebuilt from each board, the cursor kept on the same trial; the
best trial bold, pruned and failed ones dim (words say the state too: no colour needed)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ktui.core.sweep.board import Board, TrialRow
from ktui.core.sweep.report import sparkline, value_text
from ktui.core.text import clean

#: The sparkline's width in cells (the last epochs).
SPARK = 12


def short_names(paths: tuple[str, ...]) -> list[str]:
    """Column names: each path's last part (``learning_rate``), or two parts where the
    last is shared (``layers.2.units`` beside ``layers.3.units``: ``2.units``)."""
    lasts = [p.rsplit(".", 1)[-1] for p in paths]
    return [last if lasts.count(last) == 1 else ".".join(p.split(".")[-2:])
            for p, last in zip(paths, lasts, strict=True)]


def param_cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else clean(str(value))


class TrialTable(DataTable):
    """One row per trial, ranked ones first (best first), then the others by number."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._columns: tuple[tuple[str, int], ...] = ()

    @property
    def selected(self) -> int | None:
        """The trial number under the cursor (None: no rows)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def show(self, board: Board) -> None:
        """Rows from ``board``; the columns are as wide as their widest cell, given here
        (Textual's own measure of new rows came after the first frame had cut them)."""
        labels = ("rank", "trial", "state", board.metric, "epoch",
                  *short_names(board.param_names), "curve")
        rows = [self._cells(row, board) for row in board.rows]
        widths = [max([len(label), *(r[i].cell_len for r in rows)])
                  for i, label in enumerate(labels)]
        columns = tuple(zip(labels, widths, strict=True))
        keep = self.selected
        if columns != self._columns:
            self.clear(columns=True)
            for label, width in columns:
                self.add_column(label, width=width)
            self._columns = columns
        else:
            self.clear()
        for row, cells in zip(board.rows, rows, strict=True):
            self.add_row(*cells, key=str(row.number))
        numbers = [r.number for r in board.rows]
        if keep in numbers:
            self.move_cursor(row=numbers.index(keep), animate=False)

    @staticmethod
    def _cells(row: TrialRow, board: Board) -> list[Text]:
        style = "bold" if row.rank == 1 else "dim" if row.state in (
            "pruned", "failed", "diverged") else ""
        cells = [str(row.rank or "-"), str(row.number), row.state, value_text(row.value),
                 str(row.epoch), *[param_cell(row.params.get(p)) for p in board.param_names],
                 sparkline([v for _, v in row.curve], SPARK) or "-"]
        return [Text(c, style=style) for c in cells]
