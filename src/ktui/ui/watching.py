"""Opening the watch view (:class:`ktui.ui.screens.watch_run.WatchScreen`) from the app.

From the runs list (``enter`` on a running run) it goes on top of the list; from ``ktui
watch`` (``first``) the setup view and the runs list are put under it, so ``b`` leads back
through the app as it does for a run opened from the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from ktui.core.runs import RunDir
from ktui.core.spec import ExperimentSpec
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen

if TYPE_CHECKING:
    from ktui.ui.screens.watch_run import WatchScreen


def watched_spec(run: RunDir) -> ExperimentSpec:
    """The run's spec; a bare one named after the run when it cannot be read (the charts
    still follow its events)."""
    try:
        return run.spec()
    except Exception:  # noqa: BLE001 - an unreadable spec must not keep the run from view
        return ExperimentSpec(name=run.name)


def open_watch(app: App[int], run: RunDir, *, first: bool = False) -> WatchScreen:
    if first:
        app.push_screen(SetupScreen())
        app.push_screen(RunsScreen())
    # Imported here: the watch view pulls in the training view (charts, insight pages,
    # numpy), which the app's first frame (the setup view) does not need.
    from ktui.ui.screens.watch_run import WatchScreen

    screen = WatchScreen(watched_spec(run), run)
    app.push_screen(screen)
    return screen


class Watching:
    """The app's request to watch a run (mixed into the app; see :class:`KtuiHost`)."""

    def open_watch(self, run: RunDir) -> WatchScreen:
        assert isinstance(self, App)
        return open_watch(self, run)


__all__ = ["Watching", "open_watch", "watched_spec"]
