"""The setup view's own-data part: the data card under the dataset's settings, and the
experiment kept fitting the data once its card says what the file holds.

When a user's file has been read (at once for a small one, by a worker for a large one) and
the experiment was edited (typing a path, another target column), the core's
:func:`ktui.core.spec.for_data.fit_to_data` sets the task's loss and metrics and the stack's
output to what the data needs, and the user is told what changed. A spec just loaded (a
preset, a file, a past run) is shown as it is.
"""

from __future__ import annotations

from rich.text import Text

from ktui.core.spec.for_data import fit_to_data
from ktui.ui.screens.setup_base import SetupBase
from ktui.ui.widgets.data_card import DataCardView


class DataPart(SetupBase):
    """Shows the data card; fits the experiment to newly read data."""

    def show_data_card(self) -> None:
        """Called by ``spec_changed``: show the dataset's card, and when the data was just
        read for an edited experiment, fit the experiment to it."""
        for view in self.query(DataCardView).results(DataCardView):
            if view.show(self.spec.dataset) and self.edited():
                self._fit_to_data()

    def _fit_to_data(self) -> None:
        try:
            change = fit_to_data(self.spec)
        except Exception as err:  # a fit that fails must not take the form down
            self._set_hint(Text(f"cannot fit the experiment to the data: {err}", style="red"))
            return
        if change is None:
            return
        message = f"Fitted to {self.spec.dataset.describe()}: {change}."
        self.refresh_all()
        self._set_hint(Text(message, style="bold"))
        self.notify(message, title="Data read", timeout=6)

    def on_data_card_view_read(self, event: DataCardView.Read) -> None:
        """A large file's card is ready (read by the card's worker)."""
        event.stop()
        if self._live():
            self.spec_changed()

