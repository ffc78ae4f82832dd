"""The training view: live charts, progress, and the controls of one run.

Training runs in a thread worker (:func:`ktui.ui.training_thread.run_training`) with a
:class:`TrainerControl`; its events come back through the screen's inbox (see
:class:`ktui.ui.messages.EventInbox`) into its :class:`RunHistory`, which the progress line
and the charts draw. A past run is shown by the
read-only subclass in :mod:`ktui.ui.screens.recorded_run`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import ContentSwitcher, Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ktui.core.events import Event, RunFailed, RunFinished, RunStarted, XlaPicked
from ktui.core.history import RunHistory
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.describe import headline
from ktui.core.text import clean
from ktui.core.training.control import TrainerControl
from ktui.ui.host import HostGetter
from ktui.ui.messages import EventInbox, RunRecording, TrainerEvents, TrainingCrashed
from ktui.ui.screens.chart_controls import ChartControls
from ktui.ui.screens.run_result import failure_text, finished_text, title_line
from ktui.ui.screens.training_controls import RunControls
from ktui.ui.screens.training_lr import IN_PROGRESS, STEERABLE, LiveLearningRate
from ktui.ui.screens.training_pages import GradientsPage, LearnedPage, PageTabs, TrainingPages
from ktui.ui.training_thread import run_training
from ktui.ui.widgets.charts import LossChart, LrChart, MetricChart, WeightsChart
from ktui.ui.widgets.charts.budget import NO_BUDGET, RedrawBudget
from ktui.ui.widgets.charts.grid import ChartGrid
from ktui.ui.widgets.progress import RunProgress


class TrainingScreen(RunControls, LiveLearningRate, TrainingPages, ChartControls):
    """One run of ``spec``; ``r`` runs it again from scratch; ``+``/``-``/``L`` steer its
    learning rate (see LiveLearningRate)."""

    BINDINGS = [
        Binding("r", "run", "Run", id="run"),
        # The same key while a run is in progress: says why nothing starts (not in the footer).
        Binding("r", "run_busy", "Run", show=False, id="run_busy"),
        Binding("space", "pause", "Pause", id="pause", tooltip="pause, or resume a paused run"),
        Binding("n", "step", "Step", id="step"),
        Binding("s", "stop", "Stop", id="stop"),
        Binding("L", "lr_set", "LR", id="lr_set"),
        # In the palette and the help (the footer is full at 80 columns; L is in it).
        Binding("plus", "lr_up", "LR ×2", id="lr_up", show=False),
        Binding("minus", "lr_down", "LR ÷2", id="lr_down", show=False),
        Binding("c", "cycle_chart", "Chart", id="cycle_chart"),
        Binding("l", "load_spec", "Load spec", id="load_spec"),
        # In the palette and the help; the footer is full at 80 columns.
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs", show=False),
        Binding("escape,b", "back", "Back", id="back", tooltip="back to setup"),
    ]

    #: The app's state (settings, compared runs, the train function), typed without importing
    #: the app (see ktui.ui.host).
    host = HostGetter()
    #: What the charts may spend on new data (see charts.budget; tests: none, as scripted).
    redraw_budget = NO_BUDGET
    #: The keys the footer was last asked to show (see refresh_bindings).
    _offered: tuple[object, ...] = ()

    def __init__(self, spec: ExperimentSpec) -> None:
        super().__init__()
        self.spec = spec
        #: The run as its events tell it (what the progress line and the charts draw).
        self.view = RunHistory(epochs=spec.train.epochs)
        self.control: TrainerControl | None = None
        #: The live run's events on their way from its thread (a new one for each run).
        self.inbox = EventInbox()
        self._progress_dirty = True
        #: Monotonic clock for elapsed time and ETA (the app's settings give it at mount; a
        #: test may replace it).
        self.clock: Callable[[], float] | None = None
        #: The run's directory: a live run's once the worker made it, a past run's (screenshots).
        self.run_dir: str | None = None

    def now(self) -> float:
        """The monotonic time, from the injected clock."""
        return (self.clock or self.host.settings.clock)()

    # ---- layout ---------------------------------------------------------------------------
    def title_text(self) -> Text:
        return title_line(self.spec.name, headline(self.spec))

    def shows_clocks(self) -> bool:
        """Whether the progress line shows rates, elapsed time and ETA."""
        return self.host.settings.timings

    def compose(self) -> ComposeResult:
        with Horizontal(id="title-bar"):
            yield Static(self.title_text(), id="run-title")
            yield PageTabs(id="page-tabs")
        yield RunProgress(clocks=self.shows_clocks(), id="progress")
        with ContentSwitcher(initial="charts", id="pages"):  # v: the next page
            with ChartGrid(id="charts"):
                yield LossChart(id="loss-chart")
                yield LrChart(id="lr-chart")
                yield WeightsChart(id="weights-chart")
                yield MetricChart(id="metric-chart")
            yield LearnedPage(self.spec.task, len(self.spec.dataset.class_names()), id="learned")
            yield GradientsPage(id="gradients")
        yield Static("", id="result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#result").display = False
        self.set_interval(1 / self.host.fps, self.flush)
        interval = self.host.settings.chart_min_interval
        self.redraw_budget = RedrawBudget() if interval is None else NO_BUDGET
        for chart in self.charts():
            if interval is not None:  # 0: every scripted point drawn, no race with a clock
                chart.min_interval = interval
            else:  # a slower screen (--fps 1: a thin link) redraws its charts less often too
                chart.min_interval = chart.data_interval * max(1.0, 2.0 / self.host.fps)
        self.watch(self.app, "tf_status", lambda _: self._touch(), init=False)
        self.bind_charts()
        self.layout_charts()
        self.show_first()
        self.show_comparison()
        self.flush()

    def show_first(self) -> None:
        """What the view shows before any event: the metric chart named after the spec."""
        self.query_one(MetricChart).set_names(self.spec.train.metrics)

    def on_screen_resume(self) -> None:
        self.show_comparison()

    def on_resize(self, event: Resize) -> None:
        self.layout_charts()

    def layout_charts(self) -> None:
        """As many charts as the terminal has room for (see ChartGrid)."""
        grid = self.query_one(ChartGrid)
        grid.lr_wanted = self.lr_chart_wanted()
        grid.fit(*self.size)
        self.refresh_bindings()

    def action_cycle_chart(self) -> None:
        if self.page == "learned":  # the confusion matrix or the gallery (training_pages)
            return self.action_cycle_view()
        self.query_one(ChartGrid).cycle(*self.size)
        self.refresh_bindings()
        self.flush()

    def show_comparison(self) -> None:
        """Overlay the runs marked in the runs list that trained on this run's dataset (a
        past run is not overlaid on itself); the others are counted as hidden."""
        if not self.is_mounted:
            return
        self.query_one(ChartGrid).show_compared(self.host.compared, self.own_run_name(),
                                                self.spec.dataset.kind)
        self.flush()

    def own_run_name(self) -> str | None:
        """The past run this view shows (never overlaid on itself); None for a live run."""
        return None

    def _hint(self, failed: bool = False) -> Text:
        return Text("\nb back to setup to change the experiment · r run again · q quit" if failed
                    else "\nr run again · b back to setup · q quit", style="dim")

    # ---- drawing (on a timer, only what changed) ----------------------------------------
    def _touch(self) -> None:
        self._progress_dirty = True

    def flush(self) -> None:
        """Redraw charts with new data and the progress text; called ``fps`` times a second."""
        self.take_events()  # the steps that came since the last frame
        if self.one(ChartGrid).lr_wanted != self.lr_chart_wanted():
            self.layout_charts()  # the learning rate began to move: its chart joins
        tick = time.monotonic()  # the charts' pace is real time, whatever the clock shown
        self.redraw_budget.refill(tick)
        # The chart that waited longest is offered the budget first, so none starves.
        for chart in sorted(self.charts(), key=lambda chart: chart.last_draw):
            if self.page_shows(chart):  # a hidden page draws nothing (training_pages)
                chart.flush(tick, self.redraw_budget)
        self.flush_pages()
        if self._progress_dirty or (self.view.state in IN_PROGRESS
                                    and self.host.settings.timings):
            self._progress_dirty = False
            self.one(RunProgress).show(self.view, self.host.tf_status, now=self.now())

    # ---- the worker -----------------------------------------------------------------------
    def start_run(self) -> None:
        if self.running:
            return
        self.view = RunHistory(state="starting", epochs=self.spec.train.epochs)
        self.bind_charts()
        self.run_dir = None
        self.query_one("#result").display = False
        self.control = TrainerControl()
        self.inbox = EventInbox()  # a stopped run's late events stay in its own
        self._lr_asked = None  # a new run: nothing asked of it yet
        self._set_state("starting")
        self._train(self.spec.copy(), self.control, self.inbox)

    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def _train(self, spec: ExperimentSpec, control: TrainerControl, inbox: EventInbox) -> None:
        worker = get_current_worker()
        host = self.host
        run_training(spec, control, post=self.post_message, inbox=inbox,
                     cancelled=lambda: worker.is_cancelled, train_fn=host.train_fn,
                     data_dir=host.data_dir, runs_dir=host.runs_dir)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The worker catches everything itself; this is the belt to those braces.
        if event.worker.group == "training" and event.state == WorkerState.ERROR:
            self._crashed(str(event.worker.error), "")

    def on_run_recording(self, message: RunRecording) -> None:
        self.run_dir = message.path
        path = Path(message.path)
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except (OSError, ValueError):
            pass
        self.view.run_dir = str(path)
        self._progress_dirty = True

    # ---- events from the worker -----------------------------------------------------------
    @property
    def result(self) -> RunFinished | RunFailed | None:
        """The run's last event, once it ended."""
        return self.view.result

    def bind_charts(self) -> None:
        """Point every chart at :attr:`view` (a new run's history)."""
        for chart in self.charts():
            chart.bind(self.view)

    def on_trainer_events(self, message: TrainerEvents) -> None:
        self.take_events()

    def take_events(self) -> None:
        """Apply every event waiting in the inbox, oldest first."""
        while (event := self.inbox.next()) is not None:
            self.handle_event(event)

    def handle_event(self, ev: Event) -> None:
        """Apply one event (also used by tests to drive the screen from a script)."""
        v = self.view
        was = v.state
        v.apply(ev, now=self.now())
        self.lr_event(ev)
        if isinstance(ev, RunStarted) and ev.warnings:  # your layers': kept in events.jsonl
            self.notify("\n".join(clean(w) for w in ev.warnings[:3]), severity="warning",
                        title=f"Your layers warned ({len(ev.warnings)})", timeout=10,
                        markup=False)
        if isinstance(ev, XlaPicked) and ev.tried:  # say what it found
            self.notify(clean(ev.reason), title=f"XLA {'on' if ev.xla else 'off'} (auto)",
                        timeout=8, markup=False)
        if isinstance(ev, RunStarted) and self.control and self.control.paused:
            v.pause(v.started_at or 0.0)  # paused before it started: say so at once
            v.state = "paused"
        if isinstance(ev, RunFinished):
            self._finish(ev)
        elif isinstance(ev, RunFailed):
            self._fail(ev)
        elif v.state != was:  # what the keys can do follows the state alone (check_action);
            # each refresh recomposes the footer: measured 21 KB of a 4-epoch run's output
            # when every view event (confusion, predictions) refreshed it
            self.refresh_bindings()
        self._progress_dirty = True

    def on_training_crashed(self, message: TrainingCrashed) -> None:
        self.take_events()  # what the run said before it crashed comes first
        self._crashed(message.error, message.details)

    def _finish(self, ev: RunFinished) -> None:
        self._set_state(ev.status)
        text = finished_text(ev, self.run_seconds(ev), self.view.test_samples)
        if ev.reason:  # ended by a rule: early stopping, a target, the time budget
            reason = clean(ev.reason)
            text.append(f"\n{reason[:1].upper()}{reason[1:]}", style="bold")
        text.append_text(self._hint())
        self._show_result(text, "-ok")

    def run_seconds(self, ev: RunFinished) -> float | None:
        """How long the run took, for the result line (None: not shown)."""
        return ev.seconds if self.host.settings.timings else None

    def _fail(self, ev: RunFailed) -> None:
        self._set_state("failed")
        text = failure_text(ev.kind, ev.message, ev.epoch, ev.step,
                            str(ev.details.get("user_traceback", "") or ""))
        text.append_text(self._hint(failed=True))
        self._show_result(text, "-failed")

    def _crashed(self, error: str, details: str) -> None:
        self.handle_event(RunFailed("error", error, details={"traceback": details}))
        if details:
            self.log.error(details)

    def _show_result(self, text: Text, cls: str) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        result.set_classes(cls)
        result.display = True
        self._progress_dirty = True
        for chart in self.charts():  # the run's last points now, not when the budget allows
            chart.draw_when_rendered()
        self.flush()

    def refresh_bindings(self) -> None:
        """Refresh the footer only when the keys it offers changed: Textual's Footer mounts
        all its keys again at every refresh (when a run starts, the same keys as while it
        was starting: a layout pass and the footer's row sent again)."""
        # the binding, not only its key: "r" is enabled both while a run is in progress
        # (saying so) and after (running again), two bindings the footer shows differently
        offered = (self.app.app_focus, *((key, binding, enabled, tooltip) for key, (
            _, binding, enabled, tooltip) in self.active_bindings.items()))
        if offered != self._offered:
            self._offered = offered
            super().refresh_bindings()

    def _set_state(self, state: str) -> None:
        self.view.state = state
        self._progress_dirty = True
        self.refresh_bindings()

    # ---- actions --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether a run is in progress here (quitting or leaving should ask first)."""
        return self.view.state in IN_PROGRESS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key from the footer: what cannot be done now is not offered."""
        if (on_page := self.page_action(action)) is not None:
            return on_page
        if action == "cycle_chart":
            return any(grid.mode != "all" for grid in self.query(ChartGrid))
        if action == "load_spec":
            return False
        if action == "open_runs":
            return None if self.running else True
        if action == "run":
            return not self.running
        if action == "run_busy":
            return self.running
        if action in ("pause", "step", "stop", "lr_up", "lr_down", "lr_set"):
            return self.view.state in STEERABLE
        return True

    def action_run(self) -> None:
        self.start_run()

    def action_run_busy(self) -> None:
        self.notify("A run is in progress: stop it (s) first.", title="Not now",
                    severity="warning")

    def action_load_spec(self) -> None:
        """A past run's (see RecordedRunScreen); a live run has no spec to load."""

    def palette_commands(self) -> list[tuple[str, str, str]]:
        return [
            ("Open a past run", "The runs list: open, load or compare past runs", "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the charts", "app.clear_compare"),
            ("Run", "Start training (again, from scratch)", "run"),
            ("Pause / resume", "Pause the run, or go on", "pause"),
            ("Single step", "While paused, run one batch", "step"),
            ("Stop", "Stop the run after this batch", "stop"),
            ("Double the learning rate", "From the next step (running or paused)", "lr_up"),
            ("Halve the learning rate", "From the next step (running or paused)", "lr_down"),
            ("Set the learning rate", "Type a learning rate for the next steps", "lr_set"),
            ("Next chart", "On a small terminal: show the next chart", "cycle_chart"),
            ("Next page", "Charts, what the model learned, gradients", "cycle_page"),
            *self.page_commands(),
            ("Back to setup", "Edit the experiment (the stack is kept)", "back"),
        ] + self.chart_commands()
