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
from ktui.core.spec import ExperimentSpec, validate
from ktui.ui.commands import KtuiCommands
from ktui.ui.messages import TensorFlowStatus
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import TrainingScreen

#: ``train(spec, sink, control, *, data_dir=None) -> RunFinished | RunFailed``
TrainFn = Callable[..., RunFinished | RunFailed]


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
        if test_mode:
            self.animation_level = "none"

    def on_mount(self) -> None:
        if not self.test_mode:
            self.tf_status = "TensorFlow loading…"
            self._warm_up()
        problems = validate(self.spec) if self.start else []
        if self.start and not problems:
            # Straight to training; the setup view is built when the user goes back to it.
            self.open_training(start=True)
            return
        self.push_screen(SetupScreen())
        if problems:
            self.notify("\n".join(problems[:4]), title="Cannot start this experiment",
                        severity="error", timeout=10)

    def open_training(self, *, start: bool) -> TrainingScreen:
        screen = TrainingScreen(self.spec.copy())
        self.push_screen(screen)
        if start:
            screen.call_after_refresh(screen.start_run)
        return screen

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
