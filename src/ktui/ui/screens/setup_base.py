"""What every part of the setup view shares: the app's spec, the liveness checks, the two
widgets every part talks to, and the hooks the parts call on each other.

The setup view is one screen assembled from parts, each in its own module: the layer stack's
editing (``setup_layers``), presets and spec files (``setup_files``), the hint line
(``setup_hints``), the user's data (``setup_data``) and the form itself (``setup``). Each part
subclasses :class:`SetupBase`. Two parts are widgets that keep their own state: the head
(:class:`ExperimentHeader`: preset picker, name, description, and what "edited" means) and the
foot (:class:`SetupFoot`: hint line, problems, Train).
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen

from ktui.core.spec import ExperimentSpec, validate
from ktui.ui.host import HostGetter
from ktui.ui.widgets.experiment_header import ExperimentHeader
from ktui.ui.widgets.setup_foot import SetupFoot


def safe_validate(spec: ExperimentSpec) -> list[str]:
    """``validate``, but a checker that raises is a problem shown, not a dead app."""
    try:
        return validate(spec)
    except Exception as err:
        return [f"spec: cannot check the experiment ({type(err).__name__}: {err}); "
                "fix the last value you changed"]


class SetupBase(Screen[None]):
    """Edits ``app.spec`` (see SetupScreen); the hooks below are defined by its parts."""

    #: Set when ``on_mount`` begins: the widgets exist from then on.
    _ready = False

    #: The app's state (the spec edited, settings), typed without importing the app.
    host = HostGetter()

    @property
    def spec(self) -> ExperimentSpec:
        return self.host.spec

    def _live(self) -> bool:
        """Composed, attached, and the app not exiting: only then may a handler touch the
        screen's widgets (keys of a burst arrive after ``q`` began the exit)."""
        return self._ready and self.is_attached

    def _on_top(self) -> bool:
        """Live and the screen the user sees (not under a form or dialog)."""
        return self._live() and self.app.screen is self

    # ---- the head and the foot ---------------------------------------------------------------
    def edited(self) -> bool:
        """Whether the experiment differs from the one loaded (name and description aside)."""
        return self.query_one(ExperimentHeader).edited(self.spec)

    def dirty(self) -> bool:
        """Whether loading something else would throw work away."""
        return self.query_one(ExperimentHeader).dirty(self.spec)

    def _reset_base(self) -> None:
        """What is shown now is what "edited" is measured against."""
        self.query_one(ExperimentHeader).rebase(self.spec)

    def _set_hint(self, text: Text) -> None:
        """Show ``text`` on the hint line."""
        for foot in self.query(SetupFoot).results(SetupFoot):
            foot.set_hint(text)

    # ---- hooks (SetupScreen) ----------------------------------------------------------------
    def spec_changed(self) -> list[str]:
        """Re-validate and redraw after an edit; the problems shown."""
        raise NotImplementedError

    def show_spec(self) -> None:
        """Show a whole new ``app.spec``."""
        raise NotImplementedError

    def refresh_all(self) -> None:
        """Show the whole spec again (every field, the layer stack)."""
        raise NotImplementedError
