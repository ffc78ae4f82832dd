"""The ktui Textual app, and the factory shared by the CLI and the tests.

``make_app`` injects everything that must differ between a user's run and a snapshot test: the
train function (a scripted fake in tests), the redraw rate, and ``test_mode`` (no TensorFlow
warm-up, no clocks, no cursor blink, no animation) so screenshots are byte-for-byte stable.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.worker import get_current_worker

from ktui.core.events import RunFailed, RunFinished
from ktui.core.presets import DEFAULT_PRESET, get_preset
from ktui.core.runs import RunDir
from ktui.core.spec import ExperimentSpec, SpecError, validate
from ktui.ui.commands import KtuiCommands
from ktui.ui.messages import TensorFlowStatus
from ktui.ui.recorded import compared_run, load_recorded
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import RecordedRunScreen, TrainingScreen
from ktui.ui.widgets.charts import ComparedRun

#: ``train(spec, sink, control, *, data_dir=None) -> RunFinished | RunFailed``
TrainFn = Callable[..., RunFinished | RunFailed]

#: Past runs overlaid on the live charts at most (more would bury the live curves).
MAX_COMPARED = 3


class KtuiApp(App[int]):
    """Setup view first; the training view on top of it while a run is shown."""

    CSS_PATH = "ktui.tcss"
    TITLE = "ktui"
    COMMANDS = App.COMMANDS | {KtuiCommands}
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True, show=False, id="quit_now"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark,f1", "help", "Help", id="help"),
    ]

    #: "TensorFlow loading…", then "TensorFlow 2.21.0 ready" (shown in both views).
    tf_status: reactive[str] = reactive("")

    def __init__(self, spec: ExperimentSpec, *, start: bool = False, fps: float = 4.0,
                 data_dir: str | None = None, train_fn: TrainFn | None = None,
                 test_mode: bool = False, runs_dir: str | None = None) -> None:
        super().__init__()
        #: Where real runs are recorded (None: $KTUI_RUNS_DIR or ./ktui-runs).
        self.runs_dir = runs_dir
        self.spec = spec
        self.start = start
        self.fps = max(float(fps), 0.5)
        self.data_dir = data_dir
        self.train_fn = train_fn
        self.test_mode = test_mode
        #: Past runs overlaid on the live loss and metric charts (marked in the runs list).
        self.compared: list[ComparedRun] = []
        #: The spec file last saved or opened (the next dialog's default).
        self.spec_path: str = ""
        if test_mode:
            self.animation_level = "none"

    def on_mount(self) -> None:
        if not self.test_mode:
            self.tf_status = "TensorFlow loading…"
        problems = validate(self.spec) if self.start else []
        if self.start and not problems:
            # Straight to training; the setup view is built when the user goes back to it.
            self.open_training(start=True)
            return
        self.push_screen(SetupScreen())
        if problems:
            self.notify("\n".join(problems[:4]), title="Cannot start this experiment",
                        severity="error", timeout=10)

    def on_ready(self) -> None:
        """The first frame is on screen: only now start importing TensorFlow, whose import
        holds the GIL for seconds and would otherwise delay that frame (measured: 2.0-3.0 s
        to the first frame with the import racing it, 1.3 s without)."""
        if not self.test_mode:
            self._warm_up()

    def open_training(self, *, start: bool) -> TrainingScreen:
        screen = TrainingScreen(self.spec.copy())
        self.push_screen(screen)
        if start:
            screen.call_after_refresh(screen.start_run)
        return screen

    # ---- past runs ----------------------------------------------------------------------
    def action_open_runs(self) -> None:
        if not isinstance(self.screen, RunsScreen):
            self.push_screen(RunsScreen())

    def open_recorded(self, run: RunDir) -> TrainingScreen | None:
        """A past run's curves in a read-only training view (on top of the runs list)."""
        try:
            recorded = load_recorded(run)
        except Exception as err:  # load_recorded is tolerant; this is the last guard
            self.notify(f"{run.name}: {type(err).__name__}: {err}", title="Cannot open run",
                        severity="error")
            return None
        spec = recorded.spec or ExperimentSpec(name=run.name)
        screen = RecordedRunScreen(spec, recorded)
        self.push_screen(screen)
        return screen

    def load_run_spec(self, run: RunDir) -> None:
        try:
            spec = run.spec()
        except (SpecError, OSError) as err:
            self.notify(str(err).splitlines()[0], title="Cannot load its spec",
                        severity="error")
            return
        self.show_setup(spec, f"{run.name}/spec.toml")

    def show_setup(self, spec: ExperimentSpec, source: str) -> None:
        """Put ``spec`` in the setup view and go there (from the runs list or a past run)."""
        if any(isinstance(s, TrainingScreen) and s.running for s in self.screen_stack):
            self.notify("A run is in progress: stop it (s) first.", title="Not now",
                        severity="warning")
            return
        self.spec = spec
        while len(self.screen_stack) > 2 and not isinstance(self.screen, SetupScreen):
            self.pop_screen()
        if isinstance(self.screen, SetupScreen):
            self.screen.show_spec()
        else:
            self.switch_screen(SetupScreen())
        self.notify(f"from {source}", title=f"Loaded {spec.name}", timeout=4)

    def compared_names(self) -> list[str]:
        return [c.name for c in self.compared]

    def toggle_compare(self, run: RunDir) -> bool:
        """Mark or unmark ``run`` for the overlay; False when three are already marked."""
        names = self.compared_names()
        if run.name in names:
            del self.compared[names.index(run.name)]
        elif len(self.compared) >= MAX_COMPARED:
            self.notify(f"At most {MAX_COMPARED} runs; unmark one (space) or clear (c).",
                        title="Comparing", severity="warning")
            return False
        else:
            self.compared.append(compared_run(run))
        self._comparison_changed()
        return True

    def action_clear_compare(self) -> None:
        if self.compared:
            self.compared = []
            self._comparison_changed()
            self.notify("No past runs overlaid now.", title="Comparison cleared", timeout=3)

    def _comparison_changed(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, TrainingScreen):
                screen.show_comparison()
            elif isinstance(screen, RunsScreen) and screen.is_mounted:
                screen.reload()

    # ---- TensorFlow warm-up ------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="warmup")
    def _warm_up(self) -> None:
        """Import TensorFlow off the UI thread so the first run starts sooner."""
        worker = get_current_worker()

        def target() -> None:
            try:
                from ktui.core.tfenv import import_tf

                tf = import_tf()
                self.post_message(TensorFlowStatus(f"TensorFlow {tf.__version__} ready", True))
            except Exception as err:  # shown, the setup view still works
                self.post_message(TensorFlowStatus(f"TensorFlow unavailable: {err}", False))

        thread = threading.Thread(target=target, name="ktui-tf-import", daemon=True)
        thread.start()
        while thread.is_alive() and not worker.is_cancelled:
            thread.join(0.1)

    def on_tensor_flow_status(self, message: TensorFlowStatus) -> None:
        self.tf_status = message.text

    # ---- actions --------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, TrainingScreen):
                screen.stop_run()
        self.exit(0)


def make_app(spec: ExperimentSpec | None = None, *, start: bool = False, fps: float = 4.0,
             data_dir: str | None = None, train_fn: TrainFn | None = None,
             test_mode: bool = False, runs_dir: str | None = None) -> KtuiApp:
    """The app for the CLI and the tests; ``spec`` defaults to the default preset."""
    return KtuiApp(spec if spec is not None else get_preset(DEFAULT_PRESET), start=start,
                   fps=fps, data_dir=data_dir, train_fn=train_fn, test_mode=test_mode,
                   runs_dir=runs_dir)


def run_app(spec: ExperimentSpec | None, *, start: bool, fps: float,
            data_dir: str | None, runs_dir: str | None = None) -> int:
    """Run the TUI until the user quits; the CLI's exit code."""
    with native_stderr_to_log():
        app = make_app(spec, start=start, fps=fps, data_dir=data_dir, runs_dir=runs_dir)
        app.run()
    return app.return_code or 0


@contextlib.contextmanager
def native_stderr_to_log() -> Iterator[None]:
    """Let Textual draw on a private copy of the terminal's stderr, and point file
    descriptor 2 at a log file while the app runs.

    TensorFlow's C++ runtime writes warnings straight to fd 2, whatever Python's
    ``sys.stderr`` is; on the terminal Textual draws on (stderr), they would tear the
    screen. Textual takes ``sys.__stderr__`` when the app is created, so it must be swapped
    before. The log is ``$XDG_CACHE_HOME/ktui/native-stderr.log`` (or ~/.cache/...).
    """
    if not sys.__stderr__ or not sys.__stderr__.isatty():
        yield
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ktui"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(cache / "native-stderr.log",
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:
        log_fd = os.open(os.devnull, os.O_WRONLY)
    original = sys.__stderr__
    tty_fd = os.dup(2)
    tty = os.fdopen(tty_fd, "w", encoding=original.encoding, errors=original.errors)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.__stderr__ = sys.stderr = tty
    try:
        yield
    finally:
        tty.flush()
        os.dup2(tty_fd, 2)
        sys.__stderr__ = sys.stderr = original
        tty.close()


__all__ = ["KtuiApp", "TrainFn", "make_app", "run_app"]
