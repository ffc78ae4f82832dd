"""Repaint only the cells of a widget that changed.

Textual repaints a refreshed widget's whole region, and a chart of braille points in colour is
~4 KB of terminal output at 120×40 whatever moved; the progress lines are ~1.2 KB a frame for
a step counter and a bar that grew by one cell. Between two frames most of it stays: the
title, the axes, the ticks, every point already drawn. :class:`PaintedLines` keeps the last
drawn lines and says which runs of cells differ, so the widget refreshes only those
(``Widget.refresh(*regions)``), and nothing when no cell moved. A line whose characters are
not one cell each (a wide character) is repainted whole.

One region per line, from its first changed cell to its last: Textual (8.2) writes a region
of a line from the left edge of the widget's part of that line up to the region's end (it
crops the strip at the end only), so two regions on a line write the start of the line twice
and a region's own start saves nothing. Measured on the learned page (``python -m
benchmarks.pages``): a gallery redraw went from 107 KB as ~110 regions to 55 KB as one a line,
less than the 62 KB of repainting the whole widget.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region

#: One cell as it compares: its character and the styles over it.
Cell = tuple[str, str]
#: Two changed runs of cells closer than this are painted as one (a region costs a cursor
#: move and its styles, ~30 bytes: more than a few unchanged cells).
MERGE_GAP = 6
_BLANK: Cell = (" ", "")


def cells_of(line: Text) -> list[Cell] | None:
    """Each cell of ``line`` with its styles, or None when a character is not one cell."""
    plain = line.plain
    if cell_len(plain) != len(plain):
        return None
    base = str(line.style) if line.style else ""
    styles = [base] * len(plain)
    for span in line.spans:
        style = str(span.style)
        for i in range(max(span.start, 0), min(span.end, len(plain))):
            styles[i] = f"{styles[i]};{style}"
    return list(zip(plain, styles, strict=True))


def changed_runs(old: Sequence[Cell], new: Sequence[Cell], gap: int = MERGE_GAP
                 ) -> list[tuple[int, int]]:
    """The ``[start, end)`` column runs where ``old`` and ``new`` differ, runs closer than
    ``gap`` merged (a shorter line's missing cells count as blanks to clear)."""
    runs: list[tuple[int, int]] = []
    start = last = -1
    for x in range(max(len(old), len(new))):
        a = old[x] if x < len(old) else _BLANK
        b = new[x] if x < len(new) else _BLANK
        if a == b:
            continue
        if start < 0:
            start = x
        elif x - last > gap:
            runs.append((start, last + 1))
            start = x
        last = x
    if start >= 0:
        runs.append((start, last + 1))
    return runs


def signature(line: Text) -> Hashable:
    """What decides a line's cells (its text, its style and its spans), cheap to compare:
    most lines of a new frame are the old ones, and this skips their cell by cell diff."""
    return (line.plain, str(line.style) if line.style else "",
            tuple((span.start, span.end, str(span.style)) for span in line.spans))


def keyed(lines: Iterable[Text]) -> list[tuple[Hashable, Text]]:
    """Each of ``lines`` with its :func:`signature`."""
    return [(signature(line), line) for line in lines]


def keyed_lines(text: Text) -> list[tuple[Hashable, Text]]:
    """``text``'s lines, each with its :func:`signature`."""
    return keyed(text.split("\n", allow_blank=True))


@dataclass
class PaintedLines:
    """The lines drawn last and what they were drawn for (size, theme: see :meth:`update`)."""

    key: Hashable = None
    #: Each line drawn last, as its :func:`signature` and the line itself.
    lines: list[tuple[Hashable, Text]] = field(default_factory=list)

    def update(self, key: Hashable, text: Text, width: int, wraps: bool = False
               ) -> list[Region] | None:
        """Take the newly drawn ``text``; the regions (in the widget's content) that differ
        from the last draw, or None when everything must be painted (a first draw, another
        size or theme, another number of lines, a line that ``wraps`` past ``width``)."""
        return self.update_lines(key, keyed_lines(text), width, wraps)

    def update_lines(self, key: Hashable, lines: list[tuple[Hashable, Text]], width: int,
                     wraps: bool = False) -> list[Region] | None:
        """:meth:`update` for a text already split into lines, each with a key that decides
        its cells (its :func:`signature`, or the ANSI source it was decoded from)."""
        old, self.lines = self.lines, lines
        if key != self.key or len(lines) != len(old):
            self.key = key
            return None
        if wraps and any(line.cell_len > width for _key, line in lines):
            return None  # a line wraps: lines are not rows, repaint it all
        regions = []
        for y, ((was, before), (now, after)) in enumerate(zip(old, lines, strict=True)):
            if was == now:  # the same cells: nothing to compare cell by cell
                continue
            cells_before, cells_after = cells_of(before), cells_of(after)
            if cells_before is None or cells_after is None:  # wide characters: the whole row
                regions.append(Region(0, y, width, 1))
                continue
            runs = changed_runs(cells_before, cells_after)
            if runs:  # one region a line (see the module's docstring)
                start, end = runs[0][0], runs[-1][1]
                if max(len(cells_before), len(cells_after)) > width:
                    start = min(start, width - 1)  # cut to the width: its last cell ("…")
                regions.append(Region(start, y, end - start, 1))
        return regions

    def forget(self) -> None:
        """The next update paints everything (the widget was repainted some other way)."""
        self.key, self.lines = None, []


__all__ = ["MERGE_GAP", "Cell", "PaintedLines", "cells_of", "changed_runs", "keyed",
           "keyed_lines", "signature"]
