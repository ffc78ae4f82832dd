"""The data card: what a user's file holds, under the dataset's settings in the setup view.

Rows, features or image shape and the task are the dataset's description line above it; the
card adds the classes and their counts as a small bar chart (or the target's range for
regression), what was noticed on the way (the delimiter, files ignored), or the first problem
that stops the data from being used. The core reads the card
(:meth:`ktui.core.datasets.own.OwnData.card`); a large file is read by a thread worker, and
:class:`DataCardView.Read` tells the screen when it is done.
"""

from __future__ import annotations

import copy

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from ktui.core.datasets import DatasetSpec, OwnData
from ktui.core.datasets.base import count_words
from ktui.core.datasets.card import DataCard
from ktui.core.datasets.own import set_waiting

#: Classes shown one bar each; the rest are summed on one line.
SHOWN_CLASSES = 8


class CardBody:
    """The card's lines, the bars as wide as the widget allows."""

    def __init__(self, card: DataCard) -> None:
        self.card = card

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        card = self.card
        if card.pending:
            yield Text(f"reading {card.path} in the background…", style="dim italic")
            return
        if card.problem:
            yield Text(f"⚠ {card.problem}", style="bold red")
            return
        if card.class_names:
            yield from self._bars(options.max_width)
        elif card.target_range is not None:
            yield Text(card.range_words())
        for note in card.notes:
            yield Text(note, style="dim")

    def _bars(self, width: int) -> RenderResult:
        names, counts = self.card.class_names, self.card.class_counts
        shown = list(zip(names, counts, strict=True))[:SHOWN_CLASSES]
        label = min(max(len(n) for n, _ in shown), max(6, width // 3))
        digits = max(len(count_words(c)) for _, c in shown)
        room = max(4, width - label - digits - 2)
        top = max(counts) or 1
        for name, count in shown:
            cells = max(1, round(room * count / top)) if count else 0
            name = name if len(name) <= label else name[:label - 1] + "…"
            yield Text.assemble((f"{name:<{label}} ", ""), ("█" * cells, "green"),
                                (" " * (room - cells + 1), ""),
                                (f"{count_words(count):>{digits}}", "bold"))
        if len(names) > SHOWN_CLASSES:
            rest = sum(counts[SHOWN_CLASSES:])
            yield Text(f"… {len(names) - SHOWN_CLASSES} more classes "
                       f"({count_words(rest)} samples)", style="dim")


class DataCardView(Static):
    """Shows the current dataset's card: hidden for built-in data, and while a setting is at
    fault (its field says why)."""

    class Read(Message):
        """A card was read in the background: the screen re-validates."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id)
        # Made by the thread that draws the screen, before the form asks for the task: from
        # now on, a large file is read in a worker, never on this thread.
        set_waiting(False)
        self._shown: DataCard | None = None
        #: The settings being read in the worker (one read at a time per setting).
        self._reading: str | None = None

    @property
    def card(self) -> DataCard | None:
        """The card on screen (None for built-in data)."""
        return self._shown

    def on_unmount(self) -> None:
        set_waiting(True)

    def show(self, dataset: DatasetSpec) -> bool:
        """Show ``dataset``'s card; True when it is a usable card not shown before (the
        screen may fit the experiment to it)."""
        if not isinstance(dataset, OwnData):
            self.display = False
            self._shown = None
            return False
        card = dataset.card()
        # A setting at fault (no path yet, no such file, no such column) is said under that
        # setting's field; the card speaks of the data itself.
        self.display = not card.problem or not card.problem_field
        if card.pending:
            self._read(dataset)
        new = card != self._shown
        if new:
            self.update(CardBody(card))
        self._shown = card
        return new and card.usable

    def _read(self, dataset: OwnData) -> None:
        key = repr(dataset)
        if self._reading == key:
            return
        self._reading = key
        self._read_in_worker(copy.deepcopy(dataset))

    @work(thread=True, exclusive=True, group="data-card", exit_on_error=False)
    def _read_in_worker(self, dataset: OwnData) -> None:
        dataset.read_card()
        self._reading = None
        self.post_message(self.Read())
