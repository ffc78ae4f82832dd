"""The setup view's details (issue 21, item 16): where the focus starts, the hint line as the
focus moves, switches readable without colour, long paths and hints, the spec dialogs, asking
before a past run's spec replaces edits, dimmed dialogs, the save notification's command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.message import Message
from textual.widgets import Static

from ktui.ui.screens.setup import SetupScreen
from ktui.ui.widgets.layer_stack import LayerStack

from .helpers import make_test_app

SIZE = (120, 40)


def text_of(renderable: Any, width: int = 400) -> str:
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def hint_of(screen: Any) -> str:
    return text_of(screen.query_one("#hint", Static).content).strip()


def setup_of(app: Any) -> SetupScreen:
    screen = app.screen
    assert isinstance(screen, SetupScreen), type(screen).__name__
    return screen


# ---- 1: the first focus is set once and stays --------------------------------------------------

@pytest.mark.slow
async def test_the_first_focus_is_the_layer_list_and_never_moves() -> None:
    """Every widget the setup view ever focused while starting: one, the layer list. (It was
    the preset picker first, then 0.2-0.4 s later the layer list: a deferred ``focus()``.)"""
    focused: list[str] = []

    def hook(message: Message) -> None:  # a focus bubbles up: one entry per widget focused
        if isinstance(message, events.DescendantFocus):
            name = str(message.widget.id)
            if not focused or focused[-1] != name:
                focused.append(name)

    app = make_test_app()
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.focused, LayerStack)
    assert focused == ["stack"]


# ---- 2: the hint line follows the focus at once --------------------------------------------------

@pytest.mark.slow
async def test_a_section_title_hint_says_open_once_opened() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        title = setup.query_one("#section-steering CollapsibleTitle")
        title.focus()
        await pilot.pause()
        assert "Schedule & stopping: closed" in hint_of(setup)
        await pilot.press("enter")
        await pilot.pause()
        assert "Schedule & stopping: open" in hint_of(setup)
        await pilot.press("enter")
        await pilot.pause()
        assert "Schedule & stopping: closed" in hint_of(setup)


@pytest.mark.slow
async def test_the_hint_changes_in_the_same_call_as_the_focus() -> None:
    """Tabbing fast: each focus change shows its field's hint before the next key is read
    (no message later), so the line never names a field the focus has left."""
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        await pilot.pause()
        assert hint_of(setup).startswith("layers:")
        for key, label in (("train-epochs", "epochs"), ("train-seed", "seed"),
                           ("dataset-n", "n")):
            setup.set_focus(setup.query_one(f"#f-{key} Input"))
            assert hint_of(setup).startswith(f"{label}:"), key  # no await in between
        setup.focus_next()
        assert not hint_of(setup).startswith("n:")
