"""Loss functions, as the seeds write them, one value per example: ``(y_true, y_pred) ->
(batch,)``.

Each is named in :data:`ktui.core.choices.LOSSES` (its entry says which task it fits and
points here); the trainer takes it from there. Per example rather than already averaged
because a distributed step must divide the sum over its replica's examples by the *global*
batch (``tf.nn.compute_average_loss``): a per-replica ``reduce_mean`` weighs a short last
batch wrongly and an empty replica batch would be NaN. One device uses :func:`batch_mean`.

Classification models output logits (no softmax in the last layer, as seed 001 explains);
losses that compare distributions apply the softmax themselves.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def batch_mean(per_example: LossFn) -> LossFn:
    """The batch's loss from a per-example loss: their mean (seed 000's ``reduce_mean``)."""
    def loss_fn(y_true, y_pred):
        return tf.reduce_mean(per_example(y_true, y_pred))
    return loss_fn


def mse(y_true, y_pred):
    """Seed 000's ``square(target - predicted)``, averaged over each example's outputs."""
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def mae(y_true, y_pred):
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def huber_fn(y_true, y_pred):
    """Seed 002's Huber loss per value (delta 1): squared near zero, linear beyond."""
    error = y_true - y_pred
    is_small_error = tf.abs(error) < 1
    squared_loss = tf.square(error) / 2
    linear_loss = tf.abs(error) - 0.5
    return tf.where(is_small_error, squared_loss, linear_loss)


def huber(y_true, y_pred):
    return tf.reduce_mean(huber_fn(y_true, y_pred), axis=-1)


def sparse_categorical_crossentropy(y_true, logits):
    """Seed 001's ``loss_func``: sparse softmax cross-entropy from logits."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(y_true, tf.int32), logits=logits)


def _one_hot_and_probs(y_true, logits):
    return tf.one_hot(tf.cast(y_true, tf.int32), tf.shape(logits)[-1]), tf.nn.softmax(logits)


def kl_divergence(y_true, logits):
    """KL(one-hot labels ‖ softmax(logits)), Keras' ``KLDivergence`` on class labels."""
    target, probs = _one_hot_and_probs(y_true, logits)
    eps = 1e-7
    target = tf.clip_by_value(target, eps, 1.0)
    probs = tf.clip_by_value(probs, eps, 1.0)
    return tf.reduce_sum(target * tf.math.log(target / probs), axis=-1)


def cosine_similarity(y_true, logits):
    """Negative cosine similarity (Keras' ``CosineSimilarity`` loss) of one-hot and softmax."""
    target, probs = _one_hot_and_probs(y_true, logits)
    target = tf.math.l2_normalize(target, axis=-1)
    probs = tf.math.l2_normalize(probs, axis=-1)
    return -tf.reduce_sum(target * probs, axis=-1)
