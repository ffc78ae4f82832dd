"""Two lines over the sweep view: the study and its counts by state, the best so far."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ktui.core.sweep.board import Board
from ktui.core.text import clean


class SweepSummary(Static):
    """``sweep lr-test · 5 of 8 trials: 3 complete, 1 pruned, 1 running`` and the best."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(Text("reading the study…", style="dim"), id=id)
        self.text = Text()

    def show(self, board: Board, stopped: str = "") -> None:
        text = Text()
        text.append(f"sweep {clean(board.study)}", style="bold")
        text.append(f" · {board.counts_text()}")
        if stopped:
            text.append(f" · {stopped}", style="bold yellow")
        text.append("\n")
        best = board.best
        text.append(board.best_text(), style="bold green" if best else "dim")
        self.text = text
        self.update(text)
