"""The run's optimizer and steps, made for its placement and precision.

Called inside :meth:`Placement.scope`, so that under a strategy the optimizer's and the
metrics' variables are mirrored (an optimizer made outside the scope raises nothing and
counts each step once per replica).
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from typing import Any

from ktui.core import tfenv

tfenv.ensure_imported()  # TensorFlow's first import is the quiet one

import keras
import tensorflow as tf

from ktui.core.build import model_layers
from ktui.core.choices import LOSSES, optimizer_config
from ktui.core.losses import batch_mean
from ktui.core.spec import ExperimentSpec, TrainSpec
from ktui.core.training.fused_adam import FUSED
from ktui.core.training.parts import optimizer_settings
from ktui.core.training.pipeline import train_dataset
from ktui.core.training.placement import Placement
from ktui.core.training.replicated import ReplicatedSteps
from ktui.core.training.schedules import LearningRate, base_schedule, make_steered_rate
from ktui.core.training.steps import Clipping, Insight, Steps, StepsBase


def make_optimizer(t: TrainSpec, steps_per_epoch: int, total_steps: int
                   ) -> tuple[keras.Optimizer, LearningRate]:
    """The spec's optimizer from the registry (Adam and AdamW as their one-kernel twins,
    :mod:`.fused_adam`), stepping with the schedule's :class:`~.schedules.LearningRate`;
    under ``mixed_float16`` wrapped in Keras' ``LossScaleOptimizer`` (float16 gradients
    underflow without loss scaling)."""
    config = optimizer_config(t.optimizer, optimizer_settings(t))
    rate = make_steered_rate(keras, tf, base_schedule(
        keras, t.schedule, t.learning_rate, steps_per_epoch, total_steps))
    cls = type(keras.optimizers.get(config))
    cls = FUSED.get(cls, cls)
    optimizer = cls(**{**config["config"], "learning_rate": rate})
    if t.precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer, LearningRate(optimizer, rate)


def insight_of(spec: ExperimentSpec, model: keras.Model) -> Insight:
    """What the steps measure for the views: the class count of a classifier (its confusion
    matrix) and each trainable layer's variables (gradient norms; not under float16 loss
    scaling, whose gradients are scaled)."""
    classes = (len(spec.dataset.class_names()) or int(spec.dataset.output_shape()[-1])
               if spec.task == "classification" else 0)
    if spec.train.precision == "mixed_float16":
        return Insight(classes)
    position = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups = tuple((layer.name, tuple(position[id(v)] for v in layer.trainable_variables))
                   for layer in model_layers(model) if layer.trainable_variables)
    return Insight(classes, groups)


def make_steps(placement: Placement, model: keras.Model, optimizer: keras.Optimizer,
               spec: ExperimentSpec, splits: Any, eval_ds: tf.data.Dataset | None
               ) -> StepsBase:
    """One device's :class:`Steps`, or :class:`ReplicatedSteps` under a strategy; builds the
    optimizer first (its variables must exist before a checkpoint restores them)."""
    t = spec.train
    optimizer.build(model.trainable_variables)
    per_example = LOSSES[t.loss].load()
    guard = t.precision != "mixed_float16"
    clip = Clipping(t.clip_norm, t.clip_value)
    insight = insight_of(spec, model)
    if placement.strategy is None:
        return Steps(model, optimizer, batch_mean(per_example), t.metrics,
                     splits.x_train.shape[1:], splits.y_train, t.jit_compile == "on", guard,
                     clip, insight)
    xs, ys = tf.constant(splits.x_train[:1]), tf.constant(splits.y_train[:1])
    probe = ReplicatedSteps.spec_of(placement.strategy, train_dataset(
        xs, ys, n=1, batch_size=1, seed=0, shuffle=False, first_epoch=1, last_epoch=1))
    eval_spec = (ReplicatedSteps.spec_of(placement.strategy, eval_ds)
                 if eval_ds is not None else None)
    return ReplicatedSteps(placement.strategy, model, optimizer, per_example,
                           t.metrics, probe, eval_spec, guard, clip, insight)
