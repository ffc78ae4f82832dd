"""The sweep view (``ktui sweep view``): a study live. Counts by state and the best so far,
every trial's curve overlaid, and a table of trials (rank, state, value, parameters, epoch,
a sparkline), read again every second from the one study the view holds
(:class:`ktui.core.sweep.held.HeldStudy`) by a thread worker, never from the UI thread.

``enter`` opens the selected trial's run: the watch view while it trains, its recorded
curves once it ended. ``p`` prunes the selected running trial (a stop over its run's control
channel: the trial ends pruned), ``+`` adds trials (asks how many), ``s`` stops the sweep
(asks first). Leaving the view leaves the sweep as it is, except that a view which started
its sweep (``ktui sweep --view``) asks whether to stop it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer
from textual.worker import get_current_worker

from ktui.core.runs import RunDir
from ktui.core.sweep.board import Board
from ktui.core.sweep.held import HeldStudy
from ktui.core.sweep.steer import stop_requested
from ktui.core.text import clean
from ktui.ui.host import HostGetter
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.sweep_add import AddTrialsScreen
from ktui.ui.widgets.sweep import SweepChart, SweepSummary, TrialTable

#: Seconds between two reads of the study.
EVERY_S = 1.0


@dataclass
class BoardRead(Message):
    """One read of the study: its board and whether the sweep was stopped (or why the read
    failed: a database gone for a moment is said, and read again)."""

    board: Board | None
    stopped: str = ""
    problem: str = ""


class SweepScreen(Screen[None]):
    """A sweep followed from its study, steered through the study and its trials' runs."""

    host = HostGetter()

    BINDINGS = [
        # Over the table's own enter (which the footer would not show).
        Binding("enter", "open_trial", "Open", id="open_trial", priority=True),
        Binding("p", "prune", "Prune", id="prune"),
        Binding("plus", "add_trials", "Add", id="add_trials", key_display="+"),
        Binding("s", "stop_sweep", "Stop", id="stop_sweep"),
        # Not in the footer: q quits the same way when this view is the first (80 columns).
        Binding("escape,b", "back", "Leave", id="back", show=False),
    ]

    def __init__(self, held: HeldStudy, every: float = EVERY_S) -> None:
        super().__init__()
        self.held, self.every = held, every
        self.board: Board | None = None
        self.stopped = ""
        self.reads = 0

    def compose(self) -> ComposeResult:
        yield SweepSummary(id="sweep-summary")
        yield SweepChart(id="sweep-chart")
        yield TrialTable(id="sweep-trials")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TrialTable).focus()
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep-read")
    def _read(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                board = self.held.board()
                self.post_message(BoardRead(board, stop_requested(self.held.study)))
            except Exception as err:  # noqa: BLE001 - a storage hiccup: said, read again
                self.post_message(BoardRead(None, problem=f"{type(err).__name__}: {err}"))
            deadline = time.monotonic() + self.every
            while not worker.is_cancelled and time.monotonic() < deadline:
                time.sleep(0.05)

    def on_board_read(self, message: BoardRead) -> None:
        self.reads += 1
        if message.board is None:
            self.notify(clean(message.problem), title="Cannot read the study",
                        severity="error", markup=False)
            return
        self.board, self.stopped = message.board, message.stopped
        self.query_one(SweepSummary).show(message.board, message.stopped)
        chart = self.query_one(SweepChart)
        chart.show(message.board)
        chart.flush()
        self.query_one(TrialTable).show(message.board)

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "sweep-read")

    # ---- keys -----------------------------------------------------------------------------
    def _selected(self) -> int | None:
        return self.query_one(TrialTable).selected

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # a click on a row
        self.action_open_trial()

    def action_open_trial(self) -> None:
        number = self._selected()
        row = self.board.row(number) if self.board and number is not None else None
        if row is None:
            return
        if row.run_dir is None:
            self.notify(f"trial {number} has no run yet", title="Nothing to open", timeout=3)
            return
        run = RunDir(Path(row.run_dir))
        if row.state == "running" and run.in_use():
            self.host.open_watch(run)
        else:
            self.host.open_recorded(run)

    def action_prune(self) -> None:
        number = self._selected()
        if number is not None:
            self._prune(number)

    @work(thread=True, exit_on_error=False, group="sweep-steer")
    def _prune(self, number: int) -> None:
        problem = self.held.prune(number)
        if problem:
            self.app.call_from_thread(self.notify, problem, title=f"trial {number}: not pruned",
                                      severity="warning", markup=False)
        else:
            self.app.call_from_thread(
                self.notify, f"trial {number}'s trainer stops it after this batch; the trial "
                "ends pruned", title="Pruning", timeout=4, markup=False)

    def action_add_trials(self) -> None:
        total = self.board.total if self.board else 0
        blink = self.host.settings.cursor_blink
        self.app.push_screen(AddTrialsScreen(total, blink=blink), self._added)

    def _added(self, n: int | None) -> None:
        if n:
            said = self.held.add(n)
            self.notify(said, title="Add trials", markup=False, timeout=6,
                        severity="error" if said.startswith("cannot") else "information")

    def action_stop_sweep(self) -> None:
        name = clean(self.held.study.study_name)
        self.app.push_screen(ConfirmScreen(
            f"Stop sweep {name}? No trial starts after this, and each running trial is "
            "stopped after its batch (it ends pruned).", yes="Stop", no="Go on"), self._stop)

    def _stop(self, yes: bool | None) -> None:
        if yes:
            self._stop_now()

    @work(thread=True, exit_on_error=False, group="sweep-steer")
    def _stop_now(self) -> None:
        problems = self.held.stop()
        text = "stopped: no trial starts now" + (
            "; " + "; ".join(problems[:3]) if problems else "")
        self.app.call_from_thread(self.notify, text, title="Sweep stopped", markup=False,
                                  severity="warning" if problems else "information")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_trials", "stop_sweep"):
            return not self.stopped
        return True

    async def action_back(self) -> None:
        """Leave; the app ends when this view is its first, as ``q`` ends it (which asks
        what becomes of a sweep the view started, ``ktui sweep --view``)."""
        if len(self.app.screen_stack) <= 2:
            await self.app.run_action("quit")
        else:
            self.app.pop_screen()


__all__ = ["BoardRead", "SweepScreen"]
