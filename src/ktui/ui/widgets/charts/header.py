"""The line(s) above a chart's plot: its title, the options it is drawn with, its legend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plotext._dict import color_codes
from rich.color import Color
from rich.style import Style
from rich.text import Text

#: The character of a dashed reference line (plotext draws any one character as a marker).
DASH = "╌"


def rich_color(color: str | int) -> Style:
    """The Rich style of a plotext colour (the same ANSI colour, so legend and line match)."""
    code = color if isinstance(color, int) else color_codes.get(color.strip(), 7)
    return Style(color=Color.from_ansi(code))


def header_lines(title: str, legend: Sequence[Any], note: str, width: int, height: int,
                 tags: tuple[str, str] = ("", "")) -> list[Text]:
    """The title and the legend (``Series`` with a label) on one line (two when it does not
    fit and the chart is tall), labels shortened and then dropped ("+2") when they still do
    not fit.

    ``tags`` (the chart options, long and compact) follow the title: a screenshot says how
    it was drawn; the compact one is tried when the long one leaves no room."""
    heads = [_head(title, tag) for tag in dict.fromkeys(tags)]
    for head in heads:
        last = head is heads[-1]
        for variant in range(3):
            entries = _legend(legend, variant)
            if note:
                entries.append(Text(f"({note})", style="dim"))
            one = Text("  ").join([head, *entries]) if entries else head
            if one.cell_len <= width:
                return [_centred(one, width)]
            if height >= 16 and Text("  ").join(entries).cell_len <= width \
                    and (last or head.cell_len <= width):
                return [_centred(head, width), _centred(Text("  ").join(entries), width)]
    entries = _legend(legend, 2)
    while entries:
        dropped = len(legend) - len(entries) + 1
        line = Text("  ").join([head, *entries[:-1], Text(f"+{dropped}", style="dim")])
        entries = entries[:-1]
        if line.cell_len <= width:
            return [_centred(line, width)]
    head.truncate(width, overflow="ellipsis")
    return [_centred(head, width)]


def _head(title: str, tag: str) -> Text:
    head = Text(title, style="bold")
    if tag:
        head.append("  ")
        head.append(f"[{tag}]", style="italic")
    return head


def _legend(legend: Sequence[Any], variant: int) -> list[Text]:
    entries = []
    for s in legend:
        labels = (s.label or "", *s.short)
        label = labels[min(variant, len(labels) - 1)]
        style = rich_color(s.color) + Style(dim=True) if s.dashed else rich_color(s.color)
        mark = getattr(s, "mark", "")
        sample = DASH * 2 if s.dashed else (f"{mark}{mark}" if mark and mark != "braille"
                                             else "──")
        entry = Text(sample, style=style)
        entry.append(f" {label}")
        entries.append(entry)
    return entries


def _centred(text: Text, width: int) -> Text:
    text = text.copy()
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis")
    text.align("center", width)
    return text
