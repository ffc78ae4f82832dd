"""The compiled steps and what they accumulate on the device, on one device.

Design choices, each for speed or safety:
- Each step is a ``tf.function`` with a fixed input signature (a short last batch does not
  retrace), built anew per run (a step traced for one model's variables refuses another's).
- The train step applies an update only when the loss and every gradient are finite, so a
  NaN never reaches the weights: "the last good weights" are simply the weights; it counts
  the skipped steps in :attr:`StepsBase.bad_steps` for the loop to notice.
- Loss and metrics accumulate on the device (Keras ``Mean``/metrics); the host reads them once
  per epoch, and the step losses every ``log_every`` steps.
- ``steps_per_execution`` > 1 runs K steps in one compiled call (:meth:`StepsBase.train_many`,
  a ``tf.range`` loop pulling from the iterator on the device), as Keras ``fit`` does: the
  host dispatches once per K steps.

:mod:`.replicated` has the same steps under a ``tf.distribute`` strategy; the loop drives
either through :class:`StepsBase`.
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ktui.core import tfenv

tfenv.ensure_imported()  # TensorFlow's first import is the quiet one

import keras
import tensorflow as tf

from ktui.core.metrics import ConfusionCounts, build_metric


def results(metrics: Sequence[keras.metrics.Metric]) -> dict[str, float]:
    """name -> value of each Keras metric."""
    return {m.name: float(m.result()) for m in metrics}


def batch_weight(y: tf.Tensor) -> tf.Tensor:
    """How much a batch's mean loss counts in a mean over batches: its number of examples
    (traced). Keras' fit and evaluate weight their loss trackers the same way."""
    return tf.cast(tf.shape(y)[0], tf.float32)


def scaled_loss(optimizer: keras.Optimizer, loss: tf.Tensor) -> tf.Tensor:
    """The loss the gradients are taken of: scaled up under float16's ``LossScaleOptimizer``
    (its ``apply`` scales the gradients back down), else itself."""
    return optimizer.scale_loss(loss) if hasattr(optimizer, "scale_loss") else loss


@dataclass(frozen=True)
class Clipping:
    """Gradient clipping (0 = off): every value to ±``value``, then the global norm to
    ``norm``. Applied to the gradients the optimizer will apply: after the all-reduce under
    a strategy (Keras' ``clipnorm`` clips each replica's share before it, tf #33929)."""

    norm: float = 0.0
    value: float = 0.0

    @property
    def on(self) -> bool:
        return self.norm > 0 or self.value > 0

    def __call__(self, grads: list[tf.Tensor | None]) -> list[tf.Tensor | None]:
        if self.value > 0:
            grads = [None if g is None else tf.clip_by_value(g, -self.value, self.value)
                     for g in grads]
        if self.norm > 0:
            grads, _ = tf.clip_by_global_norm(grads, self.norm)
        return list(grads)


NO_CLIPPING = Clipping()


@dataclass(frozen=True)
class Insight:
    """What the steps measure for the views: the confusion matrix's class count (0: none)
    and the trainable variables of each layer, by name (empty: no gradient norms)."""

    classes: int = 0
    layer_groups: tuple[tuple[str, tuple[int, ...]], ...] = ()


NO_INSIGHT = Insight()


class StepsBase:
    """What both kinds of steps share: the accumulators, the epoch's results, evaluation
    and the multi-step call. Subclasses define :meth:`_one_step` (one training step, traced
    inside a ``tf.function``) and the compiled ``train``/``evaluate``."""

    train: Callable
    evaluate: Callable

    def __init__(self, metric_names: Sequence[str], guard_gradients: bool = True,
                 clip: Clipping = NO_CLIPPING, insight: Insight = NO_INSIGHT) -> None:
        self.metrics = [build_metric(name) for name in metric_names]
        self.val_metrics = [build_metric(name) for name in metric_names]
        #: The evaluation's confusion matrix (classification only).
        self.confusion = ConfusionCounts(insight.classes) if insight.classes else None
        #: Gradient norms per layer (lists of indices into the trainable variables),
        #: summed per step on the device, read and reset by :meth:`take_grad_norms`.
        self.layer_groups = insight.layer_groups
        self.grad_norm_sum = tf.Variable(tf.zeros(len(self.layer_groups)), trainable=False,
                                         aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.grad_steps = tf.Variable(0.0, trainable=False,
                                      aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        #: The epoch's training loss and the validation loss: means over examples (each
        #: batch's mean loss weighted by its size, see :func:`batch_weight`), as Keras' fit
        #: and evaluate report them; a mean of batch means would count a short last batch
        #: as much as a full one.
        self.train_loss = keras.metrics.Mean(name="loss")
        self.val_loss = keras.metrics.Mean(name="val_loss")
        #: The part of the training loss that layers add (``add_loss``, regularizers), which
        #: the reported loss includes, as Keras' ``fit`` does; reported on its own beside
        #: the data's part when a layer adds any (:attr:`adds_losses`, known once traced).
        self.reg_loss = keras.metrics.Mean(name="reg_loss")
        self.adds_losses = False
        self.bad_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        #: Whether a non-finite gradient counts as a bad step. Not under float16's loss
        #: scaling: there an overflowing gradient is routine (the optimizer skips it and
        #: lowers the scale); only a non-finite loss stops the run.
        self.guard_gradients = guard_gradients
        self.clip = clip
        #: Whether the steps run compiled with XLA (one device only; see :meth:`set_xla`).
        self.use_xla = False
        #: :meth:`train_many`'s compiled loop, one per value of :attr:`use_xla`.
        self._many: dict[bool, Callable] = {}

    def distribute(self, dataset: Any) -> Any:
        """The dataset as the steps take it (one device: itself)."""
        return dataset

    def _squares(self, grads: list[tf.Tensor | None]) -> list[tf.Tensor | None]:
        """Each gradient's sum of squares, once per step (traced), when anything needs it:
        the NaN guard (NaN or Inf anywhere makes the sum non-finite; it also overflows for
        values beyond 1e19, which is divergence anyway) and the gradient norms share it."""
        if not (self.guard_gradients or self.layer_groups):
            return []
        return [None if g is None else tf.reduce_sum(tf.square(tf.cast(g, tf.float32)))
                for g in grads]

    def _measure_gradients(self, squares: list[tf.Tensor | None]) -> None:
        """Add this step's per-layer gradient norms to the window's sums (traced)."""
        if not self.layer_groups:
            return
        norms = [tf.sqrt(tf.add_n([squares[i] for i in indices if squares[i] is not None]
                                  or [tf.constant(0.0)]))
                 for _, indices in self.layer_groups]
        self.grad_norm_sum.assign_add(tf.stack(norms))
        self.grad_steps.assign_add(1.0)

    def _finite(self, total: tf.Tensor, squares: list[tf.Tensor | None]) -> tf.Tensor:
        """Whether the loss and (when guarded) every gradient are finite: one reduction over
        the sums of squares instead of an is_finite + reduce_all per gradient (measured: 0.6
        ms of a 6.4 ms fashion-mlp step)."""
        parts = [tf.cast(total, tf.float32)]
        if self.guard_gradients:
            parts += [sq for sq in squares if sq is not None]
        return tf.math.is_finite(tf.add_n(parts))

    def take_grad_norms(self) -> dict[str, float]:
        """Each layer's mean gradient norm since the last call (a host sync), then reset."""
        if not self.layer_groups:
            return {}
        steps = float(self.grad_steps.numpy())
        if steps == 0:
            return {}
        sums = self.grad_norm_sum.numpy()
        self.grad_norm_sum.assign(np.zeros(len(self.layer_groups), np.float32))
        self.grad_steps.assign(0.0)
        return {name: float(total / steps)
                for (name, _), total in zip(self.layer_groups, sums, strict=True)}

    def confusion_matrix(self) -> np.ndarray | None:
        """The last :meth:`score`'s confusion matrix (classification), else None."""
        return None if self.confusion is None else self.confusion.result().numpy()

    def _one_step(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def set_xla(self, on: bool) -> None:
        """Compile the steps with XLA from the next call on, or not (one device only)."""
        if on:
            raise ValueError("XLA is not used under a strategy")

    def forget_other(self) -> None:
        """Drop compiled steps that will not run again (see :meth:`Steps.forget_other`)."""

    def _many_step(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """One step inside :meth:`train_many`'s loop (traced there)."""
        return self._one_step(x, y)

    def train_many(self, iterator: Any, count: int) -> tf.Tensor:
        """``count`` training steps in one compiled call, pulling batches from ``iterator``;
        their losses, as one tensor. Traced once (``count`` is a tensor)."""
        many = self._many.get(self.use_xla)
        if many is None:
            @tf.function
            def train_many(iterator, count):
                losses = tf.TensorArray(tf.float32, size=count)
                for i in tf.range(count):
                    x, y = next(iterator)
                    losses = losses.write(i, tf.cast(self._many_step(x, y), tf.float32))
                return losses.stack()

            many = self._many[self.use_xla] = train_many
        return many(iterator, tf.constant(count, tf.int32))

    def start_epoch(self) -> None:
        """Reset the training loss and metrics (they average over one epoch)."""
        self.train_loss.reset_state()
        self.reg_loss.reset_state()
        for metric in self.metrics:
            metric.reset_state()

    def added_losses(self, model: keras.Model) -> tf.Tensor | None:
        """The losses ``model``'s layers added in the call being traced, summed; None when
        none did (then nothing about them is reported)."""
        if not model.losses:
            return None
        self.adds_losses = True
        return tf.cast(tf.add_n(model.losses), tf.float32)

    def epoch_results(self) -> tuple[float, dict[str, float]]:
        """The epoch's training loss (what is minimised: the data's loss plus what layers
        add) and metrics, with ``data_loss`` and ``reg_loss`` when a layer adds losses."""
        loss = float(self.train_loss.result())
        metrics = results(self.metrics)
        if self.adds_losses:
            reg = float(self.reg_loss.result())
            metrics = {**metrics, "data_loss": loss - reg, "reg_loss": reg}
        return loss, metrics

    def score(self, ds: Iterable[Any] | None) -> tuple[float | None, dict[str, float]]:
        """Loss and metrics over the dataset ``ds`` (None, {} when there is none)."""
        if ds is None:
            return None, {}
        self.val_loss.reset_state()
        for metric in self.val_metrics:
            metric.reset_state()
        if self.confusion is not None:
            self.confusion.reset_state()
        for x, y in ds:
            self.evaluate(x, y)
        return float(self.val_loss.result()), results(self.val_metrics)

    @property
    def skipped(self) -> int:
        """Steps not applied because the loss or a gradient was not finite (a host sync)."""
        return int(self.bad_steps.numpy())


class Steps(StepsBase):
    """The run's train and evaluation steps on one device, compiled for ``model``."""

    def __init__(self, model: keras.Model, optimizer: keras.Optimizer, loss_fn: Callable,
                 metric_names: Sequence[str], x_shape: tuple[int, ...], y_sample: np.ndarray,
                 jit_compile: bool, guard_gradients: bool = True,
                 clip: Clipping = NO_CLIPPING, insight: Insight = NO_INSIGHT) -> None:
        super().__init__(metric_names, guard_gradients, clip, insight)
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.variables = model.trainable_variables
        x_spec = tf.TensorSpec((None, *x_shape), tf.float32)
        y_spec = tf.TensorSpec((None, *y_sample.shape[1:]), tf.as_dtype(y_sample.dtype))
        self.signature = [x_spec, y_spec]
        #: The train and evaluation steps without XLA (False) and with it (True), made when
        #: first asked for: the same Python step, so the same variables, optimizer and
        #: metrics whichever runs.
        self._compiled: dict[bool, tuple[Callable, Callable]] = {}
        self.set_xla(jit_compile)

    def set_xla(self, on: bool) -> None:
        """Run the steps compiled with XLA from the next call on (``on``), or without (each
        kind is traced, and XLA's compiled, at its first call)."""
        if on not in self._compiled:
            self._compiled[on] = (
                tf.function(self._one_step, input_signature=self.signature, jit_compile=on),
                tf.function(self._eval_one, input_signature=self.signature, jit_compile=on))
        self.use_xla = on

    def forget_other(self) -> None:
        """Drop the compiled steps not in use, once XLA is picked or not for good: a traced
        step holds its graph, and XLA's its compiled code."""
        self._compiled.pop(not self.use_xla, None)
        self._many.pop(not self.use_xla, None)

    @property
    def train_function(self) -> Any:
        """The compiled train step in use (a ``tf.function``: its graph can be inspected)."""
        return self._compiled[self.use_xla][0]

    def train(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:  # type: ignore[override]
        return self.train_function(x, y)

    def evaluate(self, x: tf.Tensor, y: tf.Tensor) -> None:  # type: ignore[override]
        self._compiled[self.use_xla][1](x, y)

    def _many_step(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """With XLA, the compiled step itself (a nested call XLA compiles), so K steps per
        call keep the fused step (measured: the plain loop lost XLA's +23 %)."""
        return self.train(x, y) if self.use_xla else self._one_step(x, y)

    def _one_step(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        model, optimizer, variables = self.model, self.optimizer, self.variables
        with tf.GradientTape() as tape:
            pred = tf.cast(model(x, training=True), tf.float32)
            added = self.added_losses(model)
            total = self.loss_fn(y, pred)
            if added is not None:
                total += added
            scaled = scaled_loss(optimizer, total)
        grads = tape.gradient(scaled, variables)
        if self.clip.on:
            grads = self.clip(grads)
        squares = self._squares(grads)
        self._measure_gradients(squares)
        finite = self._finite(total, squares)

        def apply():
            optimizer.apply(grads, variables)
            return tf.constant(0, tf.int64)

        def skip():
            self.bad_steps.assign_add(1)
            return tf.constant(1, tf.int64)

        tf.cond(finite, apply, skip)
        weight = batch_weight(y)
        self.train_loss.update_state(total, sample_weight=weight)
        if added is not None:
            self.reg_loss.update_state(added, sample_weight=weight)
        for metric in self.metrics:
            metric.update_state(y, pred)
        return total

    def _eval_one(self, x: tf.Tensor, y: tf.Tensor) -> None:
        pred = tf.cast(self.model(x, training=False), tf.float32)
        added = self.added_losses(self.model)  # Keras' evaluate counts them too
        self.val_loss.update_state(self.loss_fn(y, pred) + (0.0 if added is None else added),
                                   sample_weight=batch_weight(y))
        for metric in self.val_metrics:
            metric.update_state(y, pred)
        if self.confusion is not None:
            self.confusion.update_state(y, pred)
