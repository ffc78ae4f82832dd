"""The training view of a run that another process trains (``ktui watch``, ``enter`` on a
running run in the runs list).

Its events come from the run's ``events.jsonl`` as it grows, read by a thread worker with
:class:`ktui.core.runs.follow.EventFollower` (a bounded poll: the trainer never waits for a
viewer) and applied through the same ``handle_event`` as a run trained here, so the charts,
the pages, the progress line and the end state are the training view's own. A line under the
progress says who trains the run (pid, host, since: the run's lock) and how far behind the
view is. The steering keys (space, n, s, ``+``/``-``/``L``) send requests over the run's
control channel (:class:`ktui.core.runs.remote_control.RemoteControl`); the trainer's events
answer them. Leaving or quitting the viewer never stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from ktui.core.events import Event, Paused, Resumed, RunStarted
from ktui.core.history import RunHistory
from ktui.core.runs.follow import EventFollower
from ktui.core.runs.lock import holder_text, read_holder
from ktui.core.runs.remote_control import RemoteControl
from ktui.core.runs.rundir import RunDir
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.describe import headline
from ktui.core.text import clean
from ktui.ui.screens.run_result import epochs_text, title_line
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.screens.training_lr import IN_PROGRESS, STEERABLE
from ktui.ui.widgets.charts.grid import ChartGrid

#: How often the log is read while the view is up to date (seconds).
POLL_S = 0.25
#: The keys that steer the trainer (through its control channel).
STEERING = ("pause", "step", "stop", "lr_up", "lr_down", "lr_set")
#: Keys of the live view that mean nothing here.
HIDDEN = ("run", "run_busy", "open_runs")


@dataclass
class Followed(Message):
    """What one poll of the log brought: new events, how far behind, whether still trained."""

    events: list[Event] = field(default_factory=list)
    behind: int = 0
    alive: bool = True
    restarted: bool = False


def behind_text(size: int) -> str:
    """``up to date``, ``12 KB behind``."""
    if size <= 0:
        return "up to date"
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit} behind"
    return f"{size} B behind"


class WatchScreen(TrainingScreen):
    """A run trained elsewhere, followed from its log and steered over its control channel.

    ``holder`` (who trains it: the lock's pid, host, since) and ``trained`` (whether anybody
    trains it now) are read from the run unless given (a test fixes them)."""

    BINDINGS = [
        # Not in the footer: at 80 columns the steering keys fill it (it pushed "q Quit"
        # and "? Help" off); the help and the palette list it.
        Binding("l", "load_spec", "Load spec", id="load_spec", show=False),
        Binding("escape,b", "back", "Back", id="back",
                tooltip="leave the run (it goes on training)"),
    ]

    def __init__(self, spec: ExperimentSpec, run: RunDir, *,
                 holder: dict[str, Any] | None = None,
                 trained: Callable[[], bool] | None = None,
                 control: RemoteControl | None = None) -> None:
        super().__init__(spec)
        self.watched = run
        self.run_dir = str(run.path)
        self._holder = holder
        self.trained = trained or run.in_use
        #: Whether a process trains the run (as of the last poll), and the log not yet read.
        self.alive = True
        self.behind = 0
        self.control = control or RemoteControl(run.path, run.name, on_error=self._not_sent)

    # ---- layout -----------------------------------------------------------------------------
    def title_text(self) -> Text:
        return title_line(self.watched.name, headline(self.spec), ("watching", "bold cyan"))

    def show_first(self) -> None:
        super().show_first()
        line = Static(self.watch_text(), id="watch-line")
        line.styles.text_wrap, line.styles.text_overflow = "nowrap", "ellipsis"
        self.mount(line, after="#progress")
        self._follow()

    def holder(self) -> dict[str, Any]:
        if self._holder is None:
            self._holder = read_holder(self.watched.path)
        return self._holder

    def watch_text(self) -> Text:
        """One line: who trains the run, how far behind the view is (cut at the width)."""
        text = Text()
        if self.alive:  # how far behind first: the trainer's command line may be long
            text.append(f" ⇄ {behind_text(self.behind)}", style="bold cyan")
            text.append(" · trained by ", style="dim")
            text.append(holder_text(self.holder()))
            text.append(" · leaving this view leaves it training", style="dim")
        else:
            text.append(" ⇄ nobody trains it now", style="bold")
            text.append(f" · {behind_text(self.behind)}", style="dim")
        return text

    # ---- the follower -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="follow")
    def _follow(self) -> None:
        worker = get_current_worker()
        follower = EventFollower(self.watched)
        try:
            while not worker.is_cancelled:
                alive = self.trained()  # before reading: an ending written meanwhile is read
                restarts = follower.restarts
                lines = follower.poll()
                self.post_message(Followed([ln.event for ln in lines if ln.event is not None],
                                           follower.behind, alive,
                                           follower.restarts != restarts))
                if not alive and not follower.behind:
                    return  # the trainer is gone and its log read to the end
                if not follower.behind:
                    time.sleep(POLL_S)
        finally:
            follower.close()

    def on_followed(self, message: Followed) -> None:
        if message.restarted:
            self._rewind()
        for event in message.events:
            if isinstance(event, RunStarted) and self.view.result is not None:
                self._rewind()  # resumed: the old ending was rewound
            try:
                self.handle_event(event)
            except Exception as err:  # one odd event must not hide the rest of the run
                self.log.error(f"following {event!r}: {err}")
        was_alive = self.alive
        self.alive, self.behind = message.alive, message.behind
        if not self.alive and not self.behind and self.result is None:
            self._gone()
        if was_alive != self.alive:
            self.refresh_bindings()
        if self.is_mounted:
            self.query_one("#watch-line", Static).update(self.watch_text())

    def _rewind(self) -> None:
        self.view = RunHistory(state="starting", epochs=self.spec.train.epochs)
        self.bind_charts()
        self.query_one("#result").display = False
        self._lr_asked = None
        self._set_state("starting")

    def _gone(self) -> None:
        """The trainer ended without a last word (killed): interrupted, as the runs say."""
        if self.view.state == "interrupted":
            return
        self._set_state("interrupted")
        name = clean(self.watched.name)
        text = Text()
        text.append(f"Interrupted after {epochs_text(self.view.epochs_done)}",
                    style="bold yellow")
        text.append(f": the process that trained it is gone; `ktui train --resume {name}` "
                    "continues it")
        text.append_text(self._hint())
        self._show_result(text, "-failed")

    def handle_event(self, ev: Event) -> None:
        super().handle_event(ev)
        if isinstance(ev, (Paused, Resumed)) and isinstance(self.control, RemoteControl):
            self.control.heard(isinstance(ev, Paused))
        if isinstance(ev, RunStarted) and self.alive:
            # The run began before the viewer read it: elapsed time and ETA count from when
            # its trainer took the run (the lock's ``since``), not from this viewer's arrival.
            since = self.holder().get("since")
            if isinstance(since, (int, float)) and not isinstance(since, bool):
                self.view.started_at = self.now() - max(time.time() - float(since), 0.0)

    def _not_sent(self, op: str, message: str) -> None:
        """From the sending thread: a request that did not reach the trainer."""
        self.app.call_from_thread(self._say_not_sent, op, message)

    def _say_not_sent(self, op: str, message: str) -> None:
        if op == "stop" and self.view.state == "stopping":
            self._set_state("running")
        self.notify(message, title=f"{op}: not sent", severity="error", markup=False)

    # ---- keys ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return False  # not trained here: quitting or leaving never asks, never stops it

    @property
    def live(self) -> bool:
        return self.alive and self.view.state in IN_PROGRESS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (on_page := self.page_action(action)) is not None:
            return on_page
        if action == "cycle_chart":
            return any(grid.mode != "all" for grid in self.query(ChartGrid))
        if action in HIDDEN:
            return False
        if action in STEERING:
            return self.alive and self.view.state in STEERABLE
        return True

    def can_steer_lr(self) -> bool:
        return self.alive and super().can_steer_lr()

    stop_reason = "from a viewer"

    def reaches_run(self) -> bool:
        return self.live

    def run_paused(self) -> bool:
        """The run's own word too: paused from another terminal, or before this view came."""
        return super().run_paused() or self.view.state == "paused"

    def stop_run(self, reason: str = "") -> None:
        """Leaving or quitting: stop following, never the run."""
        self.workers.cancel_group(self, "follow")

    def action_load_spec(self) -> None:
        self.host.load_run_spec(self.watched)

    def action_back(self) -> None:
        self.stop_run()
        if self.live:
            self.notify(f"{clean(self.watched.name)} goes on training; `ktui watch "
                        f"{clean(self.watched.name)}` comes back to it", title="Still training",
                        timeout=4, markup=False)
        self.app.pop_screen()

    def _hint(self, failed: bool = False) -> Text:
        return Text("\nl load its spec into setup · b back · q quit", style="dim")

    def own_run_name(self) -> str | None:
        return self.watched.name

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Pause / resume", "Ask the trainer to pause the run, or go on", "pause"),
            ("Single step", "While paused, ask the trainer for one batch", "step"),
            ("Stop", "Ask the trainer to stop the run after this batch", "stop"),
            ("Double the learning rate", "From the trainer's next step", "lr_up"),
            ("Halve the learning rate", "From the trainer's next step", "lr_down"),
            ("Set the learning rate", "Type a learning rate for the trainer", "lr_set"),
            ("Load spec", "Load this run's experiment into setup", "load_spec"),
            ("Next page", "Charts, what the model learned, gradients", "cycle_page"),
            ("Leave", "Stop watching; the run goes on", "back"),
        ] + self.chart_commands()


__all__ = ["Followed", "WatchScreen", "behind_text"]
