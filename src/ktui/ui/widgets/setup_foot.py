"""The setup view's foot: the hint line over the status bar (the first problem, or "ready to
train"; TensorFlow's state; the Train button, usable only when nothing is flagged).

The screen tells it what to show (:meth:`SetupFoot.set_hint`, :meth:`SetupFoot.show_problems`);
it follows the app's ``tf_status`` itself. The Train button runs the screen's ``train``
action, the same as ``ctrl+r``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static


class SetupFoot(Vertical):
    """Hint line, problem line, TensorFlow's status and the Train button."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self._shown_status: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="hint")
        with Horizontal(id="setup-bar"):
            yield Static("", id="problems")
            yield Static("", id="tf-status")
            yield Button("Train ▶", variant="success", id="btn-train", compact=True,
                         action="screen.train")

    def on_mount(self) -> None:
        if hasattr(self.app, "tf_status"):
            self.watch(self.app, "tf_status", self.show_tf_status)

    def show_tf_status(self, text: str) -> None:
        for status in self.query("#tf-status").results(Static):
            status.update(Text(text, style="dim"))

    def set_hint(self, text: Text) -> None:
        """Show ``text`` on the hint line; a long one wraps (up to three lines: the style
        sheet's ``max-height``), never cut off at the right edge."""
        for hint in self.query("#hint").results(Static):
            hint.update(text)

    def show_problems(self, problems: Sequence[str]) -> None:
        """The first problem and how many more (or "ready to train"); Train is disabled
        while there is any."""
        if len(problems) > 1:
            status = Text.assemble(("⚠ ", "bold red"),
                                   (f"(+{len(problems) - 1} more · ctrl+r lists all) ", "red"),
                                   (problems[0], "bold red"))
        elif problems:
            status = Text(f"⚠ {problems[0]}", style="bold red")
        else:
            status = Text("✔ ready to train", style="green")
        if status != self._shown_status:
            self._shown_status = status
            self.query_one("#problems", Static).update(status)
        self.query_one("#btn-train", Button).disabled = bool(problems)


__all__ = ["SetupFoot"]
