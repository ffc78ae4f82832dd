"""The app's views that its first frame (the setup view) does not need, imported when first used.

The training view pulls in the charts' pages, the insight widgets and numpy; the help screen
imports every view to list their keys. Imported with the app they cost about 0.8 s before the
first frame (``python -X importtime -c "import ktui.ui.app"``: 1.34 s -> 0.52 s without them);
``tests/unit/test_import_hygiene.py`` keeps them out. Each function imports its view on the
first call (a dictionary look-up after that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

if TYPE_CHECKING:
    from ktui.core.runs.replay import Recorded
    from ktui.core.spec import ExperimentSpec
    from ktui.ui.screens.help import HelpScreen
    from ktui.ui.screens.recorded_run import RecordedRunScreen
    from ktui.ui.screens.training import TrainingScreen


def training_screen(spec: ExperimentSpec) -> TrainingScreen:
    from ktui.ui.screens.training import TrainingScreen

    return TrainingScreen(spec)


def recorded_run_screen(spec: ExperimentSpec, recorded: Recorded) -> RecordedRunScreen:
    from ktui.ui.screens.recorded_run import RecordedRunScreen

    return RecordedRunScreen(spec, recorded)


def help_screen(here: type | None) -> HelpScreen:
    from ktui.ui.screens.help import HelpScreen

    return HelpScreen(here)


def is_training(screen: object) -> TypeGuard[TrainingScreen]:
    """``isinstance(screen, TrainingScreen)`` (a recorded or watched run's view included)."""
    from ktui.ui.screens.training import TrainingScreen

    return isinstance(screen, TrainingScreen)


def is_help(screen: object) -> bool:
    from ktui.ui.screens.help import HelpScreen

    return isinstance(screen, HelpScreen)


__all__ = ["help_screen", "is_help", "is_training", "recorded_run_screen", "training_screen"]
