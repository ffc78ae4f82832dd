"""Past runs under the runs root: open one read-only, load its spec, or mark it for comparison.

The table is ``ktui runs`` in a DataTable. Directories that are not readable runs are listed
as a dim note under it (``list_runs`` reports them), so a damaged run never hides the others.
Up to three marked runs are overlaid on the live training charts (the app keeps the marks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ktui.core.runs import RunDir, RunInfo, format_age, list_runs, runs_root

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

STATUS_STYLE = {
    "finished": "green", "stopped": "yellow", "failed": "red", "interrupted": "yellow",
    "running": "cyan",
}
#: What test mode shows for an age, so snapshots do not depend on the clock.
AGE_PLACEHOLDER = "–"
MARK = "◆"


class RunsScreen(Screen[None]):
    """The runs root as a table; ``enter`` opens a run, ``l`` loads its spec."""

    BINDINGS = [
        Binding("enter", "open_run", "Open", id="open_run", priority=True),
        Binding("l", "load_spec", "Load spec", id="load_run_spec"),
        Binding("space", "toggle_compare", "Compare", id="toggle_compare"),
        Binding("c", "app.clear_compare", "Clear", id="clear_compare"),
        Binding("f5,ctrl+r", "refresh_runs", "Refresh", id="refresh_runs", show=False),
        Binding("escape,b", "back", "Back", id="runs_back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunInfo] = []
        self.problems: list[str] = []

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-title")
        table: DataTable[Text | str] = DataTable(id="runs-table", cursor_type="row",
                                                 zebra_stripes=True)
        yield table
        yield Static("", id="runs-note")
        yield Static(Text("enter open read-only · l load its spec into setup · space mark for "
                          "comparison (up to 3) · c clear marks · esc back", style="dim"),
                     id="runs-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in (("", "mark"), ("run", "run"), ("dataset", "dataset"),
                           ("epochs", "epochs"), ("best", "best"), ("status", "status"),
                           ("age", "age")):
            table.add_column(label, key=key)
        self.reload()
        table.focus()

    # ---- data -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the runs root again (cheap: no TensorFlow, a few small files per run)."""
        root = runs_root(self.ktui.runs_dir)
        try:
            self.runs, self.problems = list_runs(root)
        except OSError as err:  # an unreadable root is a note, not a crash
            self.runs, self.problems = [], [f"{root}: cannot list ({err.strerror or err})"]
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        marked = self.ktui.compared_names()
        for info in self.runs:
            age = AGE_PLACEHOLDER if self.ktui.test_mode else format_age(info.age_s)
            table.add_row(
                Text(MARK if info.name in marked else " ", style="bold magenta"),
                info.name, info.dataset, f"{info.epochs_done}/{info.epochs}", info.best,
                Text(info.status, style=STATUS_STYLE.get(info.status, "")), age,
                key=info.name)
        if self.runs:
            table.move_cursor(row=min(max(cursor, 0), len(self.runs) - 1))
        title = Text()
        title.append(" Runs ", style="bold reverse")
        title.append(f" in {root}  ", style="bold")
        title.append(f"{len(self.runs)} run{'s' * (len(self.runs) != 1)}", style="dim")
        if marked:
            title.append(f"   comparing {len(marked)}/3", style="magenta")
        self.query_one("#runs-title", Static).update(title)
        note = Text(style="dim")
        if not self.runs:
            note.append(f"No runs under {root} yet: every training (ctrl+r in setup, or "
                        "`ktui train`) is recorded there.\n")
        for line in self.problems:
            note.append(f"⚠ {line}\n")
        note.rstrip()
        self.query_one("#runs-note", Static).update(note)
        self.query_one("#runs-note").display = bool(note.plain)

    @property
    def current(self) -> RunInfo | None:
        table = self.query_one(DataTable)
        if not self.runs or not 0 <= table.cursor_row < len(self.runs):
            return None
        return self.runs[table.cursor_row]

    # ---- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_run", "load_spec", "toggle_compare"):
            return True if self.runs else None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_open_run(self) -> None:
        info = self.current
        if info is not None:
            self.ktui.open_recorded(RunDir(info.path))

    def action_load_spec(self) -> None:
        info = self.current
        if info is not None:
            self.ktui.load_run_spec(RunDir(info.path))

    def action_toggle_compare(self) -> None:
        info = self.current
        if info is not None:
            self.ktui.toggle_compare(RunDir(info.path))  # the app redraws this list

    def action_refresh_runs(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_screen_resume(self) -> None:
        self.reload()

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Open run", "Show the highlighted run's curves, read-only", "open_run"),
            ("Load run spec", "Load the highlighted run's experiment into setup", "load_spec"),
            ("Compare run", "Mark or unmark the run for the live charts (up to 3)",
             "toggle_compare"),
            ("Clear comparison", "Unmark every compared run", "app.clear_compare"),
            ("Refresh runs", "Read the runs folder again", "refresh_runs"),
            ("Back", "Leave the runs list", "back"),
        ]
