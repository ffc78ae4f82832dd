"""How a run is steered, as spec tables: the learning-rate schedule (``[train.schedule]``),
early stopping (``[train.early_stopping]``), and the stop rule ``train.stop_when``.

Pure Python, as the rest of the spec: the TensorFlow side is
:mod:`ktui.core.training.schedules`, the host's decisions :mod:`ktui.core.training.stopping`.
A monitored quantity is ``loss``, ``val_loss`` or one of the run's metrics, with ``val_`` or
not; whether bigger is better comes from its registry entry, as Keras' ``mode="auto"`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from ktui.core.choices import METRICS
from ktui.core.schema import spec_field

SCHEDULES = ("constant", "step", "exponential", "cosine", "plateau")
#: The ``[train.schedule]`` keys each kind reads (the others are ignored by it): what a
#: form offers once a kind is chosen.
SCHEDULE_PARAMS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step": ("every", "factor"),
    "exponential": ("decay_steps", "decay_rate"),
    "cosine": ("decay_steps", "alpha", "warmup_steps"),
    "plateau": ("monitor", "factor", "patience", "min_delta", "cooldown", "min_lr"),
}


@dataclass
class ScheduleSpec:
    """The learning rate over the run, from ``train.learning_rate``."""

    kind: str = spec_field(
        "choice", "constant", label="lr schedule", choices=SCHEDULES,
        help="constant; step (× factor every N epochs); exponential; cosine (to a floor, "
             "warm-up); plateau (× factor when the monitor stalls)")
    #: step: epochs between two drops.
    every: int = spec_field("int", 10, label="every (epochs)", min=1, max=100_000,
                            help="step: epochs between two multiplications by the factor")
    #: step and plateau: the multiplier of each drop.
    factor: float = spec_field("float", 0.5, label="factor", min=0, min_inclusive=False, max=1,
                               help="step / plateau: the learning rate is multiplied by this")
    #: exponential: lr × decay_rate^(step / decay_steps); cosine: steps from the peak to the
    #: floor. 0 = one epoch (exponential) or the whole run (cosine).
    decay_steps: int = spec_field("int", 0, label="decay steps", min=0, max=10**9,
                                  note=" (0 = one epoch, or the whole run for cosine)",
                                  help="exponential: steps per decay; cosine: steps to the floor")
    decay_rate: float = spec_field("float", 0.9, label="decay rate", min=0, min_inclusive=False,
                                   max=1, help="exponential: multiplier per decay_steps")
    #: cosine: the floor as a fraction of the peak.
    alpha: float = spec_field("float", 0.0, label="floor (alpha)", min=0, max=1,
                              help="cosine: the final learning rate ÷ the peak")
    warmup_steps: int = spec_field("int", 0, label="warm-up steps", min=0, max=10**9,
                                   help="cosine: linear warm-up from 0 over these steps")
    monitor: str = spec_field("str", "val_loss", label="monitor", max_len=100,
                              help="plateau: the quantity watched (val_loss, loss, val_accuracy…)")
    patience: int = spec_field("int", 10, label="patience", min=0, max=100_000,
                               help="plateau: epochs without improvement before a drop")
    min_delta: float = spec_field("float", 1e-4, label="min delta", min=0,
                                  help="plateau: the least change that counts as improvement")
    cooldown: int = spec_field("int", 0, label="cooldown", min=0, max=100_000,
                               help="plateau: epochs to wait after a drop")
    min_lr: float = spec_field("float", 0.0, label="min lr", min=0,
                               help="plateau: the learning rate never drops below this")


@dataclass
class EarlyStoppingSpec:
    """Stop when the monitored quantity stops improving (Keras' ``EarlyStopping``)."""

    enabled: bool = spec_field("bool", False, label="early stopping",
                               help="stop when the monitor has not improved for `patience` epochs")
    monitor: str = spec_field("str", "val_loss", label="monitor", max_len=100,
                              help="the quantity watched (val_loss, loss, val_accuracy…)")
    patience: int = spec_field("int", 5, label="patience", min=1, max=100_000,
                               help="epochs without improvement before stopping")
    min_delta: float = spec_field("float", 0.0, label="min delta", min=0,
                                  help="the least change that counts as an improvement")
    restore_best: bool = spec_field(
        "bool", False, label="restore best",
        help="end with the best epoch's weights (test score and saved model use them)")


# ---- monitored quantities -------------------------------------------------------------------

def higher_is_better(monitor: str) -> bool:
    """Whether ``monitor`` improves upwards (accuracy) or downwards (losses, errors)."""
    name = monitor.removeprefix("val_")
    entry = METRICS.get(name)
    return bool(entry is not None and entry.higher_is_better)


def monitor_problem(monitor: Any, metrics: Any) -> str | None:
    """Why ``monitor`` names nothing the run reports (``loss``, ``val_loss``, a chosen metric
    with or without ``val_``), or None."""
    if not isinstance(monitor, str):
        return None  # the field's own type check says it
    names = ["loss"] + [m for m in metrics if isinstance(m, str)] if isinstance(
        metrics, list) else ["loss"]
    known = names + [f"val_{n}" for n in names]
    if monitor in known:
        return None
    return f"must be one of {', '.join(known)} (the run's loss and metrics), got {monitor!r}"


# ---- stop_when ------------------------------------------------------------------------------

class StopTarget(NamedTuple):
    """``val_accuracy >= 0.9``: stop once ``monitor`` reaches ``value``."""

    monitor: str
    at_least: bool
    value: float

    def reached(self, value: float | None) -> bool:
        if value is None:
            return False
        return value >= self.value if self.at_least else value <= self.value

    def text(self) -> str:
        return f"{self.monitor} {'>=' if self.at_least else '<='} {self.value:g}"


def parse_stop_when(text: str) -> StopTarget | None:
    """``"val_accuracy >= 0.9"`` -> StopTarget; "" -> None; ValueError with the form when it
    is not ``NAME >= NUMBER`` or ``NAME <= NUMBER``. A tiny grammar, never evaluated."""
    if not text.strip():
        return None
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*"
                         r"([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*", text)
    if match is None:
        raise ValueError(f"must be NAME >= NUMBER or NAME <= NUMBER (like val_accuracy >= 0.9), "
                         f"got {text!r}")
    try:
        value = float(match.group(3))
    except ValueError:
        raise ValueError(f"{match.group(3)!r} is not a number") from None
    return StopTarget(match.group(1), match.group(2) == ">=", value)


def steering_problems(train: Any) -> list[str]:
    """Cross-field problems of the steering settings (each field's own range is the
    schema's): monitors that name nothing the run reports, a stop rule that cannot parse."""
    problems = []
    metrics = getattr(train, "metrics", [])
    schedule, stopping = getattr(train, "schedule", None), getattr(train, "early_stopping", None)
    if isinstance(schedule, ScheduleSpec) and schedule.kind == "plateau":
        if problem := monitor_problem(schedule.monitor, metrics):
            problems.append(f"train.schedule.monitor: {problem}")
    if isinstance(stopping, EarlyStoppingSpec) and stopping.enabled:
        if problem := monitor_problem(stopping.monitor, metrics):
            problems.append(f"train.early_stopping.monitor: {problem}")
    stop_when = getattr(train, "stop_when", "")
    if isinstance(stop_when, str):
        try:
            target = parse_stop_when(stop_when)
        except ValueError as err:
            problems.append(f"train.stop_when: {err}")
        else:
            if target is not None and (problem := monitor_problem(target.monitor, metrics)):
                problems.append(f"train.stop_when: {problem}")
    return problems
