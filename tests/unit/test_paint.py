"""Repainting only what changed: the cell diff, and the chart's epoch axis that seldom moves."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region

from ktui.ui.widgets.charts.axes import WHOLE_SPAN_EPOCHS, x_extent
from ktui.ui.widgets.charts.paint import PaintedLines, cells_of, changed_runs


def test_cells_carry_their_styles_and_wide_characters_give_up() -> None:
    line = Text("ab")
    line.stylize("red", 1, 2)
    assert cells_of(line) == [("a", ""), ("b", ";red")]
    assert cells_of(Text("漢字")) is None


def test_changed_runs_merge_near_changes_and_clear_a_shorter_line() -> None:
    old = cells_of(Text("step 20/40  loss 1.25"))
    new = cells_of(Text("step 21/40  loss 1.24"))
    assert old is not None and new is not None
    assert changed_runs(old, new, gap=6) == [(6, 7), (20, 21)]
    assert changed_runs(old, new, gap=20) == [(6, 21)]
    assert changed_runs(cells_of(Text("abcdef")) or [], cells_of(Text("abc")) or []) == [(3, 6)]
    assert changed_runs(old, old) == []


def test_painted_lines_say_which_regions_to_repaint() -> None:
    painted = PaintedLines()
    first = Text("loss 1.25\nstep 20/40")
    assert painted.update("k", first, 20) is None  # a first draw: everything
    assert painted.update("k", first, 20) == []  # nothing moved: nothing is written
    second = Text("loss 1.25\nstep 21/40")
    assert painted.update("k", second, 20) == [Region(6, 1, 1, 1)]
    assert painted.update("other size", second, 30) is None
    assert painted.update("other size", Text("one line"), 30) is None  # another shape
    painted.update("w", Text("ab"), 10)
    assert painted.update("w", Text("漢"), 10) == [Region(0, 0, 10, 1)]


def test_the_epoch_axis_moves_seldom() -> None:
    # A short run: its whole span from the start.
    assert {x_extent(e, 10) for e in range(1, 11)} == {10}
    assert x_extent(1, WHOLE_SPAN_EPOCHS) == WHOLE_SPAN_EPOCHS
    # A long run doubles its axis: log2(epochs) moves, never past the plan.
    ends = [x_extent(e, 100) for e in range(1, 101)]
    assert sorted(set(ends)) == [2, 4, 8, 16, 32, 64, 100]
    assert all(end >= e for e, end in enumerate(ends, start=1))
    # Unknown plan, or data past it (a resumed run with more epochs): the data.
    assert x_extent(3, 0) == 3 and x_extent(12, 10) == 12 and x_extent(0, 0) == 1


def test_full_repaint_is_one_environment_variable_away() -> None:
    from ktui.ui.settings import session_settings

    assert session_settings({}).partial_repaint
    assert not session_settings({"KTUI_FULL_REPAINT": "1"}).partial_repaint
    assert session_settings({"KTUI_FULL_REPAINT": "0"}).partial_repaint


def test_one_region_a_line_from_its_first_change_to_its_last() -> None:
    """Textual writes a region from the left of the widget's line to the region's end, so two
    regions on a line would write its start twice (a gallery redraw: 107 KB -> 55 KB)."""
    painted = PaintedLines()
    painted.update("k", Text("step 20/40  loss 1.25  acc 0.50\nsame"), 40)
    second = Text("step 21/40  loss 1.25  acc 0.51\nsame")
    assert painted.update("k", second, 40) == [Region(6, 0, 25, 1)]



def test_lines_longer_than_the_width() -> None:
    """Cut to the width (nowrap: the progress lines), a changed line repaints from its last
    visible cell at most ("…" comes or goes there); wrapped, lines are not rows: all of it."""
    painted = PaintedLines()
    painted.update("k", Text("abcdef\nxy"), 5)
    assert painted.update("k", Text("abcde\nxy"), 5) == [Region(4, 0, 2, 1)]  # "…" -> "e"
    assert painted.update("k", Text("abcde\nxz"), 5) == [Region(1, 1, 1, 1)]
    assert painted.update("k", Text("abcdefgh\nxz"), 5, wraps=True) is None
    assert painted.update("k", Text("abcdefgh\nxy"), 5) == [Region(1, 1, 1, 1)]
