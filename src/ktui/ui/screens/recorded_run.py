"""A past run, read-only: the training view's charts rebuilt from the run directory's logs.

Its logged events go through the same path as a live run's (``handle_event``); ``l`` loads its
spec into setup and ``b`` goes back to the runs list. Nothing here runs or controls training.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from ktui.core.events import RunFinished, RunStarted
from ktui.core.runs.replay import Recorded
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.describe import headline
from ktui.ui.screens.run_result import epochs_text, title_line
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.widgets.charts.grid import ChartGrid

#: Actions of the live view that mean nothing for a past run (hidden from footer and keys).
LIVE_ONLY = ("run", "run_busy", "pause", "step", "stop", "open_runs", "lr_up", "lr_down",
             "lr_set")


class RecordedRunScreen(TrainingScreen):
    """A past run, read-only: ``l`` loads its spec, ``b`` goes back to the runs list."""

    BINDINGS = [
        Binding("l", "load_spec", "Load spec", id="load_spec"),
        Binding("escape,b", "back", "Runs", id="back"),
    ]

    def __init__(self, spec: ExperimentSpec, recorded: Recorded) -> None:
        super().__init__(spec)
        self.recorded = recorded
        self.run_dir = str(recorded.run.path)

    def title_text(self) -> Text:
        # "(read-only)" is the part a narrow title drops: at 80 columns the line showed
        # "recorded run," and lost the rest at the comma.
        return title_line(self.recorded.run.name, headline(self.spec),
                          ("recorded run (read-only)", "bold magenta"))

    def shows_clocks(self) -> bool:
        return False  # a past run's pace is not measured here

    def show_first(self) -> None:
        """Draw the past run: its logged events, through the same path as live ones."""
        recorded = self.recorded
        for event in recorded.events:
            try:
                self.handle_event(event)
            except Exception as err:  # one odd event must not hide the rest of the run
                self.log.error(f"replaying {event!r}: {err}")
            if isinstance(event, RunStarted) and not recorded.streamed:
                self.view.test_samples = None  # rebuilt from the spec: sizes unknown
        if self.result is None:  # no ending logged: say what the summary knows
            self._show_status(recorded.status)

    def _show_status(self, status: str) -> None:
        self._set_state(status)
        text = Text()
        done = self.view.epochs_done
        if status == "interrupted":
            text.append(f"Interrupted after {epochs_text(done)}", style="bold yellow")
            text.append(f": the process that ran it is gone; `ktui train --resume "
                        f"{self.recorded.run.name}` continues it")
        elif status == "running":
            text.append(f"Still running elsewhere: {epochs_text(done)} so far",
                        style="bold cyan")
        else:
            text.append(f"Status {status}: {epochs_text(done)} logged", style="bold yellow")
        text.append_text(self._hint())
        self._show_result(text, "-failed" if status == "unknown" else "-ok")

    def own_run_name(self) -> str | None:
        return self.recorded.run.name

    def _hint(self, failed: bool = False) -> Text:
        text = Text()
        for note in self.recorded.notes[:2]:
            text.append(f"\n⚠ {note}", style="yellow")
        text.append("\nl load its spec into setup · b back to the runs · q quit", style="dim")
        return text

    def run_seconds(self, ev: RunFinished) -> float | None:
        seconds = self.recorded.summary.seconds
        return seconds if seconds > 0 else None

    @property
    def running(self) -> bool:
        return False  # never a run in progress here

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (on_page := self.page_action(action)) is not None:
            return on_page
        if action == "cycle_chart":
            return any(grid.mode != "all" for grid in self.query(ChartGrid))
        return action not in LIVE_ONLY

    def action_run(self) -> None:
        """Nothing to run: a past run is read-only."""

    def action_load_spec(self) -> None:
        self.host.load_run_spec(self.recorded.run)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Load spec", "Load this run's experiment into setup", "load_spec"),
            ("Next page", "Charts, what the model learned, gradients", "cycle_page"),
            ("Back to runs", "The list of past runs", "back"),
        ] + self.chart_commands()


__all__ = ["RecordedRunScreen"]
