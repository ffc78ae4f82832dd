"""The app as the sweep view opens it (``ktui sweep view``): the ktui app, whose first
screen is the sweep view instead of the setup view; ``enter`` on a trial opens the watch
view or a recorded run on top of it, as the runs list does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual import events

from ktui.core import spec as specmod
from ktui.core.spec.presets import DEFAULT_PRESET, get_preset
from ktui.core.sweep.held import HeldStudy
from ktui.core.sweep.study import config_of
from ktui.ui.app import KtuiApp
from ktui.ui.screens.sweep import EVERY_S, SweepScreen
from ktui.ui.screens.sweep_leave import SweepLeaveScreen
from ktui.ui.settings import DEFAULT_SETTINGS, AppSettings, session_settings
from ktui.ui.shutdown import install_signal_handlers
from ktui.ui.stderr import native_stderr_to_log


def _base_spec(held: HeldStudy) -> specmod.ExperimentSpec:
    """The sweep's base spec (what ``l`` loads into setup from a trial), else the default."""
    try:
        return specmod.parse_spec(config_of(held.study).spec)
    except Exception:  # noqa: BLE001 - an odd study must not keep its view from opening
        return get_preset(DEFAULT_PRESET)


class SweepApp(KtuiApp):
    """The ktui app opened on a sweep. ``running``: whether the sweep this view started
    (``ktui sweep --view``) still runs; leaving while it does asks whether to stop it or
    leave it running (:attr:`choice` says which: ``"stop"``, ``"leave"``, "" not asked)."""

    def __init__(self, held: HeldStudy, *, every: float = EVERY_S,
                 settings: AppSettings = DEFAULT_SETTINGS, runs_dir: str | None = None,
                 running: Callable[[], bool] | None = None) -> None:
        super().__init__(_base_spec(held), settings=settings, runs_dir=runs_dir)
        self.held, self.every = held, every
        self.running = running
        self.choice = ""

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not the setup view: the sweep's
        self.push_screen(SweepScreen(self.held, self.every))

    async def action_quit(self) -> None:
        """``q``: while the sweep this view started runs, ask what becomes of it."""
        if isinstance(self.screen, SweepLeaveScreen):
            return  # already asking
        if self.running is None or self.run_in_progress() or not self.running():
            await super().action_quit()
            return
        self.push_screen(SweepLeaveScreen(self.held.study.study_name), self._leave)

    def _leave(self, choice: str | None) -> None:
        if choice is None:
            return  # stay
        self.choice = choice
        if choice == "stop":
            self.held.stop()  # the study's stop and a stop to each running trial: quick
        self.quit_now()


def make_sweep_app(held: HeldStudy, *, every: float = EVERY_S,
                   settings: AppSettings = DEFAULT_SETTINGS,
                   runs_dir: str | None = None,
                   running: Callable[[], bool] | None = None) -> SweepApp:
    """The sweep view's app for the CLI and the tests."""
    return SweepApp(held, every=every, settings=settings, runs_dir=runs_dir, running=running)


def run_sweep_view(study, url: str, runs_dir: str | None = None,  # noqa: ANN001
                   running: Callable[[], bool] | None = None) -> SweepApp:
    """Run the sweep view until the user leaves; the app (its ``return_code``, and what
    became of a sweep it started: ``choice``)."""
    with native_stderr_to_log():
        app = make_sweep_app(HeldStudy(study, url), runs_dir=runs_dir, running=running,
                             settings=replace(session_settings(), warm_up_tf=False))
        restore = install_signal_handlers(app)
        try:
            app.run()
        finally:
            restore()
    return app


__all__ = ["SweepApp", "make_sweep_app", "run_sweep_view"]
