"""The ``tf.data`` pipelines: batches of indices, gathered from in-memory tensors.

Shuffling indices and gathering a whole batch at once (then prefetching) costs less memory
than a 60 000-image shuffle buffer and fewer per-element ops than shuffling images one by one.
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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


class Passes:
    """Whole passes over a finite evaluation dataset (every batch once, in order), all read
    from one iterator that never runs out.

    A Python ``for`` over a dataset makes a new iterator for each pass and ends the pass with
    TensorFlow's OutOfRange error; TensorFlow keeps something of both for the life of the
    process (the iterator's tf.data monitoring cells, the rendezvous its function aborted):
    0.57 KB per pass, measured, i.e. per epoch of a run with validation, whatever its length
    (``python -m benchmarks.soak``). One iterator over ``dataset.repeat()``, read ``batches``
    elements a pass, is made once and raises nothing.

    ``place`` turns a dataset into what the steps take (a strategy's distributed dataset).
    ``repeat=False``, or a dataset whose length TensorFlow cannot tell, iterates each pass
    afresh (several workers: each worker's share of a repeated stream would drift from pass
    to pass).
    """

    def __init__(self, dataset: tf.data.Dataset,
                 place: Callable[[tf.data.Dataset], Any] = lambda ds: ds, *,
                 repeat: bool = True) -> None:
        batches = int(dataset.cardinality())
        #: Elements in a pass; None: each pass iterates ``dataset`` afresh.
        self.batches: int | None = batches if repeat and batches > 0 else None
        self._dataset, self._place = dataset, place
        self._iterator: Iterator[Any] | None = None
        #: Elements read from the current pass (a pass left half-way is finished first).
        self._read = 0

    def __iter__(self) -> Iterator[Any]:
        """One pass."""
        if self.batches is None:
            yield from self._place(self._dataset)
            return
        if self._iterator is None:
            self._iterator = iter(self._place(self._dataset.repeat()))
        while self._read % self.batches:  # the rest of a pass that was not read to its end
            next(self._iterator)
            self._read += 1
        self._read = 0
        for _ in range(self.batches):
            element = next(self._iterator)
            self._read += 1
            yield element


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
