"""The sweep view's parts (:mod:`ktui.ui.screens.sweep`): the counts and the best so far,
every trial's curve overlaid, the table of trials. Each draws a
:class:`ktui.core.sweep.board.Board` handed to its ``show``."""

from ktui.ui.widgets.sweep.chart import SweepChart
from ktui.ui.widgets.sweep.summary import SweepSummary
from ktui.ui.widgets.sweep.table import TrialTable

__all__ = ["SweepChart", "SweepSummary", "TrialTable"]
