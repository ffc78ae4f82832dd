"""A small dialog to type a learning rate for the run in progress (``L`` in the training view).

The value is checked as it is typed by the spec's own field (``train.learning_rate``: its
range, said the same way as in the setup view); enter sets it only when it is valid, esc
cancels. The dialog returns the rate, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ktui.core.form_text import FieldError
from ktui.core.schema import field_of
from ktui.core.spec import TrainSpec
from ktui.ui.widgets.charts.lr import lr_text

#: The schema's field: what a learning rate may be, wherever it is typed.
LR_FIELD = field_of(TrainSpec, "learning_rate")


def parse_lr(text: str) -> tuple[float | None, str | None]:
    """(rate, None) for a valid rate typed as text, else (None, why not)."""
    try:
        value = LR_FIELD.parse_text(text)
    except FieldError as err:
        return None, str(err)
    problem = LR_FIELD.check(value)
    return (None, problem) if problem else (float(value), None)


class LrInputScreen(ModalScreen[float | None]):
    """Type a learning rate; enter sets it from the next step, esc cancels."""

    BINDINGS = [Binding("escape", "cancel_lr", "Cancel", id="cancel_lr")]

    def __init__(self, current: float | None, *, blink: bool = True) -> None:
        super().__init__()
        self.current = current
        self._blink = blink
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        now = f"now {lr_text(self.current)}" if self.current is not None else "now not known yet"
        with Vertical(id="lr-box"):
            yield Static(Text.assemble(("Learning rate", "bold"), f"  ({now})"), id="lr-title")
            value = LR_FIELD.format(self.current) if self.current is not None else ""
            field = Input(value, id="lr-value", compact=True, select_on_focus=True)
            field.cursor_blink = self._blink
            yield field
            yield Static("", id="lr-error")
            yield Static(Text(f"a learning rate {LR_FIELD.range_text()}, used from the next step · "
                              "enter sets it · esc cancels",
                              style="dim"), id="lr-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._check(self.query_one(Input).value)

    def _check(self, text: str) -> float | None:
        value, self.error = parse_lr(text)
        field = self.query_one(Input)
        field.set_class(self.error is not None, "-invalid")
        self.query_one("#lr-error", Static).update(
            Text(f"⚠ {self.error}", style="bold red") if self.error else "")
        return value

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = self._check(event.value)
        if value is not None:
            self.dismiss(value)

    def action_cancel_lr(self) -> None:
        self.dismiss(None)


__all__ = ["LR_FIELD", "LrInputScreen", "parse_lr"]
