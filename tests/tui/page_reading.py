"""Reading what the training view's pages show, as a user would: the confusion matrix's
counts as drawn, the gallery's pictures, the gradients chart's series."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ktui.ui.widgets.insight.confusion import ConfusionView
from ktui.ui.widgets.insight.gallery import GalleryView
from ktui.ui.widgets.lines_visual import LinesVisual


def drawn_text(widget: Any) -> Text:
    content = widget.content
    if isinstance(content, LinesVisual):  # a PartialStatic's, shown line by line
        content = content.text
    assert isinstance(content, Text), f"{type(widget).__name__} shows {type(content).__name__}"
    return content


def drawn_counts(view: ConfusionView, classes: int) -> list[list[int]]:
    """The matrix's cells as drawn (a dot is 0), row by row, read back from the text."""
    rows = []
    for line in drawn_text(view).plain.splitlines()[2:]:  # the title, the column numbers
        words = line.split()
        if not words or not words[0].isdigit() or int(words[0]) != len(rows):
            continue
        scored = words[-1].endswith("%") or words[-1] == "-"
        cells = words[-2 - classes:-2] if scored else words[-classes:]
        rows.append([0 if c == "·" else int(c) for c in cells])
    assert len(rows) == classes, f"read {len(rows)} rows of {classes}"
    return rows


def picture_colours(view: GalleryView) -> set[Any]:
    """The background colours of the gallery's pixels (two pixels a cell, one a background)."""
    text = drawn_text(view)
    return {span.style.bgcolor for span in text.spans
            if not isinstance(span.style, str) and span.style.bgcolor is not None}
