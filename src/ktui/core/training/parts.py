"""The optimizer's settings from the spec, as Keras takes them.

Light (no TensorFlow): the exported script (:mod:`ktui.core.export`) builds its optimizer
from the same settings without loading TensorFlow. The trainer's optimizer and steps are
made in :mod:`.assemble`.
"""

from __future__ import annotations

from typing import Any

from ktui.core.spec import TrainSpec


def optimizer_settings(t: TrainSpec) -> dict[str, Any]:
    """The spec's optimizer settings Keras takes; weight decay and Nesterov only when on, so
    a run without them builds exactly the optimizer it always did."""
    settings: dict[str, Any] = {"learning_rate": t.learning_rate, "momentum": t.momentum}
    if t.nesterov:
        settings["nesterov"] = True
    if t.weight_decay > 0:
        settings["weight_decay"] = t.weight_decay
    return settings
