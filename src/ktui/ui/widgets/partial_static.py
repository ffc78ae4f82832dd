"""A Static that repaints only the cells its new text changed (see ``charts.paint``).

The progress lines, the confusion matrix and the gallery change a few cells at a time (a step
counter, a count, a label); Textual would repaint the whole widget for each ``update``, and
convert every line of the text again to do it (see :mod:`ktui.ui.widgets.lines_visual`).
"""

from __future__ import annotations

from typing import Any, Self

from rich.text import Text
from textual.geometry import Region
from textual.widgets import Static

from ktui.ui.settings import settings_of
from ktui.ui.widgets.charts.paint import PaintedLines, keyed_lines
from ktui.ui.widgets.lines_visual import KeyedLine, LinesVisual, SelectableLines, StripCache


class PartialStatic(SelectableLines, Static):
    """``show_text(text)`` instead of ``update``: only the changed cells are repainted (all
    of them when the settings say ``partial_repaint`` is off, or the size or theme changed);
    every other refresh (a resize, a style change) repaints the whole widget."""

    def __init__(self, content: Any = "", *, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(content, id=id, classes=classes)
        self._painted = PaintedLines()
        #: The strips of the lines shown last (a line that did not change is not converted).
        self.strip_cache = StripCache()
        #: The regions the next refresh repaints (set by :meth:`show_text` around update).
        self._regions: list[Region] | None = None

    def show_text(self, text: Text, layout: bool = False) -> None:
        """Show ``text``, repainting only what differs from the last one shown."""
        self.show_lines(keyed_lines(text), layout)

    def show_lines(self, lines: list[KeyedLine], layout: bool = False) -> None:
        """:meth:`show_text` for a text already split into lines, each with its key
        (:func:`~ktui.ui.widgets.charts.paint.signature`)."""
        if not self.is_attached:
            self.update(Text("\n").join(line for _key, line in lines), layout=layout)
            return
        if self.size.area and settings_of(self).partial_repaint:
            self._regions = self._painted.update_lines(
                (self.size, self.app.theme), lines, self.size.width,
                wraps=self.styles.text_wrap != "nowrap")
        self.update(LinesVisual(lines, self.strip_cache, self.app), layout=layout)

    def refresh(self, *regions: Region, **kwargs: Any) -> Self:
        partial, self._regions = self._regions, None
        if partial is not None and not regions and not kwargs.get("layout"):
            if not partial:
                return self  # no cell changed
            regions = tuple(partial)
        elif partial is not None:
            self._painted.forget()
        return super().refresh(*regions, **kwargs)


__all__ = ["PartialStatic"]
