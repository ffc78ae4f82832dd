"""The training view's run controls: pause, single step, stop, and back to setup.

Each is a request to the run's :class:`TrainerControl` (thread-safe); the trainer acts on it
between two steps and says so with an event (``paused``, ``resumed``, ``run_finished``).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from ktui.core.training.control import TrainerControl
from ktui.ui.host import KtuiHost
from ktui.ui.screens.confirm import ConfirmScreen


class RunControls(Screen[None]):
    """The keys that steer a live run's course (mixed into
    :class:`ktui.ui.screens.training.TrainingScreen`, which binds them)."""

    host: KtuiHost
    control: TrainerControl | None
    #: Whether a run is in progress (TrainingScreen.running).
    running: bool
    #: The view's new run state, shown at once (TrainingScreen._set_state).
    _set_state: Callable[[str], None]

    #: Said with a stop from these keys (the run records it as its reason).
    stop_reason = "s in the TUI"

    def reaches_run(self) -> bool:
        """Whether the keys reach a run now (the watch view: while the watched run lives)."""
        return self.running

    def run_paused(self) -> bool:
        """Whether space resumes rather than pauses."""
        return bool(self.control and self.control.paused)

    def action_pause(self) -> None:
        if not self.control or not self.reaches_run():
            return
        if self.run_paused():
            self.control.resume()
        else:
            self.control.pause()

    def action_step(self) -> None:
        if self.control and self.reaches_run():
            self.control.step(1)

    def action_stop(self) -> None:
        if self.control and self.reaches_run():
            self.control.stop(self.stop_reason)
            self._set_state("stopping")

    def stop_run(self, reason: str = "b back to setup") -> None:
        """Ask the trainer to stop and let the worker go (used on back and quit)."""
        if self.control:
            self.control.stop(reason)
        self.workers.cancel_group(self, "training")

    def action_back(self) -> None:
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
        self.host.back_to_setup()
