"""The training view's live learning rate: ``+``/``-`` double or halve it, ``L`` types one.

Each key is a request to the run's :class:`TrainerControl` (thread-safe); the trainer applies
it before its next step, paused or not, and answers with an ``lr_changed`` event, which the
progress line and the learning-rate chart show. Until that answer the view counts with what it
asked for, so a quick ``+ +`` says ``0.01 → 0.02`` then ``0.02 → 0.04``, as the control
combines them.
"""

from __future__ import annotations

from textual.screen import Screen

from ktui.core.events import Event, LrChanged
from ktui.core.history import RunHistory
from ktui.core.spec import ExperimentSpec
from ktui.core.training.control import TrainerControl
from ktui.ui.host import KtuiHost
from ktui.ui.screens.lr_input import LrInputScreen
from ktui.ui.widgets.charts.lr import lr_text, lr_varies

#: What ``+`` multiplies and ``-`` divides the learning rate by.
LR_FACTOR = 2.0
#: The run states in which the trainer still takes a new rate.
STEERABLE = ("starting", "running", "paused")
#: The states of a run in progress (``running`` is true in each).
IN_PROGRESS = ("starting", "running", "paused", "stopping", "evaluating")


class LiveLearningRate(Screen[None]):
    """Actions and state of the live learning rate (the training view's keys bind them)."""

    host: KtuiHost
    spec: ExperimentSpec
    view: RunHistory
    control: TrainerControl | None
    #: The rate asked for and not yet confirmed by an ``lr_changed`` (None: nothing pending,
    #: or asked relative to a rate the view does not know yet).
    _lr_asked: float | None = None

    def can_steer_lr(self) -> bool:
        return self.control is not None and self.view.state in STEERABLE

    def lr_now(self) -> float | None:
        """The rate the next step will use, as far as the view knows: before the first
        epoch's report, the spec's own (a schedule starts from it)."""
        if self._lr_asked is not None:
            return self._lr_asked
        if self.view.lr is not None:
            return self.view.lr
        rate = getattr(self.spec.train, "learning_rate", None)
        return float(rate) if isinstance(rate, (int, float)) else None

    def lr_event(self, ev: Event) -> None:
        """Called with every event: the trainer's answer ends what was pending."""
        if isinstance(ev, LrChanged) and ev.source == "user":
            self._lr_asked = None

    def lr_chart_wanted(self) -> bool:
        """The learning-rate chart is shown when the rate moves: a schedule other than
        ``constant``, or a change during the run (a key, a plateau)."""
        schedule = getattr(self.spec.train, "schedule", None)
        return getattr(schedule, "kind", "constant") != "constant" or lr_varies(self.view)

    def _say(self, before: float | None, after: float | None, words: str) -> None:
        change = (f"{lr_text(before)} → {lr_text(after)}" if before is not None
                  and after is not None else words)
        self.notify(f"learning rate {change} from the next step", title="Learning rate",
                    timeout=4)

    def action_lr_up(self) -> None:
        self._multiply(LR_FACTOR)

    def action_lr_down(self) -> None:
        self._multiply(1 / LR_FACTOR)

    def _multiply(self, factor: float) -> None:
        if not self.can_steer_lr():
            return
        assert self.control is not None
        before = self.lr_now()
        self.control.multiply_lr(factor)
        after = before * factor if before is not None else None
        self._lr_asked = after
        self._say(before, after, f"× {factor:g}" if factor >= 1 else f"÷ {1 / factor:g}")

    def action_lr_set(self) -> None:
        """Open the dialog to type a rate."""
        if not self.can_steer_lr() or self.app.screen is not self:
            return
        blink = self.host.settings.cursor_blink
        self.app.push_screen(LrInputScreen(self.lr_now(), blink=blink), self._lr_typed)

    def _lr_typed(self, value: float | None) -> None:
        if value is None or not self.can_steer_lr():
            return  # cancelled, or the run ended while the dialog was open
        assert self.control is not None
        before = self.lr_now()
        self.control.set_lr(value)
        self._lr_asked = value
        self._say(before, value, f"→ {lr_text(value)}")


__all__ = ["IN_PROGRESS", "LR_FACTOR", "STEERABLE", "LiveLearningRate"]
