"""Series told apart without colour: with ``NO_COLOR`` every colour is a grey of its
brightness, so train and validation (or W and b) need a mark of their own (issue 21, item 6).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

#: Without colour, the marks of a chart's labelled series in order: the first keeps braille
#: (the finest line), the others draw with a character of their own.
MARKS = ("braille", "•", "x", "+", "o", "*", "#")


def with_marks(lines: list[Any]) -> list[Any]:
    """``lines`` with a mark each for a screen without colour: every labelled series gets
    its own (a smoothed line's faint raw points, unlabelled, stay dim braille behind it)."""
    marks: dict[str, str] = {}
    out = []
    for s in lines:
        if s.dashed:
            out.append(s)
            continue
        key = s.label or ""
        if s.label and key not in marks:
            marks[key] = MARKS[min(len(marks), len(MARKS) - 1)]
        out.append(replace(s, mark=marks.get(key, "")))
    return out


def no_color(widget: Any) -> bool:
    """Whether ``widget``'s app draws without colour (``NO_COLOR``); False outside an app
    (a chart drawn by a test)."""
    try:
        return bool(widget.app.no_color)
    except RuntimeError:  # Textual's NoActiveAppError
        return False
