"""Train in the background from the setup view: the run is handed to a detached ``ktui
train`` process (:mod:`ktui.core.runs.background`) and the view switches to watching it, so
quitting ktui or losing the connection leaves it training (``ktui train --detach`` in the
TUI). The process's start (a new run folder, its lock taken) runs in a worker thread: the
view never waits on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.binding import Binding

from ktui.core import user_layers
from ktui.core.runs import RunDir, runs_root
from ktui.core.runs.background import Started, start_trainer, train_argv
from ktui.core.runs.storage import RunError
from ktui.core.spec import ExperimentSpec
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.setup_base import SetupBase


class BackgroundTraining(SetupBase):
    """Part of the setup view: ``ctrl+b`` (the palette's "Train in the background")."""

    BINDINGS = [
        Binding("ctrl+b", "train_background", "Background", id="train_background",
                show=False, tooltip="train in a background process and watch it"),
    ]

    def action_train_background(self) -> None:
        screen: Any = self
        if not self._on_top():
            return
        problems = screen.spec_changed()
        if problems:
            screen.app.push_screen(ProblemsScreen(problems, title="Cannot train yet"))
            return
        spec: ExperimentSpec = screen.spec.copy()
        root = runs_root(screen.app.runs_dir)
        files = [f.path for f in user_layers.files_used(spec.layers)]
        screen.notify("Starting a background process…", title="Train in the background",
                      timeout=3)
        screen.run_worker(lambda: self._start(spec, root, files), thread=True,
                          group="background-train", exit_on_error=False)

    def _start(self, spec: ExperimentSpec, root: Path, files: list[Path]) -> None:
        """In a worker thread: make the run, start its trainer, then watch it (UI thread)."""
        screen: Any = self
        app = screen.app
        try:
            run = RunDir.create(root, spec)
            started = start_trainer(train_argv(run, root, files, app.data_dir), run)
        except RunError as err:
            app.call_from_thread(app.notify, str(err), title="Cannot train in the background",
                                 severity="error", timeout=15, markup=False)
            return
        app.call_from_thread(self._watch, run, started)

    def _watch(self, run: RunDir, started: Started) -> None:
        screen: Any = self
        if screen.app.exiting:
            return
        screen.app.open_watch(run)  # the app's (ui/watching.py): the watch view on top
        still = "" if started.holding else " (still starting)"
        screen.app.notify(f"{run.name} trains in process {started.pid}{still}: quitting ktui "
                          f"leaves it training; `ktui watch {run.name}` from any terminal.",
                          title="Training in the background", timeout=8, markup=False)

    def background_commands(self) -> list[tuple[str, str, str]]:
        """The palette's entry for this action."""
        return [("Train in the background", "Hand the run to a background process and watch "
                 "it: it goes on when ktui quits or the connection drops", "train_background")]


__all__ = ["BackgroundTraining"]
