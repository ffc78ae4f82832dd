"""The run's optimizer and steps, made for its placement and precision.

Called inside :meth:`Placement.scope`, so that under a strategy the optimizer's and the
metrics' variables are mirrored (an optimizer made outside the scope raises nothing and
counts each step once per replica).
"""

from __future__ import annotations

from typing import Any

from ktui.core.spec import ExperimentSpec, TrainSpec
from ktui.core.training.placement import Placement
from ktui.core.training.schedules import LearningRate, base_schedule, make_steered_rate
from ktui.core.training.steps import Clipping, Insight, Steps, StepsBase


def optimizer_settings(t: TrainSpec) -> dict[str, Any]:
    """The spec's optimizer settings Keras takes; weight decay and Nesterov only when on, so
    a run without them builds exactly the optimizer it always did."""
    settings: dict[str, Any] = {"learning_rate": t.learning_rate, "momentum": t.momentum}
    if t.nesterov:
        settings["nesterov"] = True
    if t.weight_decay > 0:
        settings["weight_decay"] = t.weight_decay
    return settings


def make_optimizer(keras: Any, tf: Any, t: TrainSpec, steps_per_epoch: int,
                   total_steps: int) -> tuple[Any, LearningRate]:
    """The spec's optimizer from the registry, stepping with the schedule's
    :class:`~.schedules.LearningRate`; under ``mixed_float16`` wrapped in Keras'
    ``LossScaleOptimizer`` (float16 gradients underflow without loss scaling)."""
    from ktui.core.choices import optimizer_config

    config = optimizer_config(t.optimizer, optimizer_settings(t))
    rate = make_steered_rate(keras, tf, base_schedule(
        keras, t.schedule, t.learning_rate, steps_per_epoch, total_steps))
    cls = type(keras.optimizers.get(config))
    optimizer = cls(**{**config["config"], "learning_rate": rate})
    if t.precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer, LearningRate(optimizer, rate)


def insight_of(spec: ExperimentSpec, model: Any) -> Insight:
    """What the steps measure for the views: the class count of a classifier (its confusion
    matrix) and each trainable layer's variables (gradient norms; not under float16 loss
    scaling, whose gradients are scaled)."""
    from ktui.core.build import model_layers

    classes = (len(spec.dataset.class_names()) or int(spec.dataset.output_shape()[-1])
               if spec.task == "classification" else 0)
    if spec.train.precision == "mixed_float16":
        return Insight(classes)
    position = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups = tuple((layer.name, tuple(position[id(v)] for v in layer.trainable_variables))
                   for layer in model_layers(model) if layer.trainable_variables)
    return Insight(classes, groups)


def make_steps(tf: Any, keras: Any, placement: Placement, model: Any, optimizer: Any,
               spec: ExperimentSpec, splits: Any, eval_ds: Any) -> StepsBase:
    """One device's :class:`Steps`, or :class:`ReplicatedSteps` under a strategy; builds the
    optimizer first (its variables must exist before a checkpoint restores them)."""
    from ktui.core.choices import LOSSES
    from ktui.core.losses import batch_mean
    from ktui.core.training.pipeline import train_dataset

    t = spec.train
    optimizer.build(model.trainable_variables)
    per_example = LOSSES[t.loss].load()
    guard = t.precision != "mixed_float16"
    clip = Clipping(t.clip_norm, t.clip_value)
    insight = insight_of(spec, model)
    if placement.strategy is None:
        return Steps(tf, keras, model, optimizer, batch_mean(per_example), t.metrics,
                     splits.x_train.shape[1:], splits.y_train, t.jit_compile, guard, clip,
                     insight)
    from ktui.core.training.replicated import ReplicatedSteps

    xs, ys = tf.constant(splits.x_train[:1]), tf.constant(splits.y_train[:1])
    probe = ReplicatedSteps.spec_of(placement.strategy, train_dataset(
        tf, xs, ys, n=1, batch_size=1, seed=0, shuffle=False, first_epoch=1, last_epoch=1))
    eval_spec = (ReplicatedSteps.spec_of(placement.strategy, eval_ds)
                 if eval_ds is not None else None)
    return ReplicatedSteps(tf, keras, placement.strategy, model, optimizer, per_example,
                           t.metrics, probe, eval_spec, guard, clip, insight)
