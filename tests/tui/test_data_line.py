"""The setup view's dataset line (issue 21.18): with few ``samples`` Fashion-MNIST's
validation images (a share of the whole file) can outnumber the training images: it says so."""

from __future__ import annotations

from textual.widgets import Input, Static

from ktui.core.spec.presets import get_preset

from .helpers import make_test_app


async def test_the_setup_view_says_when_validation_outnumbers_training() -> None:
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        desc = app.screen.query_one("#dataset-desc", Static)
        assert "outnumbers" not in str(desc.render())
        app.screen.query_one("#f-dataset-samples Input", Input).value = "3000"
        await pilot.pause(0.3)
        assert "outnumbers training" in str(desc.render())


async def test_a_thousands_group_never_breaks_across_lines() -> None:
    """At 80x24 the linear preset's "1 000 samples" wrapped as "1" / "000 samples" (issue
    21, item 7): Textual wraps at every Unicode space, the no-break one included."""
    from ktui.ui.unbroken import KEEP_TOGETHER

    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        desc = app.screen.query_one("#dataset-desc", Static)
        lines = [strip.text for strip in desc.render_lines(desc.region.reset_offset)]
        assert not any(line.rstrip().endswith(" 1") and nxt.lstrip().startswith("000")
                       for line, nxt in zip(lines, lines[1:], strict=False))
        assert any(f"1{KEEP_TOGETHER}000" in line for line in lines)
