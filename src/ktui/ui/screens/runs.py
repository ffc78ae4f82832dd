"""Runs under the runs root: open one (read-only, or watched live while another process
trains it), load its spec, or mark it for comparison.

The table is ``ktui runs`` in a DataTable. Directories that are not readable runs are listed
under it ("2 runs skipped:" and why), so a damaged run never hides the others and never ends
the app: :func:`read_runs` falls back to reading run by run when the core's listing raises,
and a row that cannot be shown becomes one more skipped line.

Columns fit the width (:mod:`ktui.ui.screens.run_columns`).
Up to three marked runs are overlaid on the live training charts (the app keeps the marks).
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ktui.core.runs import RunDir, RunInfo, format_age, list_runs, run_info, runs_root
from ktui.core.runs.replay import monitored_curve
from ktui.core.text import clean, sparkline
from ktui.ui.host import HostGetter
from ktui.ui.screens.run_columns import (
    COLUMNS,
    abbreviated,
    age_text,
    end_ellipsis,
    fit_best,
    fit_run_name,
    fit_widths,
    undated_name,
)

STATUS_STYLE = {
    "finished": "green", "stopped": "yellow", "failed": "red", "interrupted": "yellow",
    "running": "cyan",
}
#: The age shown when the settings hide timings (reproducible screens).
AGE_PLACEHOLDER = "–"
MARK = "◆"
#: Problem lines shown under the table at most (the rest are counted).
MAX_PROBLEMS = 4
#: How often the rows of running runs are read again (epoch, best metric, status).
LIVE_S = 1.5
#: The last epochs a running run's sparkline shows.
TREND_CELLS = 8


# ---- reading the runs root -------------------------------------------------------------------
def read_runs(root: Path) -> tuple[list[RunInfo], list[str]]:
    """``list_runs``, never raising: an unreadable root is one problem line, and a listing
    that fails on a run it did not expect is redone run by run, skipping only that run."""
    try:
        return list_runs(root)
    except OSError as err:
        return [], [f"{root}: cannot list ({err.strerror or err})"]
    except Exception:  # a damage the core did not foresee: read each run alone
        return _read_run_by_run(root)


def _read_run_by_run(root: Path) -> tuple[list[RunInfo], list[str]]:
    runs: list[RunInfo] = []
    problems: list[str] = []
    try:
        paths = sorted(root.iterdir(), reverse=True)
    except OSError as err:
        return [], [f"{root}: cannot list ({err.strerror or err})"]
    now = time.time()
    for path in paths:
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            runs.append(run_info(path, now))
        except Exception as err:
            problems.append(f"{path.name}: skipped, not a readable ktui run ({_cause(err)})")
    return runs, problems


def _cause(err: BaseException) -> str:
    first = (str(err).splitlines() or [""])[0]
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


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
        #: Each shown run with its cells as plain text (before fitting them to the width).
        self._rows: list[tuple[RunInfo, list[str]]] = []
        self._fitted_width = 0
        #: A running run's monitored metric as a sparkline (its status cell shows it).
        self._trend: dict[str, str] = {}

    #: The app's state (runs folder, compared runs), typed without importing the app.
    host = HostGetter()

    def compose(self) -> ComposeResult:
        yield Static("", id="runs-title")
        table: DataTable[Text | str] = DataTable(id="runs-table", cursor_type="row",
                                                 zebra_stripes=True)
        yield table
        yield Static("", id="runs-note")
        yield Static(Text("enter: open (live if running) · l: load its spec · space: compare "
                          "(up to 3)", style="dim"), id="runs-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()
        self.set_interval(LIVE_S, self.refresh_running)

    def refresh_running(self) -> None:
        """The list as a live dashboard: the rows of runs being trained are read again (a few
        small files each), and the table redrawn only when one of them moved on or ended."""
        changed = False
        for i, info in enumerate(self.runs):
            if info.status != "running":
                continue
            try:
                fresh = run_info(info.path)
            except Exception:  # noqa: BLE001 - half-written mid-epoch: the next tick reads it
                continue
            if (fresh.epochs_done, fresh.best, fresh.status) != (info.epochs_done, info.best,
                                                                info.status):
                self.runs[i], changed = fresh, True
                self._read_trend(fresh)
        if changed:
            self._prepare_rows()
            self._fill_table()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:
            self._fill_table()

    # ---- data -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the runs root again (cheap: no TensorFlow, a few small files per run)."""
        root = runs_root(self.host.runs_dir)
        self.runs, self.problems = read_runs(root)
        self._trend = {}
        for info in self.runs:
            self._read_trend(info)
        self._prepare_rows()
        self._fill_table()
        self._show_title(root)
        self._show_note(root)

    def _read_trend(self, info: RunInfo) -> None:
        """A running run's sparkline of its monitored metric (the last epochs)."""
        if info.status != "running":
            self._trend.pop(info.name, None)
            return
        try:
            curve = monitored_curve(RunDir(Path(info.path)))
        except Exception:  # noqa: BLE001 - never let a half-written file break the list
            curve = []
        self._trend[info.name] = sparkline(curve, TREND_CELLS)

    def _cells(self, info: RunInfo, marked: list[str]) -> list[str]:
        """One run's cells as plain text (user text cleaned: no markup, no escapes); a
        running run's status carries the sparkline of its monitored metric."""
        timed = self.host.settings.timings
        age = format_age(float(info.age_s)) if timed else AGE_PLACEHOLDER
        status = clean(str(info.status))
        if trend := self._trend.get(info.name):
            status = f"{status} {trend}"
        return [MARK if info.name in marked else " ", clean(str(info.name)),
                clean(str(info.dataset)), f"{info.epochs_done}/{info.epochs}",
                clean(str(info.best)), status, age]

    def _prepare_rows(self) -> None:
        marked = self.host.compared_names()
        self._rows = []
        shown: list[RunInfo] = []
        for info in self.runs:
            try:
                self._rows.append((info, self._cells(info, marked)))
                shown.append(info)
            except Exception as err:  # a field of the wrong type: skip the run, not the list
                self.problems.append(f"{clean(str(getattr(info, 'name', '?')))}: skipped, "
                                     f"cannot show it ({_cause(err)})")
        self.runs = shown

    def _fill_table(self) -> None:
        table = self.query_one(DataTable)
        rows = self._rows
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        natural = {c.key: max([cell_len(c.label)] + [cell_len(cells[i]) for _, cells in rows])
                   for i, c in enumerate(COLUMNS)}
        # A cell has one column of padding each side; one more for the vertical scrollbar.
        budget = width - 1 - 2 * len(COLUMNS)
        short_age = sum(natural.values()) > budget
        if short_age:
            natural["age"] = max([cell_len("age")] + [
                cell_len(age_text(cells[6], True)) for _, cells in rows])
        undated = max([cell_len(undated_name(cells[1])) for _, cells in rows], default=0)
        best = max([cell_len(abbreviated(cells[4])) for _, cells in rows], default=0)
        widths = fit_widths(natural, budget, undated, best)
        cursor = table.cursor_row
        table.clear(columns=True)
        for column in COLUMNS:
            table.add_column(column.label, width=widths[column.key], key=column.key)
        # NO_COLOR turns colours into greys that vanish on the row's grey: words only then.
        plain = self.app.no_color
        for info, cells in rows:
            mark, name, dataset, epochs, best, status, age = cells
            table.add_row(
                Text(mark, style="bold" if plain else "bold magenta"),
                Text(fit_run_name(name, widths["run"])),
                Text(end_ellipsis(dataset, widths["dataset"])),
                Text(epochs),
                Text(fit_best(best, widths["best"])),
                Text(status, style="" if plain else STATUS_STYLE.get(status.split(" ")[0], "")),
                Text(end_ellipsis(age_text(age, short_age), widths["age"])),
                key=info.name)
        if self.runs:
            table.move_cursor(row=min(max(cursor, 0), len(self.runs) - 1))

    def _show_title(self, root: Path) -> None:
        marked = self.host.compared_names()
        title = Text()
        title.append(" Runs ", style="bold reverse")
        title.append(f" in {clean(str(root))}  ", style="bold")
        title.append(f"{len(self.runs)} run{'s' * (len(self.runs) != 1)}", style="dim")
        if marked:
            title.append(f"   comparing {len(marked)}/3",
                         style="bold" if self.app.no_color else "magenta")
        self.query_one("#runs-title", Static).update(title)

    def _show_note(self, root: Path) -> None:
        note = Text()
        if not self.runs and not self.problems:
            note.append(f"No runs under {clean(str(root))} yet: every training (ctrl+r in "
                        "setup, or `ktui train`) is recorded there.")
        if self.problems:
            count = len(self.problems)
            note.append(f"⚠ {count} run{'s' * (count != 1)} skipped:", style="bold")
            for line in self.problems[:MAX_PROBLEMS]:
                note.append(f"\n  {clean(line)}")
            if count > MAX_PROBLEMS:
                note.append(f"\n  … and {count - MAX_PROBLEMS} more (`ktui runs` lists them)")
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
        if info is None:
            return
        run = RunDir(info.path)
        if info.status == "running" and run.in_use():  # trained elsewhere: follow it live
            self.host.open_watch(run)
        else:
            self.host.open_recorded(run)

    def action_load_spec(self) -> None:
        info = self.current
        if info is not None:
            self.host.load_run_spec(RunDir(info.path))

    def action_toggle_compare(self) -> None:
        info = self.current
        if info is not None:
            self.host.toggle_compare(RunDir(info.path))  # the app redraws this list

    def action_refresh_runs(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_screen_resume(self) -> None:
        self.reload()

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Open run", "The highlighted run's curves: read-only, or live for a running one "
             "(watch and steer it)", "open_run"),
            ("Load run spec", "Load the highlighted run's experiment into setup", "load_spec"),
            ("Compare run", "Mark or unmark the run for the live charts (up to 3)",
             "toggle_compare"),
            ("Clear comparison", "Unmark every compared run", "app.clear_compare"),
            ("Refresh runs", "Read the runs folder again", "refresh_runs"),
            ("Back", "Leave the runs list", "back"),
        ]
