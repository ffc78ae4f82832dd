"""Leaving a sweep view that started its sweep (``ktui sweep ... --view``) while the sweep
runs: stop it, or leave it running in the background (its workers are processes of their
own session: they go on without this terminal). ``escape`` stays in the view.

Dismissed with ``"stop"``, ``"leave"`` or None (stay).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class SweepLeaveScreen(ModalScreen[str | None]):
    """Ask what becomes of the running sweep ``name`` when the view closes."""

    # Styled by ktui.tcss's ``.question`` rules, as ConfirmScreen (the other question).
    BINDINGS = [
        Binding("l,enter", "answer('leave')", "Leave running", priority=True,
                id="sweep_leave_running"),
        Binding("s", "answer('stop')", "Stop sweep", priority=True, id="sweep_leave_stop"),
        Binding("escape", "answer(None)", "Stay", priority=True, id="sweep_leave_stay"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.sweep_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-leave", classes="question"):
            # Text, not markup: a study's name may hold brackets.
            yield Static(Text(f"Sweep {self.sweep_name} is running. Leave it running in the "
                              "background, or stop it?", style="bold"),
                         id="sweep-leave-question", classes="question-text")
            yield Static(Text("l/enter: leave running · s: stop the sweep · esc: stay"),
                         id="sweep-leave-keys", classes="question-keys")
            with Horizontal(id="sweep-leave-buttons", classes="question-buttons"):
                yield Button("Stay", compact=True, action="screen.answer(None)")
                yield Button("Stop sweep", compact=True, variant="warning",
                             action="screen.answer('stop')")
                yield Button("Leave running", compact=True, variant="primary",
                             action="screen.answer('leave')")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False  # the keys decide; enter never "presses" a button

    def action_answer(self, choice: str | None) -> None:
        self.dismiss(choice)


__all__ = ["SweepLeaveScreen"]
