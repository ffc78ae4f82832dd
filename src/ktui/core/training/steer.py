"""Steering a run between steps and after each epoch: the user's learning-rate changes, the
plateau schedule, early stopping (with the best epoch's weights kept for ``restore_best``), a
target to reach and a time budget. The loop asks; this decides and says what changed.
"""

from __future__ import annotations

from typing import Any

from ktui.core.events import EpochDone, LrChanged
from ktui.core.spec import TrainSpec
from ktui.core.spec.steering import parse_stop_when
from ktui.core.training.control import TrainerControl
from ktui.core.training.schedules import LearningRate
from ktui.core.training.stopping import EarlyStopper, Plateau, budget_reason, target_reason


class Steerer:
    """The run's learning rate and stop rules."""

    def __init__(self, t: TrainSpec, rate: LearningRate, model: Any) -> None:
        self.rate, self.model = rate, model
        self.plateau = Plateau(t.schedule) if t.schedule.kind == "plateau" else None
        self.stopper = EarlyStopper(t.early_stopping) if t.early_stopping.enabled else None
        self.restore_best = bool(self.stopper and t.early_stopping.restore_best)
        self.target = parse_stop_when(t.stop_when)
        self.max_minutes = t.max_minutes
        self._best_weights: list[Any] | None = None

    def take_request(self, control: TrainerControl, epoch: int, step: int) -> LrChanged | None:
        """Apply a learning-rate change asked from another thread (before the next step)."""
        request = control.take_lr_request()
        if request is None:
            return None
        kind, value = request
        before = self.rate.current()
        after = self.rate.set(value) if kind == "set" else self.rate.multiply(value)
        return LrChanged(epoch=epoch, step=step, lr=after, previous=before, source="user")

    def after_epoch(self, done: EpochDone, train_seconds: float) -> tuple[list[LrChanged], str]:
        """Decisions once ``done`` is known: the plateau's new rate (as events) and the reason
        to end the run now ("" to go on)."""
        values: dict[str, float | None] = {"loss": done.loss, "val_loss": done.val_loss,
                                           **done.metrics,
                                           **{f"val_{k}": v for k, v in done.val_metrics.items()}}
        changes = []
        if self.plateau is not None and done.lr is not None:
            new = self.plateau.new_rate(values, done.epoch, done.lr)
            if new is not None:
                changes.append(LrChanged(epoch=done.epoch, step=0, lr=self.rate.set(new),
                                         previous=done.lr, source="plateau"))
        reason = ""
        if self.stopper is not None:
            best, reason = self.stopper.update(values, done.epoch)
            if best and self.restore_best:
                self._best_weights = [v.numpy() for v in self.model.variables]
        reason = (reason or target_reason(self.target, values, done.epoch)
                  or budget_reason(self.max_minutes, train_seconds, done.epoch))
        return changes, reason

    def restore(self, last_epoch: int) -> str:
        """With ``restore_best``: put the best epoch's weights back when an earlier epoch than
        ``last_epoch`` was the best; what was done, or ""."""
        if not self.restore_best or self._best_weights is None or self.stopper is None:
            return ""
        if self.stopper.best.epoch == last_epoch:
            return ""  # the weights are the best already
        for variable, value in zip(self.model.variables, self._best_weights, strict=True):
            variable.assign(value)
        return f"weights restored from epoch {self.stopper.best.epoch}"
