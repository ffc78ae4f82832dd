"""The ktui Textual app, and the factory shared by the CLI and the tests.

``make_app`` injects everything that must differ between a user's run and a snapshot test: the
train function (a scripted fake in tests), the redraw rate, and the :class:`AppSettings` (clock,
timings shown, TensorFlow warm-up, cursor blink, animations, ...; see ``ktui.ui.settings``), so
screenshots can be byte-for-byte stable without production code asking "am I under test?".

The app knows every screen; the screens never import it: they read its state and ask it to
act through :class:`ktui.ui.host.KtuiHost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from ktui.core.runs import RunDir
from ktui.core.runs.replay import load_recorded
from ktui.core.spec import ExperimentSpec, SpecError, validate
from ktui.core.spec.presets import DEFAULT_PRESET, get_preset
from ktui.ui.commands import KtuiCommands, with_keys
from ktui.ui.compared import ComparedRun
from ktui.ui.comparing import Comparing
from ktui.ui.messages import TensorFlowStatus
from ktui.ui.safety import ErrorNet, SurvivingApp, display_path, install_dispatch_guard
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screenshots import free_name, screenshot_folder
from ktui.ui.settings import DEFAULT_SETTINGS, AppSettings, session_settings
from ktui.ui.shutdown import install_signal_handlers, wait_for_trainers
from ktui.ui.stderr import native_stderr_to_log
from ktui.ui.training_thread import TrainFn
from ktui.ui.views import help_screen, is_help, is_training, recorded_run_screen, training_screen
from ktui.ui.watching import Watching, open_watch
from ktui.ui.web_keys import InBrowser

if TYPE_CHECKING:  # the training views are imported when first used (see ktui.ui.views)
    from ktui.ui.screens.training import TrainingScreen

class KtuiApp(SurvivingApp, Watching, Comparing, InBrowser, App[int]):
    """Setup view first; the training view on top of it while a run is shown.

    A bug in a handler is logged and shown instead of ending the app (SurvivingApp,
    ktui.ui.safety)."""

    CSS_PATH = "ktui.tcss"
    TITLE = "ktui"
    COMMANDS = App.COMMANDS | {KtuiCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit",
                tooltip="quit (asks first while a run is in progress)"),
        Binding("ctrl+c", "quit_now", "Quit now", priority=True, show=False, id="quit_now",
                tooltip="quit now (a run still stops after its batch)"),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("f12", "screenshot", "Screenshot", show=False, id="screenshot",
                tooltip="SVG screenshot, saved in the run's folder or here"),
    ]

    #: "TensorFlow loading…", then "TensorFlow 2.21.0 ready" (shown in both views).
    tf_status: reactive[str] = reactive("")

    def __init__(self, spec: ExperimentSpec, *, start: bool = False, fps: float = 4.0,
                 data_dir: str | None = None, train_fn: TrainFn | None = None,
                 settings: AppSettings = DEFAULT_SETTINGS,
                 runs_dir: str | None = None, watch: RunDir | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.watch_run = watch  # ktui watch: the run it opens on
        #: Where real runs are recorded (None: $KTUI_RUNS_DIR or ./ktui-runs).
        self.runs_dir = runs_dir
        self.spec = spec
        self.start = start
        # NaN would compare false everywhere: no redraw ever, and a busy loop (issue 8).
        fps = float(fps)
        self.fps = min(max(fps, 0.5), 60.0) if fps == fps else 4.0  # fps != fps: NaN
        self.data_dir = data_dir
        self.train_fn = train_fn
        #: Past runs overlaid on the live loss and metric charts (marked in the runs list).
        self.compared: list[ComparedRun] = []
        #: The spec file last saved or opened (the next dialog's default).
        self.spec_path: str = ""
        if not settings.animations:
            self.animation_level = "none"
        #: Handler errors are logged and shown instead of ending the app (see ui/safety.py).
        self.error_net = ErrorNet(self.notify)
        self.reraise_internal_errors = settings.reraise_internal_errors
        install_dispatch_guard()
        #: The loop a signal handler hands its work to, and a signal that came before it ran.
        self._signal_loop: asyncio.AbstractEventLoop | None = None
        self._pending_signal: int | None = None

    @property
    def exiting(self) -> bool:
        """True from ``exit()`` on (and while Textual closes the screens): nothing may open,
        answer or look up a screen any more."""
        return self.exit_requested or not self.is_running

    async def on_event(self, event: events.Event) -> None:
        """Drop input once the app is exiting. A key still queued when the screens are closed
        (``run_test`` closes an app that has not handled its keys yet, e.g. on a loaded
        machine) reaches Textual's key handling, which reads ``self.screen`` and raises
        ``ScreenStackError`` on the emptied stack; and no key after ``exit()`` should open
        or answer a screen that is going away. Every key from the terminal comes to the app
        first, so this one check covers them all."""
        if isinstance(event, events.InputEvent) and self.exiting:
            return
        await super().on_event(event)

    def on_load(self) -> None:
        self._signal_loop = asyncio.get_running_loop()
        if self._pending_signal is not None:
            self.call_later(self._quit_for_signal, self._pending_signal)

    def on_mount(self) -> None:
        if self.settings.warm_up_tf:
            self.tf_status = "TensorFlow loading…"
        if self.watch_run is not None:
            open_watch(self, self.watch_run, first=True)
            return
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
        if self.settings.warm_up_tf:
            self._warm_up()
        self.error_net.armed = True  # from now on a handler's bug is survived

    # ---- the views ------------------------------------------------------------------------
    def open_training(self, *, start: bool) -> TrainingScreen:
        screen = training_screen(self.spec.copy())
        self.push_screen(screen)
        if start:
            screen.call_after_refresh(screen.start_run)
        return screen

    def back_to_setup(self) -> None:
        """From the training view: to the setup view under it, or a new one when the app
        started straight into training."""
        stack = self.screen_stack
        if len(stack) >= 2 and isinstance(stack[-2], SetupScreen):
            self.pop_screen()
        else:
            self.switch_screen(SetupScreen())

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
                        severity="error", markup=False)
            return None
        spec = recorded.spec or ExperimentSpec(name=run.name)
        screen = recorded_run_screen(spec, recorded)
        self.push_screen(screen)
        return screen

    def load_run_spec(self, run: RunDir) -> None:
        try:
            spec = run.spec()
        except (SpecError, OSError, ValueError) as err:  # ValueError: not UTF-8 text
            first = (str(err).splitlines() or [type(err).__name__])[0]
            self.notify(f"{run.spec_file}: {first}" if run.name not in first else first,
                        title="Cannot load its spec", severity="error", markup=False)
            return
        self.show_setup(spec, f"{run.name}/spec.toml")

    def show_setup(self, spec: ExperimentSpec, source: str) -> None:
        """Put ``spec`` in the setup view and go there (from the runs list or a past run)."""
        if self.run_in_progress():
            self.notify("A run is in progress: stop it (s) first.", title="Not now",
                        severity="warning")
            return
        setup = next((s for s in self.screen_stack if isinstance(s, SetupScreen)), None)
        if setup is not None:  # it asks first when that would replace the user's edits
            setup.load_spec(spec, source)
            return
        self.spec = spec
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(SetupScreen())
        self.notify(f"from {source}", title=f"Loaded {spec.name}", timeout=4)

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
        if not is_help(self.screen):
            self.push_screen(help_screen(type(self.screen)))

    def run_in_progress(self) -> bool:
        return any(is_training(s) and s.running for s in self.screen_stack)

    async def action_quit(self) -> None:
        """``q`` and the palette's Quit: asks first while a run is in progress."""
        if isinstance(self.screen, ConfirmScreen):
            return  # already asking
        if not self.run_in_progress():
            self.quit_now()
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.quit_now()

        self.push_screen(ConfirmScreen("A run is in progress. Stop it and quit?",
                                       yes="Stop and quit", no="Keep training"), answered)

    def action_quit_now(self) -> None:
        """``ctrl+c``: no question, but the trainer still stops cleanly after its batch."""
        self.stop_runs("Ctrl+C")  # the first reason given is the one recorded
        self.quit_now()

    def quit_now(self, return_code: int = 0) -> None:
        words = {129: "SIGHUP (terminal closed)", 143: "SIGTERM"}
        self.stop_runs(words.get(return_code, "the TUI was quit"))
        self.exit(return_code, return_code=return_code)

    def stop_runs(self, reason: str = "the TUI was quit") -> None:
        """Ask every trainer to stop after its batch (it records ``stopped`` and saves the
        model; :func:`run_app` waits for that after the screen is restored)."""
        for screen in self.screen_stack:
            if is_training(screen):
                screen.stop_run(reason)

    # ---- signals (installed by run_app) ----------------------------------------------------
    def stop_from_signal(self, signum: int) -> None:
        """SIGTERM/SIGHUP: quit like ``ctrl+c``. Runs inside a signal handler on the main
        thread, so it only hands the work to the event loop (thread-safe, wakes it up)."""
        loop = self._signal_loop
        if loop is None or loop.is_closed():
            self._pending_signal = signum  # on_load picks it up
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to stop
            loop.call_soon_threadsafe(self._quit_for_signal, signum)

    def _quit_for_signal(self, signum: int) -> None:
        # A plain loop callback: queue the quit as a message, handled in the app's context.
        self.call_later(self.quit_now, 128 + signum)

    # ---- palette and screenshots ------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands (Theme, Quit, Keys, Maximize), ktui's Help and a Screenshot that
        saves where :meth:`deliver_screenshot` says, each with its key from the bindings."""
        actions = {"Quit": "quit", "Help": "help", "Screenshot": "screenshot"}
        commands = [c for c in super().get_system_commands(screen) if c.title != "Screenshot"]
        commands.append(SystemCommand("Help", "Show the keys of every view", self.action_help))
        commands.append(SystemCommand(
            "Screenshot", "Save an SVG of the screen in the run's folder, else here",
            lambda: self.set_timer(0.1, self.deliver_screenshot)))
        for command in commands:
            action = actions.get(command.title)
            if command.title == "Quit":
                command = command._replace(help="Stop any training and leave ktui")
            if action:
                command = command._replace(help=with_keys(command.help, screen, self, action))
            yield command

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Save an SVG of the screen with an explicit folder and name and say where it went
        (see ktui.ui.screenshots). In a browser (textual-serve) the file is still handed to
        the browser."""
        if self.is_web:
            return super().deliver_screenshot(filename, path, time_format)
        folder = Path(path) if path else screenshot_folder(self.screen_stack)
        in_run = folder != Path.cwd()
        name = filename or free_name(folder, "screen" if in_run else "ktui-screen", ".svg")
        try:
            saved = self.save_screenshot(filename=name, path=str(folder))
        except OSError as err:
            self.notify(f"{display_path(folder / name)}: {err.strerror or err}; check that the "
                        "folder exists and is writable.", title="Screenshot not saved",
                        severity="error", markup=False)
            return None
        self.notify(f"Screenshot saved: {display_path(Path(saved))}", title="Screenshot",
                    timeout=6, markup=False)
        return saved


def make_app(spec: ExperimentSpec | None = None, *, start: bool = False, fps: float = 4.0,
             data_dir: str | None = None, train_fn: TrainFn | None = None,
             settings: AppSettings = DEFAULT_SETTINGS, runs_dir: str | None = None,
             watch: RunDir | None = None) -> KtuiApp:
    """The app for the CLI and the tests; ``spec`` defaults to the default preset."""
    return KtuiApp(spec if spec is not None else get_preset(DEFAULT_PRESET), start=start,
                   fps=fps, data_dir=data_dir, train_fn=train_fn, settings=settings,
                   runs_dir=runs_dir, watch=watch)


def run_app(spec: ExperimentSpec | None, *, start: bool, fps: float,
            data_dir: str | None, runs_dir: str | None = None, watch: RunDir | None = None) -> int:
    """Run the TUI until the user quits; the CLI's exit code (128 + N after signal N).
    ``watch``: open on a run another process trains (no TensorFlow to warm up then)."""
    with native_stderr_to_log():
        settings = replace(session_settings(), warm_up_tf=not watch)
        app = make_app(spec, start=start, fps=fps, data_dir=data_dir, runs_dir=runs_dir,
                       watch=watch, settings=settings)
        restore = install_signal_handlers(app)
        try:
            app.run()
        finally:
            restore()  # a second SIGTERM now ends the process at once
    code = app.return_code or 0
    if not wait_for_trainers():
        code = code or 130
    return code


__all__ = [
    "AppSettings", "KtuiApp", "TrainFn", "install_signal_handlers", "make_app", "run_app",
    "wait_for_trainers",
]
