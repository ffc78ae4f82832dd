"""Rendering line by line (LinesVisual, AnsiLines) gives Textual's and rich's own output.

The reference is the library's own path: a plain ``Static`` updated with the same Text, and
``Text.from_ansi`` for the ANSI decoding, compared segment by segment (styles and the
offsets text selection reads included).
"""

from __future__ import annotations

from itertools import islice

from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.geometry import Region
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Static

from ktui.ui.widgets.charts import LossChart
from ktui.ui.widgets.charts.ansi_lines import AnsiLines
from ktui.ui.widgets.partial_static import PartialStatic

from .fakes import linear_events
from .helpers import feed, make_test_app

WIDTH = 40


class Pair(App[None]):
    """A PartialStatic and a Static of one size, to render one text through both."""

    CSS = "Static { width: 40; height: 6; }"

    def compose(self) -> ComposeResult:
        yield PartialStatic(id="lines")
        yield Static(id="whole")


def segments(widget: Widget) -> list[str]:
    """What the widget renders, every segment with its style, one string a line."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [repr(list(strip)) for strip in strips]


def progress_like(step: int) -> Text:
    line1 = Text("▶ running", style="bold green").append(f"  step {step}/40  ")
    line1.append("█" * (step // 4), style="green").append("░" * (10 - step // 4), style="dim")
    line2 = Text("loss ", style="dim").append("1.2345").append("  val ", style="dim")
    line3 = Text("3.1 steps/s · elapsed 0:01", style="dim")
    return Text("\n").join([line1, line2, Text(""), line3])


TEXTS = {
    "styled lines and a blank one": progress_like(8),
    "a base style over all lines": Text("one\ntwo\nthree", style="italic red"),
    "wide characters": Text("漢字 and ascii\n2nd line", style="blue"),
    "a line longer than the width (it wraps)": Text("x" * 55 + "\nshort"),
    "a styled span across a line break": Text.assemble(("ab\ncd", "bold"), "\nef"),
}


async def test_each_text_renders_as_a_static_renders_it() -> None:
    app = Pair()
    async with app.run_test(size=(80, 20)) as pilot:
        lines, whole = app.query_one("#lines", PartialStatic), app.query_one("#whole", Static)
        for name, text in TEXTS.items():
            lines.show_text(text.copy())
            whole.update(text.copy())
            await pilot.pause()
            assert segments(lines) == segments(whole), name


async def test_a_changed_line_is_the_only_one_converted_again() -> None:
    app = Pair()
    async with app.run_test(size=(80, 20)) as pilot:
        lines, whole = app.query_one("#lines", PartialStatic), app.query_one("#whole", Static)
        lines.show_text(progress_like(8))
        await pilot.pause()
        segments(lines)
        assert lines.strip_cache.converted == 4
        for step in (9, 12):  # 9: the counter moves; 12: the bar grows a cell too
            lines.show_text(progress_like(step))
            whole.update(progress_like(step))
            await pilot.pause()
            assert segments(lines) == segments(whole)
            assert lines.strip_cache.converted == 1  # line 1; the others are reused
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        assert segments(lines) == segments(whole)  # another theme: converted again
        assert lines.strip_cache.converted == 4


def test_ansi_lines_are_rich_own_decoding_and_carry_a_style_across_lines() -> None:
    decoder = AnsiLines()
    red_open = "\x1b[31mred\nstill red\x1b[0m plain\nplain"
    for ansi in (red_open, "\x1b[1;32mbold green\x1b[0m\n\x1b[34mblue\x1b[0m x", "", "a\n\nb"):
        got = decoder.decode(ansi)
        want = Text.from_ansi(ansi).split("\n", allow_blank=True)
        assert [line for _key, line in got] == list(want), ansi
    decoder.decode(red_open)
    # The same second line after a first line that no longer leaves red open: not reused.
    got = decoder.decode("\x1b[31mred\x1b[0m\nstill red\x1b[0m plain\nplain")
    assert decoder.decoded == 2
    want = Text.from_ansi("\x1b[31mred\x1b[0m\nstill red\x1b[0m plain\nplain")
    assert [line for _key, line in got] == list(want.split("\n", allow_blank=True))


async def test_a_chart_converts_only_the_lines_a_new_point_changed() -> None:
    events = list(linear_events(epochs=10))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, islice(events, 0, 27))
        chart = screen.query_one(LossChart)
        screen.handle_event(events[27])  # one more step
        screen.flush()
        await pilot.pause()
        segments(chart)
        assert 0 < chart.strip_cache.converted < chart.size.height // 2
        # What the chart shows is its frame joined into one Text, as Textual renders that.
        joined = Text("\n").join(line for _key, line in chart._frame[1])  # noqa: SLF001
        width, height = chart.size
        reference = Visual.to_strips(chart, Content.from_rich_text(joined, app.console),
                                     width, height, chart.visual_style)
        shown = [chart.render_line(y) for y in range(height)]
        assert [repr(list(s)) for s in shown] == [repr(list(s)) for s in reference]


async def test_selecting_text_with_the_mouse_still_copies_it() -> None:
    """Textual extracts a selection only from a Text or a Content: the progress lines (the
    run's folder is copied from there) and a chart read their lines' plain text instead."""
    from textual.geometry import Offset
    from textual.selection import Selection

    from ktui.ui.widgets.progress import RunProgress

    events = list(linear_events(epochs=10))
    app = make_test_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, islice(events, 0, 27))
        progress, chart = screen.query_one(RunProgress), screen.query_one(LossChart)
        everything = Selection(None, None)
        shown = progress.get_selection(everything)
        assert shown is not None and shown[0].splitlines()[1].startswith("loss ")
        assert progress.get_selection(Selection(Offset(0, 1), Offset(4, 1))) == ("loss", "\n")
        drawn = chart.get_selection(everything)
        assert drawn is not None and "epoch" in drawn[0] and "loss" in drawn[0].splitlines()[0]
