"""plotext's figure as lines of rich Text, decoding only the lines that changed.

plotext draws a figure as one string of ANSI escapes (a colour change per run of cells), and
``Text.from_ansi`` parses all of it at every redraw: a third of a chart's redraw at 120×40.
A new point changes a few rows; :class:`AnsiLines` keeps the lines it decoded last, keyed by
the ANSI source and the style the line starts in (rich's decoder carries a style from line
to line), and decodes only the others. The result is ``Text.from_ansi``'s, split into lines
(``tests/tui/test_lines_visual.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Text


class AnsiLines:
    """Decode successive figures, reusing the lines the last one had."""

    def __init__(self) -> None:
        self._last: dict[tuple[Style, str], tuple[Text, Style]] = {}
        #: Lines decoded by the latest call (the rest were reused; read by the tests).
        self.decoded = 0

    def decode(self, ansi: str) -> list[tuple[Hashable, Text]]:
        """Each line of ``ansi`` as Text, with a key that decides its cells. The Texts are
        shared with the next call's result: read them, never change them."""
        decoder = AnsiDecoder()
        fresh: dict[tuple[Style, str], tuple[Text, Style]] = {}
        out: list[tuple[Hashable, Text]] = []
        self.decoded = 0
        for raw in ansi.split("\n"):
            key = (decoder.style, raw)
            hit = self._last.get(key) or fresh.get(key)
            if hit is None:
                hit = (decoder.decode_line(raw), decoder.style)
                self.decoded += 1
            else:
                decoder.style = hit[1]
            fresh[key] = hit
            out.append((key, hit[0]))
        self._last = fresh
        return out


__all__ = ["AnsiLines"]
