"""The training view: live charts, progress, and the controls of one run.

Training runs in a Textual thread worker that calls the app's train function with a
:class:`TrainerControl`; events come back as messages. The worker runs the train function in a
daemon thread and only waits for it, polling for cancellation: on quit it asks the trainer to
stop and gives it a moment, but never keeps the process (and the terminal) waiting on a long
TensorFlow call.
"""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ktui.core.control import TrainerControl
from ktui.core.events import (
    EpochDone,
    Evaluating,
    Event,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
)
from ktui.core.spec import ExperimentSpec
from ktui.ui.messages import RunRecording, StepProgress, TrainerEvent, TrainingCrashed
from ktui.ui.recorded import Recorded
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.widgets.charts import (
    Chart,
    ComparedRun,
    LossChart,
    MetricChart,
    WeightsChart,
    step_position,
)
from ktui.ui.widgets.progress import RunProgress, RunView

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

#: How long a stopping trainer gets to finish its batch before the worker lets go of it.
STOP_GRACE_S = 0.8
#: Below this many rows the three charts would be ~3 rows tall: show fewer, bigger ones.
SHORT_ROWS = 30
#: Below this many columns two charts side by side would be too narrow: show one.
NARROW_COLS = 100
CHART_IDS = ("loss-chart", "weights-chart", "metric-chart")

FAIL_TITLES = {
    "nan": "The loss became NaN or infinite",
    "data": "The dataset could not be loaded",
    "spec": "The experiment cannot be built",
    "io": "The run directory could not be written",
    "resources": "Out of memory",
    "error": "Training failed",
}
#: Clauses of a failure message that only restate its title (the title is shown already).
_RESTATED = re.compile(r"(the )?loss (is|became) (nan|inf)", re.IGNORECASE)
#: The states of a run in progress (``running`` is true in each).
IN_PROGRESS = ("starting", "running", "paused", "stopping", "evaluating")


def failure_text(kind: str, message: str, epoch: int = 0, step: int = 0) -> Text:
    """The title of a failure on one line, then only what the message adds to it.

    The trainer's NaN message begins "the loss became NaN or infinite at epoch 2, step 3; ...",
    which the title and its "(epoch 2, step 3)" already say.
    """
    title = FAIL_TITLES.get(kind, "Training failed")
    text = Text()
    text.append(f"✘ {title}", style="bold red")
    if epoch or step:
        text.append(f" (epoch {epoch}, step {step})")
    clauses = [c.strip() for c in re.split(r"(?<=[;.])\s+", message.strip()) if c.strip()]
    kept = [c for c in clauses
            if not (c.lower().startswith(title.lower()) or _RESTATED.match(c))]
    details = " ".join(kept).strip()
    if details:
        details = details[0].upper() + details[1:]
        text.append(f"\n{details}")
    return text


class TrainingScreen(Screen[None]):
    """One run of ``spec``; ``r`` runs it again from scratch.

    With ``recorded`` it shows a past run instead, read-only: the same charts rebuilt from the
    run directory's logs, ``l`` to load its spec and ``b`` back to the runs list.
    """

    BINDINGS = [
        Binding("r", "run", "Run", id="run"),
        # The same key while a run is in progress: says why nothing starts (not in the footer).
        Binding("r", "run_busy", "Run", show=False, id="run_busy"),
        Binding("space", "pause", "Pause/Resume", id="pause"),
        Binding("n", "step", "Step", id="step"),
        Binding("s", "stop", "Stop", id="stop"),
        Binding("c", "cycle_chart", "Chart", id="cycle_chart"),
        Binding("l", "load_spec", "Load spec", id="load_spec"),
        # In the palette and the help; the footer is full at 80 columns.
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs", show=False),
        Binding("escape,b", "back", "Setup", id="back"),
    ]

    def __init__(self, spec: ExperimentSpec, *, recorded: Recorded | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.recorded = recorded
        self.view = RunView(epochs=spec.train.epochs)
        self.control: TrainerControl | None = None
        self.result: RunFinished | RunFailed | None = None
        self._progress_dirty = True
        #: Monotonic clock for elapsed time and ETA (a test may replace it).
        self.clock: Callable[[], float] = time.monotonic
        #: Which chart a short terminal shows (``c`` cycles).
        self.chart_index = 0
        #: "all" (three charts), "pair" (loss + one) or "one", from the terminal's size.
        self.chart_mode = "all"
        #: The live run's directory once the worker created it (screenshots go there).
        self.run_dir: str | None = None

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        title = Text()
        if self.recorded:
            title.append(f" {self.recorded.run.name} ", style="bold reverse")
            title.append(" recorded run, read-only", style="bold magenta")
            title.append(f"  {self.spec.description}", style="dim")
        else:
            title.append(f" {self.spec.name} ", style="bold reverse")
            title.append(f" {self.spec.description}", style="dim")
        yield Static(title, id="run-title")
        yield RunProgress(clocks=not (self.ktui.test_mode or self.recorded), id="progress")
        with Grid(id="charts"):
            yield LossChart(id="loss-chart")
            yield WeightsChart(id="weights-chart")
            yield MetricChart(id="metric-chart")
        yield Static("", id="result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#result").display = False
        self.set_interval(1 / self.ktui.fps, self.flush)
        if self.ktui.test_mode:  # every scripted point is drawn: snapshots must not race a clock
            for chart in self.charts():
                chart.min_interval = 0.0
        self.watch(self.app, "tf_status", lambda _: self._touch(), init=False)
        self.layout_charts()
        if self.recorded:
            self._replay(self.recorded)
        else:
            self.query_one(MetricChart).set_names(self.spec.train.metrics)
        self.show_comparison()
        self.flush()

    def on_screen_resume(self) -> None:
        self.show_comparison()

    def on_resize(self, event: Resize) -> None:
        self.layout_charts()

    def charts(self) -> list[Chart]:
        return list(self.query(Chart))

    def layout_charts(self) -> None:
        """Three charts when there is room; on a short terminal (80x24) two side by side, or
        one when it is narrow too, each at least ~8 rows tall, ``c`` showing the next."""
        width, height = self.size
        if not height:
            return
        mode = "all" if height >= SHORT_ROWS else ("pair" if width >= NARROW_COLS else "one")
        self.chart_mode = mode
        grid = self.query_one("#charts", Grid)
        grid.set_class(mode == "pair", "-pair")
        grid.set_class(mode == "one", "-one")
        if mode == "all":
            shown = set(CHART_IDS)
        elif mode == "pair":
            shown = {"loss-chart", CHART_IDS[1 + self.chart_index % 2]}
        else:
            shown = {CHART_IDS[self.chart_index % 3]}
        for chart in self.charts():
            if chart.display != (chart.id in shown):
                chart.display = chart.id in shown
                chart.mark_dirty()
        self.refresh_bindings()

    def action_cycle_chart(self) -> None:
        self.chart_index += 1
        self.layout_charts()
        self.flush()

    def show_comparison(self) -> None:
        """Overlay the runs marked in the runs list that trained on this run's dataset (a
        past run is not overlaid on itself); the others are counted as hidden."""
        if not self.is_mounted:
            return
        own = self.recorded.run.name if self.recorded else None
        kind = self.spec.dataset.kind
        runs: list[ComparedRun] = []
        hidden = 0
        for run in self.ktui.compared:
            if run.name == own:
                continue
            if run.dataset and run.dataset != kind:
                hidden += 1
            else:
                runs.append(run)
        for chart in (self.query_one(LossChart), self.query_one(MetricChart)):
            chart.set_compared(runs, hidden)
        self.flush()

    def _replay(self, recorded: Recorded) -> None:
        """Draw a past run: its logged events, through the same path as live ones."""
        for event in recorded.events:
            try:
                self.handle_event(event)
            except Exception as err:  # one odd event must not hide the rest of the run
                self.log.error(f"replaying {event!r}: {err}")
            if isinstance(event, RunStarted) and not recorded.streamed:
                self.view.test_samples = None  # rebuilt from the spec: sizes unknown
        if self.result is None:  # no ending logged: say what the summary knows
            status = recorded.status
            self._set_state(status)
            text = Text()
            done = self.view.epochs_done
            if status == "interrupted":
                text.append(f"Interrupted after {done} epoch{'s' * (done != 1)}",
                            style="bold yellow")
                text.append(f": the process that ran it is gone; `ktui train --resume "
                            f"{recorded.run.name}` continues it")
            elif status == "running":
                text.append(f"Still running elsewhere: {done} epoch{'s' * (done != 1)} so far",
                            style="bold cyan")
            else:
                text.append(f"Status {status}: {done} epoch{'s' * (done != 1)} logged",
                            style="bold yellow")
            text.append_text(self._hint())
            self._show_result(text, "-failed" if status == "unknown" else "-ok")

    def _hint(self, failed: bool = False) -> Text:
        notes = self.recorded.notes if self.recorded else []
        text = Text()
        for note in notes[:2]:
            text.append(f"\n⚠ {note}", style="yellow")
        if self.recorded:
            text.append("\nl load its spec into setup · b back to the runs · q quit", style="dim")
        elif failed:
            text.append("\nb back to setup to change the experiment · r run again · q quit",
                        style="dim")
        else:
            text.append("\nr run again · b back to setup · q quit", style="dim")
        return text

    # ---- drawing (on a timer, only what changed) ----------------------------------------
    def _touch(self) -> None:
        self._progress_dirty = True

    def flush(self) -> None:
        """Redraw charts with new data and the progress text; called ``fps`` times a second."""
        for chart in self.charts():
            if chart.display:
                chart.flush()
        if self._progress_dirty or (self.view.state in IN_PROGRESS
                                    and not self.ktui.test_mode):
            self._progress_dirty = False
            self.query_one(RunProgress).show(self.view, self.ktui.tf_status, now=self.clock())

    # ---- the worker -----------------------------------------------------------------------
    def start_run(self) -> None:
        if self.running:
            return
        for chart in self.charts():
            chart.reset()
        self.view = RunView(state="starting", epochs=self.spec.train.epochs)
        self.result = None
        self.run_dir = None
        self.query_one("#result").display = False
        self.control = TrainerControl()
        self._set_state("starting")
        self._train(self.spec.copy(), self.control)

    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def _train(self, spec: ExperimentSpec, control: TrainerControl) -> None:
        worker = get_current_worker()
        train_fn = self.ktui.train_fn
        data_dir = self.ktui.data_dir
        final: list[Event] = []
        box: dict[str, Any] = {}
        mergeable = not self.ktui.test_mode

        def sink(event: Event) -> None:
            if isinstance(event, StepDone):
                self.post_message(StepProgress(event, mergeable))
            else:
                if isinstance(event, (RunFinished, RunFailed)):
                    final.append(event)
                self.post_message(TrainerEvent(event))

        def target() -> None:
            try:
                if train_fn is not None:
                    box["result"] = train_fn(spec, sink, control, data_dir=data_dir)
                    return
                from ktui.core.runs import RunDir, RunError, runs_root
                from ktui.core.trainer import train

                try:
                    run_dir = RunDir.create(runs_root(self.ktui.runs_dir), spec)
                except RunError as err:  # the run-dir problem, said plainly, as a failure
                    sink(RunFailed("io", str(err)))
                    return
                self.post_message(RunRecording(str(run_dir.path)))
                box["result"] = train(spec, sink, control, data_dir=data_dir, run_dir=run_dir)
            except BaseException as err:  # shown on screen, never fatal
                box["error"] = err
                box["trace"] = traceback.format_exc()

        thread = threading.Thread(target=target, name="ktui-train", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(0.05)
            if worker.is_cancelled:
                control.stop()
                thread.join(STOP_GRACE_S)
                return
        if "error" in box:
            err = box["error"]
            self.post_message(TrainingCrashed(f"{type(err).__name__}: {err}", box["trace"]))
        elif not final:
            result = box.get("result")
            if isinstance(result, (RunFinished, RunFailed)):
                self.post_message(TrainerEvent(result))
            else:
                self.post_message(TrainingCrashed(
                    f"the trainer ended without a final event (returned {result!r})"))

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
    def on_step_progress(self, message: StepProgress) -> None:
        ev = message.event
        v = self.view
        v.step, v.steps_per_epoch, v.global_step = ev.step, ev.steps_per_epoch, ev.global_step
        v.step_loss, v.steps_per_s = ev.loss, ev.steps_per_s
        if v.state == "starting":
            self._set_state("running")
        self.query_one(LossChart).add_step(step_position(ev), ev.loss)
        self._progress_dirty = True

    def on_trainer_event(self, message: TrainerEvent) -> None:
        self.handle_event(message.event)

    def handle_event(self, ev: Event) -> None:
        """Apply one event (also used by tests to drive the screen from a script)."""
        if isinstance(ev, StepDone):
            self.on_step_progress(StepProgress(ev))
            return
        v = self.view
        if isinstance(ev, RunStarted):
            v.epochs, v.epochs_done = ev.epochs, ev.start_epoch
            v.steps_per_epoch = ev.steps_per_epoch
            v.global_step = v.start_step = ev.start_epoch * ev.steps_per_epoch
            v.test_samples = ev.test_samples
            v.started_at = self.clock()
            self.query_one(WeightsChart).start(ev)
            self.query_one(MetricChart).start(ev)
            self._set_state("paused" if self.control and self.control.paused else "running")
            if v.state == "paused":
                v.pause(v.started_at)
        elif isinstance(ev, EpochDone):
            v.epochs_done += 1
            v.loss, v.val_loss = ev.loss, ev.val_loss
            v.metrics, v.val_metrics = dict(ev.metrics), dict(ev.val_metrics)
            v.global_step = max(v.global_step, v.epochs_done * v.steps_per_epoch)
            v.step = v.steps_per_epoch
            x = float(v.epochs_done)
            self.query_one(LossChart).add_epoch(x, ev.loss, ev.val_loss)
            self.query_one(WeightsChart).add_epoch(x, ev)
            self.query_one(MetricChart).add_epoch(x, ev)
        elif isinstance(ev, Paused):
            v.pause(self.clock())
            self._set_state("paused")
        elif isinstance(ev, Resumed):
            v.resume(self.clock())
            self._set_state("running")
        elif isinstance(ev, Evaluating):
            self._set_state("evaluating")
        elif isinstance(ev, RunFinished):
            self._finish(ev)
        elif isinstance(ev, RunFailed):
            self._fail(ev)
        self._progress_dirty = True

    def on_training_crashed(self, message: TrainingCrashed) -> None:
        self._crashed(message.error, message.details)

    def _finish(self, ev: RunFinished) -> None:
        self.result = ev
        self.view.end(self.clock())
        self._set_state(ev.status)
        done = ev.epochs_done
        text = Text()
        if ev.status == "finished":
            text.append(f"✔ Finished after {done} epoch{'s' * (done != 1)}", style="bold green")
        elif done:
            text.append(f"■ Stopped after {done} epoch{'s' * (done != 1)}", style="bold yellow")
        else:
            text.append("■ Stopped before the first epoch ended", style="bold yellow")
        if self.recorded:
            seconds = self.recorded.summary.seconds
            if seconds > 0:
                text.append(f" in {seconds:.1f} s", style="dim")
        elif not self.ktui.test_mode:
            text.append(f" in {ev.seconds:.1f} s", style="dim")
        if ev.test:
            text.append("   test: ", style="bold")
            text.append("  ".join(f"{k} {v:.4g}" for k, v in ev.test.items()))
        elif self.view.test_samples == 0:
            text.append("   (no test set)", style="dim")
        elif ev.status == "stopped":
            text.append(" — test set not evaluated (it runs at the end of the last epoch)",
                        style="dim")
        text.append_text(self._hint())
        self._show_result(text, "-ok")

    def _fail(self, ev: RunFailed) -> None:
        self.result = ev
        self.view.end(self.clock())
        self._set_state("failed")
        text = failure_text(ev.kind, ev.message, ev.epoch, ev.step)
        text.append_text(self._hint(failed=True))
        self._show_result(text, "-failed")

    def _crashed(self, error: str, details: str) -> None:
        self._fail(RunFailed("error", error, details={"traceback": details}))
        if details:
            self.log.error(details)

    def _show_result(self, text: Text, cls: str) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        result.set_classes(cls)
        result.display = True
        self._progress_dirty = True
        self.flush()

    def _set_state(self, state: str) -> None:
        self.view.state = state
        self._progress_dirty = True
        self.refresh_bindings()

    # ---- actions --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether a run is in progress here (quitting or leaving should ask first)."""
        return not self.recorded and self.view.state in IN_PROGRESS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False hides a key from the footer: what cannot be done now is not offered."""
        if action == "cycle_chart":
            return self.chart_mode != "all"
        if self.recorded:  # a past run: nothing to run or control
            return action not in ("run", "run_busy", "pause", "step", "stop", "open_runs")
        if action == "load_spec":
            return False
        if action == "open_runs":
            return None if self.running else True
        if action == "run":
            return not self.running
        if action == "run_busy":
            return self.running
        if action in ("pause", "step", "stop"):
            return self.view.state in ("starting", "running", "paused")
        return True

    def action_run(self) -> None:
        if not self.recorded:
            self.start_run()

    def action_run_busy(self) -> None:
        self.notify("A run is in progress: stop it (s) first.", title="Not now",
                    severity="warning")

    def action_load_spec(self) -> None:
        if self.recorded:
            self.ktui.load_run_spec(self.recorded.run)

    def action_pause(self) -> None:
        if not self.control or not self.running:
            return
        if self.control.paused:
            self.control.resume()
        else:
            self.control.pause()

    def action_step(self) -> None:
        if self.control and self.running:
            self.control.step(1)

    def action_stop(self) -> None:
        if self.control and self.running:
            self.control.stop()
            self._set_state("stopping")

    def stop_run(self) -> None:
        """Ask the trainer to stop and let the worker go (used on back and quit)."""
        if self.control:
            self.control.stop()
        self.workers.cancel_group(self, "training")

    def action_back(self) -> None:
        if self.recorded:
            self.app.pop_screen()
            return
        if self.running:
            self.app.push_screen(
                ConfirmScreen("Stop the run and go back to setup? It is recorded as stopped.",
                              yes="Stop it", no="Keep training"),
                self._back_confirmed)
            return
        self._go_back()

    def _back_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._go_back()

    def _go_back(self) -> None:
        self.stop_run()
        stack = self.app.screen_stack
        if len(stack) >= 2 and type(stack[-2]).__name__ == "SetupScreen":
            self.app.pop_screen()
        else:  # started straight into training: the setup view is built only now
            from ktui.ui.screens.setup import SetupScreen

            self.app.switch_screen(SetupScreen())

    def palette_commands(self) -> list[tuple[str, str, str]]:
        if self.recorded:
            return [
                ("Load spec", "Load this run's experiment into setup", "load_spec"),
                ("Back to runs", "The list of past runs", "back"),
            ]
        return [
            ("Open a past run", "The runs list: open, load or compare past runs",
             "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the charts",
             "app.clear_compare"),
            ("Run", "Start training (again, from scratch)", "run"),
            ("Pause / resume", "Pause the run, or go on", "pause"),
            ("Single step", "While paused, run one batch", "step"),
            ("Stop", "Stop the run after this batch", "stop"),
            ("Next chart", "On a small terminal: show the next chart", "cycle_chart"),
            ("Back to setup", "Edit the experiment (the stack is kept)", "back"),
        ]


class RecordedRunScreen(TrainingScreen):
    """A past run, read-only: ``l`` loads its spec, ``b`` goes back to the runs list."""

    BINDINGS = [
        Binding("l", "load_spec", "Load spec", id="load_spec"),
        Binding("escape,b", "back", "Runs", id="back"),
    ]

    def __init__(self, spec: ExperimentSpec, recorded: Recorded) -> None:
        super().__init__(spec, recorded=recorded)
