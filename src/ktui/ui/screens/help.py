"""The ``?`` screen: what each key does, on both views."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Setup", (
        ("ctrl+r", "train this experiment (it is checked first)"),
        ("ctrl+s  ctrl+o", "save the experiment as TOML / open a TOML spec"),
        ("ctrl+l", "past runs: open one, load its spec, compare"),
        ("a  e  x", "add / edit / remove the highlighted layer (in the layer list)"),
        ("enter", "edit the highlighted layer"),
        ("shift+↑ ↓  K J", "move the layer up / down"),
        ("d", "duplicate the layer"),
        ("tab  shift+tab", "move between fields; a bad value is explained under it"),
    )),
    ("Past runs", (
        ("enter  l", "open the run read-only / load its spec into setup"),
        ("space  c", "mark for comparison on the live charts (up to 3) / clear"),
    )),
    ("Layer form", (
        ("ctrl+s", "save (only when every field is valid)"),
        ("esc", "cancel"),
    )),
    ("Training", (
        ("space", "pause / resume"),
        ("n", "one step (batch) while paused"),
        ("s", "stop after this batch"),
        ("r", "run again from scratch"),
        ("b  esc", "back to setup, keeping the stack"),
    )),
    ("Anywhere", (
        ("ctrl+p", "command palette: every action, and the presets"),
        ("?  f1", "this help"),
        ("q  ctrl+c", "quit (a running training is stopped first)"),
    )),
)


def help_renderable() -> Group:
    parts: list[Text | Table] = [Text("ktui keys", style="bold underline")]
    for title, rows in SECTIONS:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False)
        table.add_column(style="bold cyan", no_wrap=True, min_width=16)
        table.add_column()
        for key, what in rows:
            table.add_row(key, what)
        parts += [Text(""), Text(title, style="bold"), table]
    parts += [Text(""), Text("esc closes this help", style="dim")]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="close_help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_renderable(), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
