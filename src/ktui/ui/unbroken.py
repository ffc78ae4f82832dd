"""Numbers that a wrapped line never breaks.

The core groups thousands with a narrow no-break space (``core.datasets.base.THOUSANDS``:
"1 000"), which Rich's wrapping keeps whole, but Textual's own wrapping (a ``Static`` given a
``Text``) splits a line at every Unicode space, that one included: the setup view showed
"1" at one line's end and "000 samples" on the next (issue 21, item 7). Shown in a wrapped
widget, the group is joined with the braille blank: one blank cell that no wrapping regex
takes for a space (the charts draw with braille, so every terminal font here has it).
"""

from __future__ import annotations

from ktui.core.datasets.base import THOUSANDS

#: One blank cell that is not whitespace to Python (nor to Textual's wrapping).
KEEP_TOGETHER = "\u2800"


def unbroken(text: str) -> str:
    """``text`` with its thousands groups joined for a widget that wraps."""
    return text.replace(THOUSANDS, KEEP_TOGETHER)


__all__ = ["KEEP_TOGETHER", "unbroken"]
