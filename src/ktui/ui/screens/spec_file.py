"""Save the experiment as TOML, or open a TOML spec: a small dialog with one path field.

Every failure (an unwritable folder, a file that is not TOML, a spec with unknown keys) is shown
under the field, with the spec loader's own ``path: message`` lines (all of them, in a list
that scrolls), and the dialog stays open so the user can fix the path; nothing here can take
the app down, and it answers once (a second ``enter`` in a burst does nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ktui.core.spec import ExperimentSpec, SpecError, load, save
from ktui.core.text import clean
from ktui.ui.settings import settings_of
from ktui.ui.widgets.path_suggester import PathSuggester

#: Problems listed at most (the list scrolls; a broken file can have thousands).
MAX_SHOWN = 500


def default_file_name(spec: ExperimentSpec) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in spec.name) or "experiment"
    return f"{safe}.toml"


def dialog_help(saving: bool) -> Text:
    """The line under the dialog's title: commands and keys in bold, not in backticks (the
    text is shown as it is, so `ktui …` showed its backticks)."""
    if saving:
        parts = ["For ", ("ktui train --spec FILE", "bold"), " or ", ("ctrl+o", "bold"),
                 " later; a relative path is from the folder ktui was started in"]
    else:
        parts = ["A spec saved with ", ("ctrl+s", "bold"), ", or from ",
                 ("ktui presets show NAME", "bold"), "; it replaces the whole form"]
    return Text.assemble(*parts, "; → takes the path's completion", style="dim")


class SpecFileScreen(ModalScreen[tuple[Path, ExperimentSpec] | None]):
    """``mode="save"`` writes ``spec``; ``mode="open"`` reads one. Dismisses with
    ``(path, spec)`` on success, None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_file")]

    def __init__(self, mode: Literal["save", "open"], spec: ExperimentSpec | None = None,
                 path: str = "") -> None:
        super().__init__()
        self.mode = mode
        self.spec = spec
        self.initial = path
        self._overwrite: Path | None = None
        self._answered = False
        self._lines: list[str] = []

    def compose(self) -> ComposeResult:
        saving = self.mode == "save"
        with Vertical(id="spec-file"):
            yield Label(Text("Save the experiment as TOML" if saving
                             else "Open a TOML experiment", style="bold"), id="spec-file-title")
            yield Static(dialog_help(saving), id="spec-file-help")
            path = Input(self.initial, placeholder="file.toml", compact=True, id="spec-path",
                         select_on_focus=False, suggester=PathSuggester())
            path.cursor_blink = settings_of(self).cursor_blink
            yield path
            with VerticalScroll(id="spec-error-scroll", can_focus=False):
                yield Static("", id="spec-error")
            with Horizontal(id="spec-file-buttons"):
                yield Button("Save" if saving else "Open", variant="primary", id="spec-go",
                             compact=True, action="screen.go")
                yield Button("Cancel", id="spec-cancel", compact=True, action="screen.cancel")

    def on_mount(self) -> None:
        for scroll in self.query("#spec-error-scroll"):
            scroll.display = False
        for path in self.query("#spec-path").results(Input):
            path.focus()

    # ---- feedback -------------------------------------------------------------------------
    def show_error(self, lines: list[str], *, warning: bool = False) -> None:
        """Show every problem (the list scrolls), counted when there is more than one."""
        if not self.is_attached:
            return
        self._lines = list(lines)
        shown = lines[:MAX_SHOWN]
        text = Text()
        if len(lines) > 1:
            text.append(f"{len(lines)} problems:\n", style="bold")
        text.append("\n".join(f"⚠ {line}" for line in shown),
                    style="bold yellow" if warning else "bold red")
        if len(lines) > MAX_SHOWN:
            text.append(f"\n… and {len(lines) - MAX_SHOWN} more", style="bold")
        for error in self.query("#spec-error").results(Static):
            error.update(text)
        for scroll in self.query("#spec-error-scroll"):
            scroll.display = True
        for path in self.query("#spec-path"):
            path.set_class(not warning, "-invalid")

    def clear_error(self) -> None:
        self._lines = []
        for scroll in self.query("#spec-error-scroll"):
            scroll.display = False
        for path in self.query("#spec-path"):
            path.remove_class("-invalid")

    @property
    def error_lines(self) -> list[str]:
        """What the dialog says is wrong (empty when nothing is), one problem a line."""
        return list(self._lines)

    # ---- doing it ---------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self._overwrite = None
        self.clear_error()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_go()

    def action_go(self) -> None:
        if self._answered or not self.is_attached:
            return
        text = self.query_one("#spec-path", Input).value.strip()
        if not text:
            self.show_error(["type a file name, e.g. my-run.toml"])
            return
        shown = clean(text)
        if shown != text:
            self.show_error([f"{shown}: a file name cannot hold control characters"])
            return
        try:
            path = Path(text).expanduser()
        except RuntimeError:  # ~user that does not exist
            path = Path(text)
        try:
            if self.mode == "save":
                self._save(path)
            else:
                self._open(path)
        except (OSError, ValueError) as err:  # a name the system refuses (NUL, too long)
            self.show_error([f"{shown}: cannot use this path ({err})"])

    def _save(self, path: Path) -> None:
        assert self.spec is not None
        if path.is_dir():
            self.show_error([f"{path} is a folder; add a file name, e.g. {path / 'run.toml'}"])
            return
        if path.exists() and self._overwrite != path:
            self._overwrite = path
            self.show_error([f"{path} exists: enter again to replace it"], warning=True)
            return
        if not path.parent.is_dir():
            self.show_error([f"cannot write {path}: the folder {path.parent} does not exist"])
            return
        try:
            save(self.spec, path)
        except OSError as err:
            self.show_error([f"cannot write {path}: {err.strerror or err}"])
            return
        except Exception as err:  # e.g. a value TOML cannot hold: shown, never fatal
            self.show_error([f"cannot save: {type(err).__name__}: {err}"])
            return
        self._answer((path, self.spec))

    def _open(self, path: Path) -> None:
        if path.is_dir():
            self.show_error([f"{path} is a folder; name a .toml file in it"])
            return
        try:
            spec = load(path)
        except SpecError as err:
            self.show_error(list(err.errors) or [str(err)])
            return
        except Exception as err:  # an unexpected reader failure is a message too
            self.show_error([f"cannot read {path}: {type(err).__name__}: {err}"])
            return
        self._answer((path, spec))

    def _answer(self, result: tuple[Path, ExperimentSpec] | None) -> None:
        """Dismiss once, and only while this dialog is the screen on top."""
        if self._answered or not self.is_attached or self.app.screen is not self:
            return
        self._answered = True
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.is_mounted:
            self.call_later(self.action_cancel)  # esc came before the dialog was ready
            return
        self._answer(None)
