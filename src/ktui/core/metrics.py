"""Metrics: the seed's ``SparseCategoricalAccuracy`` plus Keras' own where they fit.

Each is named in :data:`ktui.core.choices.METRICS`: an entry points at a class here, at a
Keras metric (a config ``keras.metrics.get`` builds), or both (a Keras metric fed one-hot
labels by :class:`OneHotSoftmax`). :func:`build_metric` makes any of them from its entry, through
:func:`make_metric`, which the exported script shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from ktui.core.choices import METRICS


@keras.saving.register_keras_serializable(package="ktui")
class SparseCategoricalAccuracy(keras.metrics.Metric):
    """Seed 002's metric: integer counters of correct argmax predictions and of samples."""

    def __init__(self, name: str = "accuracy", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.total = self.add_weight(name="total", shape=(), dtype="int32", initializer="zeros")
        self.count = self.add_weight(name="count", shape=(), dtype="int32", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
        values = tf.cast(tf.equal(y_true, tf.argmax(y_pred, axis=-1, output_type=tf.int32)),
                         tf.int32)
        self.total.assign_add(tf.shape(y_true)[0])
        self.count.assign_add(tf.reduce_sum(values))

    def result(self):
        # The seed's count / total; float32 and safe before the first batch.
        return tf.math.divide_no_nan(tf.cast(self.count, tf.float32),
                                     tf.cast(self.total, tf.float32))


class OneHotSoftmax(keras.metrics.Metric):
    """Feeds a binary Keras metric (AUC, Precision, Recall) one-hot labels and softmax
    probabilities, giving the micro-average over classes (seed 004 lists these metrics)."""

    def __init__(self, inner: keras.metrics.Metric, name: str) -> None:
        super().__init__(name=name)
        self.inner = inner

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), tf.shape(y_pred)[-1])
        self.inner.update_state(labels, tf.nn.softmax(y_pred))

    def result(self):
        return self.inner.result()

    def reset_state(self):
        self.inner.reset_state()


def make_metric(name: str, impl: type | None, config: Mapping[str, Any]) -> keras.metrics.Metric:
    """Metric ``name`` from the parts of its registry entry: a class here alone (``impl``), a
    Keras metric alone (``config``, which ``keras.metrics.get`` builds), or the class wrapping
    the Keras metric (one-hot labels). Exported scripts hold this function verbatim, with the
    registry written out as a table of these parts."""
    if not config:
        return impl(name=name)
    inner = keras.metrics.get({"class_name": config["class_name"],
                               "config": {"name": f"{name}_inner" if impl else name}})
    return impl(inner, name) if impl else inner


def build_metric(name: str) -> keras.metrics.Metric:
    """The metric registered as ``name``, reporting under that name."""
    entry = METRICS[name]
    return make_metric(name, entry.load() if entry.impl else None, entry.config)


class ConfusionCounts(keras.metrics.Metric):
    """Counts of (true class, argmax class) over the batches seen, accumulated on the device
    inside the compiled evaluation step (summed over replicas when read, as every Keras
    metric is); ``result()`` is the matrix."""

    def __init__(self, classes: int, name: str = "confusion", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.classes = classes
        self.counts = self.add_weight(name="counts", shape=(classes, classes), dtype="int32",
                                      initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
        predicted = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        self.counts.assign_add(tf.math.confusion_matrix(labels, predicted,
                                                        num_classes=self.classes,
                                                        dtype=tf.int32))

    def result(self):
        return self.counts

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}
