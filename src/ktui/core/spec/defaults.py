"""What changes with the dataset: each task's defaults, and the switch between datasets.

Switching from the linear data to Fashion-MNIST must not carry over settings that only made
sense for the old one (a single 48 000-image batch, SGD 0.1, no shuffling), and switching back
should restore what the user had. :func:`switch_dataset` decides all of it on the spec; the
setup view only shows the result. Pure Python, no Textual, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ktui.core.choices import METRICS
from ktui.core.datasets import DATASETS
from ktui.core.spec import (
    DatasetSpec,
    ExperimentSpec,
    LayerSpec,
    TrainSpec,
    layer_errors,
    stack_problem,
)
from ktui.core.spec.describe import model_words


@dataclass(frozen=True)
class TaskDefaults:
    """What a switch to a dataset of this task sets, so no setting of the old one (a single
    48 000-image batch, SGD 0.1, no shuffling) silently carries over."""

    words: str
    loss: str
    metrics: tuple[str, ...]
    optimizer: str
    learning_rate: float
    batch_size: int
    layers: tuple[tuple[str, dict[str, Any]], ...]

    def layer_specs(self) -> list[LayerSpec]:
        return [LayerSpec(kind, dict(params)) for kind, params in self.layers]


TASK_DEFAULTS = {
    "classification": TaskDefaults(
        "classification", "sparse_categorical_crossentropy", ("accuracy",), "adam", 1e-3, 128,
        (("Flatten", {}), ("Dense", {"units": 128, "activation": "relu"}),
         ("Dense", {"units": 10}))),
    "regression": TaskDefaults(
        "regression", "mse", ("mae",), "sgd", 0.05, 32, (("Dense", {"units": 1}),)),
}


def metric_choices(spec: ExperimentSpec) -> tuple[str, ...]:
    """The metrics that fit the spec's dataset, in the catalogue's order."""
    return METRICS.names(spec.task)


def stack_fits(spec: ExperimentSpec) -> bool:
    """Whether the layers can map the spec's input to its target."""
    if not spec.layers:
        return False
    if any(layer_errors(i, layer) for i, layer in enumerate(spec.layers)):
        return False
    try:
        stack_problem(spec)
    except Exception:  # StackError, or a value the checks above let through
        return False
    return True


def apply_defaults(train: TrainSpec, defaults: TaskDefaults) -> None:
    """Set what a dataset of another task needs: loss, metrics, optimizer, learning rate,
    batch size, no momentum, shuffling on."""
    train.loss = defaults.loss
    train.metrics = list(defaults.metrics)
    train.optimizer = defaults.optimizer
    train.learning_rate = defaults.learning_rate
    train.momentum = 0.0
    train.batch_size = defaults.batch_size
    train.shuffle = True


#: Per dataset kind left behind: its dataset settings, training settings and layers.
Stash = dict[str, tuple[DatasetSpec, TrainSpec, list[LayerSpec]]]


@dataclass(frozen=True)
class DatasetSwitch:
    """What :func:`switch_dataset` did, to tell the user."""

    message: str
    #: The layers did not fit the new dataset and were replaced.
    layers_replaced: bool


def switch_dataset(spec: ExperimentSpec, kind: str, stash: Stash) -> DatasetSwitch | None:
    """Switch ``spec`` to a dataset of ``kind``, in place; None when nothing changes.

    The old dataset's settings and layers are kept in ``stash`` (switching back restores
    them); a dataset never seen gets its task's defaults. Layers that cannot map the new
    input to its target are replaced (by the stashed ones, or the task's default stack).
    """
    old = spec.dataset.kind
    if old == kind or kind not in DATASETS:
        return None
    stash[old] = (spec.dataset, spec.copy().train,
                  [LayerSpec(lay.kind, dict(lay.params)) for lay in spec.layers])
    stashed = stash.pop(kind, None)
    replaced = False
    if stashed is not None:
        spec.dataset, spec.train, layers = stashed
        if not stack_fits(spec):
            spec.layers, replaced = layers, True
        what = "its earlier settings" + (" and layers" if replaced else "") + " are back"
        return DatasetSwitch(f"Switched back to {DATASETS[kind].title}: {what}.", replaced)
    spec.dataset = DATASETS[kind]()
    defaults = TASK_DEFAULTS[spec.task]
    apply_defaults(spec.train, defaults)
    if not stack_fits(spec):
        spec.layers, replaced = defaults.layer_specs(), True
    message = (f"Switched to {DATASETS[kind].title}: loss, metrics, optimizer, "
               f"learning rate, batch size and shuffle set for {defaults.words}")
    if replaced:
        stack = " → ".join(model_words([lay]) for lay in spec.layers)
        message += f"; the layers did not fit and are now {stack}"
    return DatasetSwitch(message + ".", replaced)


__all__ = [
    "TASK_DEFAULTS", "DatasetSwitch", "Stash", "TaskDefaults",
    "apply_defaults", "metric_choices", "stack_fits", "switch_dataset",
]
