"""The learning rate a run steps with: Keras' schedules, times a scale the host can change.

``train.schedule`` picks a per-step Keras schedule (``ExponentialDecay`` with ``staircase``
for ``step``, ``ExponentialDecay``, ``CosineDecay`` with warm-up) or a constant; the optimizer
evaluates it at its own step count each step. :class:`SteeredRate` multiplies it by a
variable, ``scale``, so the two things decided on the host — a live change from the user and
a plateau's drop — are one assignment to a variable, taking effect at the next step with no
retrace; the variable is checkpointed, so a resumed run keeps them.
"""

from __future__ import annotations

from typing import Any

from ktui.core.spec.steering import ScheduleSpec


def base_schedule(keras: Any, spec: ScheduleSpec, learning_rate: float,
                  steps_per_epoch: int, total_steps: int) -> Any:
    """The schedule's own curve (without the host's scale): a Keras schedule or a float."""
    schedules = keras.optimizers.schedules
    kind = spec.kind
    if kind == "step":
        return schedules.ExponentialDecay(learning_rate, spec.every * steps_per_epoch,
                                          spec.factor, staircase=True)
    if kind == "exponential":
        return schedules.ExponentialDecay(learning_rate, spec.decay_steps or steps_per_epoch,
                                          spec.decay_rate)
    if kind == "cosine":
        warmup = spec.warmup_steps
        decay = spec.decay_steps or max(total_steps - warmup, 1)
        if warmup:
            return schedules.CosineDecay(0.0, decay, alpha=spec.alpha,
                                         warmup_target=learning_rate, warmup_steps=warmup)
        return schedules.CosineDecay(learning_rate, decay, alpha=spec.alpha)
    return float(learning_rate)  # constant, plateau


def make_steered_rate(keras: Any, tf: Any, base: Any) -> Any:
    """A :class:`SteeredRate` over ``base`` (made in the strategy's scope: its variable is
    mirrored)."""

    class SteeredRate(keras.optimizers.schedules.LearningRateSchedule):
        """``scale × base(step)``."""

        def __init__(self) -> None:
            self.base = base
            self.scale = tf.Variable(1.0, dtype=tf.float32, trainable=False, name="lr_scale",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

        def __call__(self, step: Any) -> Any:
            curve = self.base(step) if callable(self.base) else self.base
            return self.scale * tf.cast(curve, tf.float32)

        def get_config(self) -> dict[str, Any]:
            return {"base": float(self.base) if not callable(self.base) else str(self.base)}

    return SteeredRate()


class LearningRate:
    """The run's learning rate, as the loop reads and changes it."""

    def __init__(self, optimizer: Any, rate: Any) -> None:
        self.optimizer, self.rate = optimizer, rate

    @property
    def scale(self) -> Any:
        """The variable the checkpoint keeps."""
        return self.rate.scale

    def current(self) -> float:
        """The rate the next step uses."""
        return float(self.rate(self.optimizer.iterations))

    def set(self, value: float) -> float:
        """Make the next step's rate ``value`` (the schedule goes on from there, scaled)."""
        curve = float(self.rate.base(self.optimizer.iterations)) if callable(
            self.rate.base) else float(self.rate.base)
        if curve > 0:
            self.rate.scale.assign(value / curve)
        return self.current()

    def multiply(self, factor: float) -> float:
        self.rate.scale.assign(float(self.rate.scale.numpy()) * factor)
        return self.current()


def lr_scale(optimizer: Any) -> Any:
    """The :class:`SteeredRate` scale variable of a ktui optimizer, or None (another
    optimizer). Keras keeps the schedule in ``_learning_rate`` (``inner_optimizer``'s under
    loss scaling): the one private name read here, pinned with Keras 3.15."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return getattr(getattr(inner, "_learning_rate", None), "scale", None)
