"""A yes/no question in a small modal: the one way ktui asks before it throws work away.

``push_screen(ConfirmScreen("Stop it and quit?"), callback)`` calls ``callback(True)`` for
yes (``y``, ``enter`` or the Yes button) and ``callback(False)`` for no (``n``, ``escape`` or
the No button). The keys are priority bindings, so a focused widget underneath cannot take
them; the buttons are for the mouse only (not focusable), so ``enter`` always means yes and
never "press whichever button has focus".
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question``; dismiss with True (yes) or False (no)."""

    # Styled by ktui.tcss's ``.question`` rules (every question dialog alike), centred over
    # the view behind it, dimmed, by its ``ModalScreen`` rule.
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", priority=True, id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", priority=True, id="confirm_no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="question"):
            # Text, not markup: a question may quote a user's name with brackets in it.
            yield Static(Text(self.question, style="bold"), id="confirm-question",
                         classes="question-text")
            yield Static(Text(f"y/enter: {self.yes.lower()} · n/esc: {self.no.lower()}"),
                         id="confirm-keys", classes="question-keys")
            with Horizontal(id="confirm-buttons", classes="question-buttons"):
                yield Button(self.no, id="confirm-no-button", compact=True,
                             action="screen.answer(False)")
                yield Button(self.yes, id="confirm-yes-button", variant="warning",
                             compact=True, action="screen.answer(True)")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False

    def action_answer(self, yes: bool) -> None:
        self.dismiss(bool(yes))


__all__ = ["ConfirmScreen"]
