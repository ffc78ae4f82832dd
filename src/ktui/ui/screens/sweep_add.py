"""``+`` in the sweep view: how many trials to add (a whole number from 1 to
:data:`~ktui.core.sweep.steer.MAX_ADDED`); enter adds them, esc cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ktui.core.sweep.steer import MAX_ADDED


def parse_count(text: str) -> tuple[int | None, str | None]:
    """(n, None) for a valid count, else (None, why not)."""
    try:
        n = int(text.strip())
    except ValueError:
        return None, f"a whole number from 1 to {MAX_ADDED}"
    if not 1 <= n <= MAX_ADDED:
        return None, f"from 1 to {MAX_ADDED}, not {n}"
    return n, None


class AddTrialsScreen(ModalScreen[int | None]):
    """Type how many trials to add; the dialog returns the number, or None."""

    BINDINGS = [Binding("escape", "cancel_add", "Cancel", id="cancel_add")]

    def __init__(self, total: int, *, blink: bool = True) -> None:
        super().__init__()
        self.total = total
        self._blink = blink

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-add-box"):
            yield Static(Text.assemble(("Add trials", "bold"), f"  (now {self.total} in all)"))
            field = Input("4", id="sweep-add-count", compact=True, select_on_focus=True)
            field.cursor_blink = self._blink
            yield field
            yield Static("", id="sweep-add-error")
            yield Static(Text("enter adds them · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)

    def _check(self, text: str) -> int | None:
        n, why = parse_count(text)
        self.query_one(Input).set_class(why is not None, "-invalid")
        self.query_one("#sweep-add-error", Static).update(
            Text(f"⚠ {why}", style="bold red") if why else "")
        return n

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        n = self._check(event.value)
        if n is not None:
            self.dismiss(n)

    def action_cancel_add(self) -> None:
        self.dismiss(None)
