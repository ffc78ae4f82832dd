"""The host's decisions after each epoch: a plateau's learning-rate drop, early stopping, a
target reached, a time budget spent. Pure Python over the epoch's numbers (Keras'
``ReduceLROnPlateau`` and ``EarlyStopping`` rules), so each is tested without TensorFlow;
the exported script holds this module's functions and classes verbatim.
"""

from __future__ import annotations

import math

from ktui.core.spec.steering import (
    EarlyStoppingSpec,
    ScheduleSpec,
    StopTarget,
    higher_is_better,
)


def monitored(values: dict[str, float | None], monitor: str) -> float | None:
    """``monitor``'s value among an epoch's ``loss``/``val_loss``/metrics; None if absent
    or not finite (a missing validation set never counts as an improvement)."""
    value = values.get(monitor)
    return value if value is not None and math.isfinite(value) else None


class _Best:
    """The best value of one monitor so far, and whether a new one beats it by min_delta.
    (A plain class: the exported script copies this module's classes without decorators.)"""

    def __init__(self, monitor: str, min_delta: float) -> None:
        self.monitor, self.min_delta = monitor, min_delta
        self.value: float | None = None
        self.epoch = 0

    def improves(self, value: float) -> bool:
        if self.value is None:
            return True
        if higher_is_better(self.monitor):
            return value > self.value + self.min_delta
        return value < self.value - self.min_delta


class Plateau:
    """``ReduceLROnPlateau``: after ``patience`` epochs without improvement, the rate is
    multiplied by ``factor`` (not below ``min_lr``), then ``cooldown`` epochs pass."""

    def __init__(self, spec: ScheduleSpec) -> None:
        self.spec = spec
        self.best = _Best(spec.monitor, spec.min_delta)
        self.wait = 0
        self.cooldown = 0

    def new_rate(self, values: dict[str, float | None], epoch: int, lr: float) -> float | None:
        """The rate to switch to after this epoch, or None to keep ``lr``."""
        value = monitored(values, self.spec.monitor)
        if value is None:
            return None
        if self.cooldown > 0:
            self.cooldown -= 1
            self.wait = 0
        if self.best.improves(value):
            self.best.value, self.best.epoch, self.wait = value, epoch, 0
            return None
        if self.cooldown > 0:
            return None
        self.wait += 1
        if self.wait < self.spec.patience:
            return None
        self.wait = 0
        target = max(lr * self.spec.factor, self.spec.min_lr)
        if target >= lr:
            return None
        self.cooldown = self.spec.cooldown
        return target


class EarlyStopper:
    """``EarlyStopping``: stop after ``patience`` epochs without an improvement of at least
    ``min_delta``; remembers the best epoch (its weights are kept by the loop)."""

    def __init__(self, spec: EarlyStoppingSpec) -> None:
        self.spec = spec
        self.best = _Best(spec.monitor, spec.min_delta)
        self.wait = 0

    def update(self, values: dict[str, float | None], epoch: int) -> tuple[bool, str]:
        """(whether this epoch is the best so far, the reason to stop or "")."""
        value = monitored(values, self.spec.monitor)
        if value is None:
            return False, ""
        if self.best.improves(value):
            self.best.value, self.best.epoch, self.wait = value, epoch, 0
            return True, ""
        self.wait += 1
        if self.wait < self.spec.patience:
            return False, ""
        s = self.spec
        return False, (f"early stop at epoch {epoch}: {s.monitor} did not improve by "
                       f"{s.min_delta:g} for {s.patience} epoch{'s' * (s.patience != 1)} "
                       f"(best {self.best.value:.4g} at epoch {self.best.epoch})")


def target_reason(target: StopTarget | None, values: dict[str, float | None],
                  epoch: int) -> str:
    """Why to stop because ``target`` is reached at ``epoch``, or ""."""
    if target is None:
        return ""
    value = monitored(values, target.monitor)
    if not target.reached(value):
        return ""
    return f"target reached at epoch {epoch}: {target.monitor} = {value:.4g} ({target.text()})"


def budget_reason(max_minutes: float, seconds: float, epoch: int) -> str:
    """Why to stop because the time budget is spent (checked after each epoch), or ""."""
    if max_minutes <= 0 or seconds < max_minutes * 60:
        return ""
    return (f"time budget reached at epoch {epoch}: {seconds / 60:.1f} of {max_minutes:g} "
            "minutes")
