"""Render a widget's text line by line, converting only the lines not rendered before.

Textual renders a refreshed widget's content whole (Textual 8.2's widget render cache): a rich
``Text`` becomes a ``Content`` and then strips, every line of it, even when the refresh
names only the few cells that changed (see :mod:`ktui.ui.widgets.charts.paint`). For a
chart that was ~4 ms a redraw at 120×40 (``python -m benchmarks.pages`` with a thread-time
counter), most of it lines a new point had not touched: the title, the axes, the ticks.

:class:`LinesVisual` is the text as a list of lines, each with a key that decides its
cells (its ANSI source, or :func:`~ktui.ui.widgets.charts.paint.signature`), and a
:class:`StripCache` shared by the widget's successive visuals: a line whose key, width,
style, text rules and theme were rendered last time reuses that strip. A line that does not render
to exactly one strip (it wraps), a text selection, or lines aligned other than left make the
whole text render as Textual would, so the output is Textual's own either way
(``tests/tui/test_lines_visual.py`` compares the two, segment by segment).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.visual import RenderOptions, Visual

if TYPE_CHECKING:
    from textual.app import App
    from textual.css.styles import RulesMap
    from textual.selection import Selection
    from textual.style import Style

#: One line of a text and what decides its cells.
KeyedLine = tuple[Hashable, Text]


@dataclass
class StripCache:
    """The strips of the lines rendered last, by (rules, line key); replaced at each render,
    so it holds one frame's lines at most."""

    strips: dict[Hashable, Strip] = field(default_factory=dict)
    #: Lines converted by the latest render (the rest were reused; read by the tests).
    converted: int = 0
    #: CPU seconds its renders took since :meth:`take_seconds` (a chart's redraw budget
    #: counts them: the compositor renders after the chart has drawn).
    seconds: float = 0.0

    def take_seconds(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


class LinesVisual(Visual):
    """``lines`` shown as one text, rendered line by line through ``cache``."""

    def __init__(self, lines: Sequence[KeyedLine], cache: StripCache,
                 app: App | None = None) -> None:
        self.lines = list(lines)
        self.cache = cache
        #: The app: its console parses style names, its theme's ANSI colours are converted
        #: with the text (Content), so a theme change renders every line again.
        self.app = app
        self.console = app.console if app is not None else None
        self._whole: Content | None = None

    @property
    def plain(self) -> str:
        """The text without styles (as ``Content.plain``)."""
        return "\n".join(line.plain for _key, line in self.lines)

    def __str__(self) -> str:
        return self.plain

    @property
    def text(self) -> Text:
        """The lines joined into one Text."""
        return Text("\n").join(line for _key, line in self.lines)

    def whole(self) -> Content:
        """The lines as one Content: what Textual would render for the joined text."""
        if self._whole is None:
            self._whole = Content.from_rich_text(self.text, console=self.console)
        return self._whole

    def render_strips(self, width: int, height: int | None, style: Style,
                      options: RenderOptions) -> list[Strip]:
        started = time.thread_time()
        try:
            return self._render_strips(width, height, style, options)
        finally:
            self.cache.seconds += time.thread_time() - started

    def _render_strips(self, width: int, height: int | None, style: Style,
                       options: RenderOptions) -> list[Strip]:
        get = options.rules.get
        if (not width or options.selection is not None  # a selection spans lines
                or get("text_align", "left") not in ("left", "start") or get("line_pad", 0)):
            return self.whole().render_strips(width, height, style, options)
        theme = self.app.theme if self.app is not None else None
        rules = (theme, width, style, options.post_style, get("text_overflow", "fold"),
                 get("text_wrap", "wrap"))
        lines = self.lines if height is None else self.lines[:height]
        old, fresh, converted = self.cache.strips, {}, 0
        out = []
        for y, (key, line) in enumerate(lines):
            cache_key = (rules, key)
            strip = old.get(cache_key)
            if strip is None:
                strip = fresh.get(cache_key)
            if strip is None:
                strips = Content.from_rich_text(line, console=self.console).render_strips(
                    width, None, style, options)
                if len(strips) != 1:  # it wraps (or is empty): Textual's whole render
                    self.cache.strips = {}
                    return self.whole().render_strips(width, height, style, options)
                strip, converted = strips[0], converted + 1
            fresh[cache_key] = strip
            # Rendered alone, a line's cells say they are on row 0 (the offsets text
            # selection reads); the strip keeps them per row after the first call.
            out.append(strip.apply_offsets(0, y) if y else strip)
        self.cache.strips, self.cache.converted = fresh, converted
        return out

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.whole().get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.whole().get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.whole().get_height(rules, width)


class SelectableLines:
    """Mixin for a widget that renders a :class:`LinesVisual`: Textual extracts a mouse
    selection only from a Text or a Content (``Widget.get_selection``), so without this the
    progress lines (where a run's folder is copied from) and the charts would copy nothing."""

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        visual = self.render()  # type: ignore[attr-defined]  # the widget's
        if isinstance(visual, LinesVisual):
            return selection.extract(visual.plain), "\n"
        return super().get_selection(selection)  # type: ignore[misc]


__all__ = ["KeyedLine", "LinesVisual", "SelectableLines", "StripCache"]
