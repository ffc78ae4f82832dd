"""Every problem of the experiment in one scrollable list (``ctrl+r`` while any is left).

The setup view's problem line has room for one; a spec file can have dozens. Each line is
shown as plain text (a problem quotes user values, which may hold brackets).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ProblemsScreen(ModalScreen[None]):
    """A list of ``path: message`` lines; any of esc, enter, q closes it."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="close_problems")]

    def __init__(self, problems: list[str], title: str = "Problems") -> None:
        super().__init__()
        self.problems = list(problems)
        self.title_text = title
        self._answered = False

    def compose(self) -> ComposeResult:
        count = len(self.problems)
        with Vertical(id="problems-box"):
            yield Static(Text(f"{self.title_text}: {count} problem{'s' * (count != 1)}",
                              style="bold"), id="problems-title")
            with VerticalScroll(id="problems-list"):
                for problem in self.problems:
                    yield Static(Text(f"⚠ {problem}", style="red"), classes="problem")
            yield Static(Text("Each is flagged on its field or layer · esc/enter closes",
                              style="dim"), id="problems-keys")

    def action_close(self) -> None:
        if self._answered or not self.is_attached or self.app.screen is not self:
            return
        self._answered = True
        self.dismiss(None)
