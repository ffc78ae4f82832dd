"""The ktui Textual app, and the factory shared by the CLI and the tests.

``make_app`` injects everything that must differ between a user's run and a snapshot test: the
train function (a scripted fake in tests), the redraw rate, and ``test_mode`` (no TensorFlow
warm-up, no clocks, no cursor blink, no animation) so screenshots are byte-for-byte stable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

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
                 test_mode: bool = False) -> None:
        super().__init__()
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
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            try:
                import tensorflow as tf

                tf.get_logger().setLevel("ERROR")
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
             test_mode: bool = False) -> KtuiApp:
    """The app for the CLI and the tests; ``spec`` defaults to the default preset."""
    return KtuiApp(spec if spec is not None else get_preset(DEFAULT_PRESET), start=start,
                   fps=fps, data_dir=data_dir, train_fn=train_fn, test_mode=test_mode)


def run_app(spec: ExperimentSpec | None, *, start: bool, fps: float,
            data_dir: str | None) -> int:
    """Run the TUI until the user quits; the CLI's exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = make_app(spec, start=start, fps=fps, data_dir=data_dir)
    app.run()
    return app.return_code or 0


__all__ = ["KtuiApp", "TrainFn", "make_app", "run_app"]
