"""Past runs marked in the runs list (``space``) and overlaid on the live loss and metric
charts: the app keeps the marks (``compared``); here is how they change and who is told.
"""

from __future__ import annotations

from typing import Any

from ktui.core.runs import RunDir
from ktui.ui.compared import ComparedRun, compared_run
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.views import is_training

#: Past runs overlaid on the live charts at most (more would bury the live curves).
MAX_COMPARED = 3


class Comparing:
    """Mixed into the app (a Textual ``App`` that sets ``compared`` in its ``__init__``)."""

    compared: list[ComparedRun]

    def compared_names(self) -> list[str]:
        return [c.name for c in self.compared]

    def toggle_compare(self, run: RunDir) -> bool:
        """Mark or unmark ``run`` for the overlay; False when three are already marked."""
        app: Any = self
        names = self.compared_names()
        if run.name in names:
            del self.compared[names.index(run.name)]
        elif len(self.compared) >= MAX_COMPARED:
            app.notify(f"At most {MAX_COMPARED} runs; unmark one (space) or clear (c).",
                       title="Comparing", severity="warning")
            return False
        else:
            try:
                self.compared.append(compared_run(run))
            except Exception as err:  # a damaged run: say so, keep the others
                app.notify(f"{run.name}: {type(err).__name__}: {err}", title="Cannot compare",
                           severity="error", markup=False)
                return False
        self._comparison_changed()
        return True

    def action_clear_compare(self) -> None:
        if self.compared:
            self.compared = []
            self._comparison_changed()
            app: Any = self
            app.notify("No past runs overlaid now.", title="Comparison cleared", timeout=3)

    def _comparison_changed(self) -> None:
        app: Any = self
        for screen in app.screen_stack:
            if is_training(screen):
                screen.show_comparison()
            elif isinstance(screen, RunsScreen) and screen.is_mounted:
                screen.reload()


__all__ = ["MAX_COMPARED", "Comparing"]
