"""The same steps under a ``tf.distribute`` strategy (mirrored or multi-worker).

Each point below keeps a replicated run equal to a one-device run of the same global batch
(to ~2e-7, ``../shared/research/mirrored.py``); each one broken changes the numbers silently:
- the model, the optimizer, the metrics and the counters are created in the strategy's scope
  (the loop creates these steps there);
- every replica's loss is the sum of its per-example losses over the *global* batch of the
  step, all-reduced from the replicas' sizes (a short last batch, or an empty replica, stays
  exact), with ``tf.nn.compute_average_loss``; Keras' ``optimizer.apply`` then sums the
  replicas' gradients;
- the NaN guard is decided identically on every replica (an all-reduced sum of the losses and
  gradients) and the update is applied or skipped in cross-replica context, because a
  ``tf.cond`` around ``optimizer.apply`` inside the replica function cannot ``merge_call``;
- the loss accumulator adds ``share × replicas`` per replica, so it averages the steps' global
  losses as the one-device ``Mean`` of batch means does; metrics update per replica and are
  summed when read (Keras metrics are SyncOnRead);
- the input signature is the distributed dataset's ``element_spec`` (one trace, uneven last
  batch included).
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ktui.core import tfenv

tfenv.ensure_imported()  # TensorFlow's first import is the quiet one

import keras
import tensorflow as tf

from ktui.core.training.steps import (
    NO_CLIPPING,
    NO_INSIGHT,
    Clipping,
    Insight,
    StepsBase,
    scaled_loss,
)


def distributed(strategy: tf.distribute.Strategy, dataset: tf.data.Dataset
                ) -> tf.distribute.DistributedDataset:
    """``dataset`` with each global batch split between the replicas; sharded by batch
    across workers (the data is in memory on each, so sharding by file cannot apply)."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


class ReplicatedSteps(StepsBase):
    """Train and evaluation steps over ``strategy``'s replicas for ``model``."""

    def __init__(self, strategy: tf.distribute.Strategy, model: keras.Model,
                 optimizer: keras.Optimizer, per_example_loss: Callable,
                 metric_names: Sequence[str], train_spec: Any, eval_spec: Any,
                 guard_gradients: bool = True, clip: Clipping = NO_CLIPPING,
                 insight: Insight = NO_INSIGHT) -> None:
        # Gradient norms need the summed gradient, formed here only when clipping.
        if not clip.on:
            insight = Insight(insight.classes)
        super().__init__(metric_names, guard_gradients, clip, insight)
        self.strategy, self.model, self.optimizer = strategy, model, optimizer
        self.per_example_loss = per_example_loss
        self.variables = model.trainable_variables
        self.replicas = strategy.num_replicas_in_sync
        self.train = tf.function(self._one_step, input_signature=list(train_spec))
        self.evaluate = (tf.function(self._eval_one, input_signature=list(eval_spec))
                         if eval_spec is not None else None)

    def distribute(self, dataset: tf.data.Dataset) -> tf.distribute.DistributedDataset:
        return distributed(self.strategy, dataset)

    @staticmethod
    def spec_of(strategy: tf.distribute.Strategy, dataset: tf.data.Dataset) -> Any:
        """The input signature of the steps over ``dataset`` distributed."""
        return distributed(strategy, dataset).element_spec

    def _share(self, y: tf.Tensor, pred: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """This replica's part of the step's loss (its examples' losses over the global
        batch of the step), and the weight of ``part × replicas`` in a mean over batches:
        the global batch over the replicas, so that the mean over a pass is the mean over
        its examples, as on one device (``steps.batch_weight``), however the last, short
        batch was split between the replicas."""
        ctx = tf.distribute.get_replica_context()
        global_batch = ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.shape(y)[0])
        share = tf.nn.compute_average_loss(self.per_example_loss(y, pred),
                                           global_batch_size=global_batch)
        return share, tf.cast(global_batch, tf.float32) / self.replicas

    def _replica_grads(self, x: tf.Tensor, y: tf.Tensor
                       ) -> tuple[tf.Tensor, list[tf.Tensor | None], tf.Tensor]:
        model = self.model
        with tf.GradientTape() as tape:
            pred = tf.cast(model(x, training=True), tf.float32)
            share, weight = self._share(y, pred)
            total = share
            added = self.added_losses(model)
            if added is not None:
                total += tf.nn.scale_regularization_loss(added)
            scaled = scaled_loss(self.optimizer, total)
        grads = tape.gradient(scaled, self.variables)
        ctx = tf.distribute.get_replica_context()
        if self.clip.on:
            # Clip the gradient the optimizer will apply, the replicas' sum: reduce it here,
            # clip, and hand each replica 1/R of it, which the optimizer's own all-reduce sums
            # back (exact for R a power of two; one more all-reduce, only when clipping).
            reduced = self.clip(ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads))
            self._measure_gradients(self._squares(reduced))  # ONLY_FIRST_REPLICA: once
            grads = [None if g is None else g / self.replicas for g in reduced]
        squares = [sq for sq in self._squares(grads) if sq is not None]
        check = tf.add_n([tf.cast(total, tf.float32)]
                         + (squares if self.guard_gradients else []))
        # One all-reduce for both: the step's loss and whether everything is finite.
        loss, check = tf.unstack(ctx.all_reduce(tf.distribute.ReduceOp.SUM,
                                                tf.stack([tf.cast(total, tf.float32), check])))
        self.train_loss.update_state(total * self.replicas, sample_weight=weight)
        if added is not None:  # each replica's own, as the one-device step's
            self.reg_loss.update_state(added, sample_weight=weight)
        for metric in self.metrics:
            metric.update_state(y, pred)
        return loss, grads, tf.math.is_finite(check)

    def _one_step(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        strategy = self.strategy
        loss, grads, finite = strategy.run(self._replica_grads, args=(x, y))
        # The same on every replica (all-reduced): no collective after the branch, whose
        # order could differ between replicas.
        ok = strategy.experimental_local_results(finite)[0]

        def apply():
            strategy.run(lambda g: self.optimizer.apply(g, self.variables), args=(grads,))
            return tf.constant(0, tf.int64)

        def skip():
            self.bad_steps.assign_add(1)
            return tf.constant(1, tf.int64)

        tf.cond(ok, apply, skip)
        return strategy.experimental_local_results(loss)[0]

    def _eval_one(self, x: tf.Tensor, y: tf.Tensor) -> None:
        def replica_eval(x: tf.Tensor, y: tf.Tensor) -> None:
            pred = tf.cast(self.model(x, training=False), tf.float32)
            added = self.added_losses(self.model)
            share, weight = self._share(y, pred)
            self.val_loss.update_state(share * self.replicas + (0.0 if added is None else added),
                                       sample_weight=weight)
            for metric in self.val_metrics:
                metric.update_state(y, pred)
            if self.confusion is not None:
                self.confusion.update_state(y, pred)

        self.strategy.run(replica_eval, args=(x, y))
