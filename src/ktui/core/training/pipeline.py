"""The ``tf.data`` pipelines: batches of indices, gathered from in-memory tensors.

Shuffling indices and gathering a whole batch at once (then prefetching) costs less memory
than a 60 000-image shuffle buffer and fewer per-element ops than shuffling images one by one.
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

import numpy as np

from ktui.core import tfenv

tfenv.ensure_imported()  # TensorFlow's first import is the quiet one

import tensorflow as tf


def gathered(xs: tf.Tensor, ys: tf.Tensor, indices: tf.data.Dataset) -> tf.data.Dataset:
    """Batches of indices -> batches of (x, y) gathered from in-memory tensors, one gather
    per batch instead of one element at a time, prefetched."""
    ds = indices.map(lambda idx: (tf.gather(xs, idx), tf.gather(ys, idx)),
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def eval_dataset(x: np.ndarray, y: np.ndarray, batch_size: int) -> tf.data.Dataset:
    """An evaluation pipeline: every sample once, in order."""
    indices = tf.data.Dataset.range(len(x)).batch(batch_size)
    return gathered(tf.constant(x), tf.constant(y), indices)


def train_dataset(xs: tf.Tensor, ys: tf.Tensor, *, n: int, batch_size: int, seed: int,
                  shuffle: bool, first_epoch: int, last_epoch: int) -> tf.data.Dataset:
    """Every epoch's training batches, from ``first_epoch`` to ``last_epoch``, as one
    dataset over the in-memory tensors ``xs``, ``ys`` of ``n`` samples (iterated once).

    Built and iterated once per run (measured: making a new dataset and iterator each
    epoch cost 0.15-0.45 s, re-tracing the gather and re-optimising the pipeline, i.e.
    5-15% of a 3 s fashion-mlp epoch on 60 000 images). Each epoch's order is a stateless
    shuffle seeded by (run seed, epoch), computed inside the pipeline, so prefetching
    across an epoch boundary is safe, every epoch differs, and a resumed run (or an
    exported script) sees exactly the batches an uninterrupted run would.
    """
    def epoch_batches(epoch):
        indices = tf.range(n, dtype=tf.int64)
        if shuffle:
            indices = tf.random.experimental.stateless_shuffle(
                indices, seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(indices).batch(batch_size)

    epochs = tf.data.Dataset.range(first_epoch, last_epoch + 1)
    return gathered(xs, ys, epochs.flat_map(epoch_batches))
